import { field } from './field.js';
/**
 * The five collaboration patterns of the seed as data: who hands what to whom. Imported by workflows
 * (so it stays free of Node and of zod), by the CLI and by tests. Changing a flow's handoffs changes the
 * commands its running workflows issue: add a `patched()` branch in the workflow rather than editing a
 * step in place while runs are in flight.
 */

/** Payload contracts, named by the boundary they cross (`from-to`) or by the agent whose final output they are. */
export const CONTRACT_NAMES = [
  'schema-to-stream',
  'stream-to-builder',
  'builder-output',
  'pulse-to-stream',
  'stream-to-schema',
  'schema-output',
  'pipeline-request',
  'stream-to-canvas',
  'canvas-output',
  'stream-to-radar',
  'radar-output',
  'stream-to-scaffold',
  'scaffold-output',
  'etl-request',
  'etl-plan',
  'extract-output',
  'transform-output',
  'check-output',
  'publish-output',
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/**
 * The agents of the seed, then the stages of the pipelines they design (Airbyte's, dbt's and BI's roles), plus
 * `requester`: whoever asks Stream for a design in Patterns C–E or starts a pipeline.
 */
export const AGENT_NAMES = [
  'schema',
  'stream',
  'builder',
  'pulse',
  'canvas',
  'radar',
  'scaffold',
  'extract',
  'transform',
  'publish',
] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/**
 * The pipeline stages: built-in unless agents.yaml binds them elsewhere, so an agents.yaml written before the
 * pipelines existed keeps working (every collaboration agent must be bound; these need not be).
 */
export const STAGE_AGENTS: readonly AgentName[] = ['extract', 'transform', 'publish'];
export type Party = AgentName | 'requester';

/** One handoff: `from` hands a payload of contract `input` to `to`, which answers with contract `reply`. */
export interface HandoffSpec {
  readonly from: Party;
  readonly to: AgentName;
  readonly input: ContractName;
  readonly reply: ContractName;
}

export interface FlowSpec {
  readonly name: FlowName;
  readonly workflowType: string;
  /** A collaboration pattern of the seed (A–E), or one of its orchestration patterns (ETL: Data Warehouse ETL). */
  readonly pattern: 'A' | 'B' | 'C' | 'D' | 'E' | 'ETL';
  /** `design`: agents hand designs to each other; `pipeline`: the stages run the data those designs describe. */
  readonly kind: 'design' | 'pipeline';
  readonly title: string;
  readonly trigger: string;
  readonly handoffs: readonly HandoffSpec[];
}

export const FLOW_NAMES = [
  'schema-to-pipeline',
  'analytics-pipeline',
  'pipeline-visualization',
  'pipeline-testing',
  'cost-aware-pipeline',
  'warehouse-etl',
] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export const FLOWS: Readonly<Record<FlowName, FlowSpec>> = {
  'schema-to-pipeline': {
    name: 'schema-to-pipeline',
    workflowType: 'schemaToPipeline',
    pattern: 'A',
    kind: 'design',
    title: 'Schema-to-Pipeline',
    trigger: 'New data model designed, pipeline needed',
    handoffs: [
      { from: 'schema', to: 'stream', input: 'schema-to-stream', reply: 'stream-to-builder' },
      { from: 'stream', to: 'builder', input: 'stream-to-builder', reply: 'builder-output' },
    ],
  },
  'analytics-pipeline': {
    name: 'analytics-pipeline',
    workflowType: 'analyticsPipeline',
    pattern: 'B',
    kind: 'design',
    title: 'Analytics Pipeline',
    trigger: 'Analytics/KPI requirements need pipeline',
    handoffs: [
      { from: 'pulse', to: 'stream', input: 'pulse-to-stream', reply: 'stream-to-schema' },
      { from: 'stream', to: 'schema', input: 'stream-to-schema', reply: 'schema-output' },
    ],
  },
  'pipeline-visualization': {
    name: 'pipeline-visualization',
    workflowType: 'pipelineVisualization',
    pattern: 'C',
    kind: 'design',
    title: 'Pipeline Visualization',
    trigger: 'Pipeline documentation needed',
    handoffs: [
      { from: 'requester', to: 'stream', input: 'pipeline-request', reply: 'stream-to-canvas' },
      { from: 'stream', to: 'canvas', input: 'stream-to-canvas', reply: 'canvas-output' },
    ],
  },
  'pipeline-testing': {
    name: 'pipeline-testing',
    workflowType: 'pipelineTesting',
    pattern: 'D',
    kind: 'design',
    title: 'Pipeline Testing',
    trigger: 'Pipeline tests needed',
    handoffs: [
      { from: 'requester', to: 'stream', input: 'pipeline-request', reply: 'stream-to-radar' },
      { from: 'stream', to: 'radar', input: 'stream-to-radar', reply: 'radar-output' },
    ],
  },
  'cost-aware-pipeline': {
    name: 'cost-aware-pipeline',
    workflowType: 'costAwarePipeline',
    pattern: 'E',
    kind: 'design',
    title: 'Cost-Aware Pipeline',
    trigger: 'Infrastructure provisioning needed',
    handoffs: [
      { from: 'requester', to: 'stream', input: 'pipeline-request', reply: 'stream-to-scaffold' },
      { from: 'stream', to: 'scaffold', input: 'stream-to-scaffold', reply: 'scaffold-output' },
    ],
  },
  'warehouse-etl': {
    name: 'warehouse-etl',
    workflowType: 'warehouseEtl',
    pattern: 'ETL',
    kind: 'pipeline',
    title: 'Data Warehouse ETL',
    trigger: 'A partition of source data is due: extract, transform, check and publish it',
    handoffs: [
      { from: 'requester', to: 'stream', input: 'etl-request', reply: 'etl-plan' },
      { from: 'stream', to: 'extract', input: 'etl-plan', reply: 'extract-output' },
      { from: 'extract', to: 'transform', input: 'extract-output', reply: 'transform-output' },
      { from: 'transform', to: 'radar', input: 'transform-output', reply: 'check-output' },
      { from: 'radar', to: 'publish', input: 'check-output', reply: 'publish-output' },
    ],
  },
};

/** The flows of the five collaboration patterns (A–E), which need nothing but their agents. */
export const DESIGN_FLOW_NAMES: readonly FlowName[] = FLOW_NAMES.filter((f) => FLOWS[f].kind === 'design');

/** The list each contract is mostly about, to say "3 connector requirements" in summaries. */
export const CONTRACT_SUBJECT: Readonly<Record<ContractName, { key: string; noun: string }>> = {
  'schema-to-stream': { key: 'source_tables', noun: 'source table' },
  'stream-to-builder': { key: 'connector_requirements', noun: 'connector requirement' },
  'builder-output': { key: 'connectors', noun: 'connector spec' },
  'pulse-to-stream': { key: 'metrics', noun: 'metric' },
  'stream-to-schema': { key: 'mart_requirements', noun: 'mart requirement' },
  'schema-output': { key: 'tables', noun: 'table' },
  'pipeline-request': { key: 'sources', noun: 'source' },
  'stream-to-canvas': { key: 'edges', noun: 'edge' },
  'canvas-output': { key: 'diagram', noun: 'diagram' },
  'stream-to-radar': { key: 'test_requirements', noun: 'test requirement' },
  'radar-output': { key: 'checks', noun: 'check' },
  'stream-to-scaffold': { key: 'infrastructure_needs', noun: 'infrastructure need' },
  'scaffold-output': { key: 'plan', noun: 'plan item' },
  'etl-request': { key: 'connectors', noun: 'connector' },
  'etl-plan': { key: 'connectors', noun: 'connector' },
  'extract-output': { key: 'tables', noun: 'extracted table' },
  'transform-output': { key: 'models', noun: 'dbt model' },
  'check-output': { key: 'checks', noun: 'check' },
  'publish-output': { key: 'charts', noun: 'chart' },
};

export function isContractName(name: string): name is ContractName {
  return (CONTRACT_NAMES as readonly string[]).includes(name);
}

export function isFlowName(name: string): name is FlowName {
  return (FLOW_NAMES as readonly string[]).includes(name);
}

/** "3 connector requirements": how much a payload carries, for summaries and tables. */
export function describePayload(contract: ContractName, payload: unknown): string {
  const { key, noun } = CONTRACT_SUBJECT[contract];
  const value = field(payload, key);
  let count = 1;
  if (Array.isArray(value)) count = value.length;
  else if (typeof value === 'object' && value !== null) count = Object.keys(value).length;
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
