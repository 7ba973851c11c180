import type { z } from 'zod';
import type { ContractName } from '../flows.js';
import { CheckOutput, EtlPlan, EtlRequest, ExtractOutput, PublishOutput, TransformOutput } from '../etl/contracts.js';
import { BuilderOutput } from './builder-output.js';
import { CanvasOutput } from './canvas-output.js';
import { toContractIssues, type ContractIssue } from './issues.js';
import { PipelineRequest } from './pipeline-request.js';
import { PulseToStream } from './pulse-to-stream.js';
import { RadarOutput } from './radar-output.js';
import { ScaffoldOutput } from './scaffold-output.js';
import { SchemaOutput } from './schema-output.js';
import { SchemaToStream } from './schema-to-stream.js';
import { StreamToBuilder } from './stream-to-builder.js';
import { StreamToCanvas } from './stream-to-canvas.js';
import { StreamToRadar } from './stream-to-radar.js';
import { StreamToScaffold } from './stream-to-scaffold.js';
import { StreamToSchema } from './stream-to-schema.js';

export { formatIssues, formatPath, type ContractIssue } from './issues.js';

/** Every contract by name; flows refer to contracts by these names. */
export const CONTRACTS: Readonly<Record<ContractName, z.ZodType<Record<string, unknown>>>> = {
  'schema-to-stream': SchemaToStream,
  'stream-to-builder': StreamToBuilder,
  'builder-output': BuilderOutput,
  'pulse-to-stream': PulseToStream,
  'stream-to-schema': StreamToSchema,
  'schema-output': SchemaOutput,
  'pipeline-request': PipelineRequest,
  'stream-to-canvas': StreamToCanvas,
  'canvas-output': CanvasOutput,
  'stream-to-radar': StreamToRadar,
  'radar-output': RadarOutput,
  'stream-to-scaffold': StreamToScaffold,
  'scaffold-output': ScaffoldOutput,
  'etl-request': EtlRequest,
  'etl-plan': EtlPlan,
  'extract-output': ExtractOutput,
  'transform-output': TransformOutput,
  'check-output': CheckOutput,
  'publish-output': PublishOutput,
};

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: ContractIssue[] };

/** Checks data against a schema; each issue names where, what was expected and what came. */
export function check<T>(schema: z.ZodType<T>, data: unknown): Checked<T> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: toContractIssues(result.error.issues) };
}

/** Checks a payload against a named contract. */
export function checkContract(name: ContractName, data: unknown): Checked<Record<string, unknown>> {
  return check(CONTRACTS[name], data);
}
