import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { lookupStatuses } from '../temporal/statuses.js';
import { ApplicationFailure } from '@temporalio/common';
import type { AgentBinding } from '../agents/config.js';
import type { BuiltinAgents } from '../agents/builtin/index.js';
import type { AgentPolicy, AgentRegistry } from '../agents/registry.js';
import { HandoffError, type Envelope, type Transport } from '../agents/transport.js';
import { commandTransport } from '../agents/transports/command.js';
import { httpTransport } from '../agents/transports/http.js';
import { checkContract, type ContractIssue } from '../contracts/index.js';
import { FailureType } from '../identity/index.js';
import type { AgentName, ContractName, FlowName, Party } from '../flows.js';
import { field } from '../field.js';

export interface ActivityDeps {
  readonly agents: AgentRegistry;
  readonly builtins: BuiltinAgents;
  /** Artifacts go under `<outDir>/<chain>/<step>-<agent>/`; the built-in warehouse defaults to `<outDir>/warehouse.duckdb`. */
  readonly outDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** One handoff as the workflow asks for it. */
export interface HandoffRequest {
  readonly chainId: string;
  readonly flow: FlowName;
  readonly step: number;
  readonly from: Party;
  readonly to: AgentName;
  readonly partition?: string;
  readonly inputContract: ContractName;
  readonly replyContract: ContractName;
  readonly payload: Record<string, unknown>;
}

/** A file an agent produced, written by the activity; only this reference goes into history. */
export interface ArtifactRef {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface HandoffResult {
  readonly payload: Record<string, unknown>;
  /** The attempt that succeeded (1 = first try). */
  readonly attempts: number;
  readonly transport: AgentBinding['transport'];
  readonly artifacts: readonly ArtifactRef[];
}

/** What a failed attempt carries in its ApplicationFailure details, for the chain record. */
export interface HandoffFailureDetail {
  readonly attempt: number;
  readonly status?: number;
  readonly issues?: readonly { path: string; message: string }[];
}

/**
 * The activities, with their dependencies injected: worker.ts wires the real ones, tests their own. Each
 * handoff checks the payload against its contract, calls the agent over its transport, checks the reply
 * against the reply contract and writes any artifacts it carries. Activities never decide what comes next.
 */
export function createActivities(deps: ActivityDeps) {
  const env = deps.env ?? process.env;
  const warehouseFor = (binding: AgentBinding): string =>
    binding.transport === 'builtin' && binding.warehouse !== undefined
      ? binding.warehouse
      : join(deps.outDir, 'warehouse.duckdb');

  function transportFor(agent: AgentName, binding: AgentBinding): Transport {
    switch (binding.transport) {
      case 'http':
        return httpTransport({
          agent,
          url: binding.url,
          ...(binding.token_env !== undefined && env[binding.token_env] !== undefined
            ? { token: env[binding.token_env] }
            : {}),
        });
      case 'command':
        return commandTransport({
          agent,
          command: binding.command,
          ...(binding.cwd !== undefined ? { cwd: binding.cwd } : {}),
          ...(binding.env !== undefined ? { env: binding.env } : {}),
        });
      case 'builtin': {
        const impl = deps.builtins[agent];
        if (impl === undefined) {
          return async () => {
            throw new HandoffError(
              FailureType.AgentRejected,
              `there is no built-in ${agent} agent; bind it to http or command`,
              false,
            );
          };
        }
        return (envelope, ctx) => impl(envelope, { signal: ctx.signal, warehouse: warehouseFor(binding) });
      }
    }
  }

  return {
    /** The timeout and retry policy of each agent, read once at the start of a chain and kept in its history. */
    async agentPolicies(agents: readonly AgentName[]): Promise<Record<string, AgentPolicy>> {
      return Object.fromEntries(agents.map((agent) => [agent, deps.agents.policy(agent)]));
    },

    /**
     * The execution status of each workflow id's latest run (`COMPLETED`, `FAILED`, `RUNNING`, …) or
     * `NOT_FOUND`: what a backfill needs to decide which partitions to run.
     */
    async chainStatuses(workflowIds: readonly string[]): Promise<string[]> {
      return lookupStatuses(Context.current().client, workflowIds);
    },

    /** Delivers one contract-checked payload to the receiving agent and returns its contract-checked reply. */
    async deliverHandoff(req: HandoffRequest): Promise<HandoffResult> {
      const ctx = Context.current();
      const { attempt, activityId, workflowExecution } = ctx.info;
      const binding = deps.agents.binding(req.to);
      // Heartbeats are how a cancelled chain reaches a running call: the SDK then aborts cancellationSignal.
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      try {
        if (binding === undefined) {
          throw new HandoffError(FailureType.AgentRejected, `agent ${req.to} is not bound in agents.yaml`, false);
        }
        const policy = deps.agents.policy(req.to);
        const input = checkContract(req.inputContract, req.payload);
        if (!input.ok)
          throw contractError(
            FailureType.ContractViolation,
            `the ${req.inputContract} payload for ${req.to}`,
            input.issues,
            false,
          );
        const envelope: Envelope = {
          chain_id: req.chainId,
          flow: req.flow,
          step: req.step,
          from: req.from,
          to: req.to,
          ...(req.partition !== undefined ? { partition: req.partition } : {}),
          input_contract: req.inputContract,
          reply_contract: req.replyContract,
          payload: input.value,
        };
        const idempotencyKey = createHash('sha256')
          .update(
            `${workflowExecution?.workflowId ?? req.chainId}\n${workflowExecution?.runId ?? ''}\n${activityId}\n${req.step}`,
          )
          .digest('hex')
          .slice(0, 32);
        const raw = await transportFor(req.to, binding)(envelope, {
          signal: ctx.cancellationSignal,
          timeoutMs: policy.timeoutMs,
          idempotencyKey,
          attempt,
        });
        const { artifacts, reply } = splitArtifacts(raw);
        const checked = checkContract(req.replyContract, reply);
        if (!checked.ok) {
          throw contractError(
            FailureType.InvalidAgentOutput,
            `${req.to}'s ${req.replyContract} reply`,
            checked.issues,
            policy.retryInvalidOutput,
          );
        }
        const written = await writeArtifacts(
          join(deps.outDir, safeName(req.chainId), `${req.step}-${req.to}`),
          artifacts,
        );
        return { payload: checked.value, attempts: attempt, transport: binding.transport, artifacts: written };
      } catch (err) {
        if (err instanceof HandoffError) {
          const detail: HandoffFailureDetail = {
            attempt,
            ...(err.extra.status !== undefined ? { status: err.extra.status } : {}),
            ...(err.extra.issues !== undefined ? { issues: err.extra.issues } : {}),
          };
          throw ApplicationFailure.create({
            type: err.type,
            message: err.message,
            nonRetryable: !err.retryable,
            details: [detail],
            ...(err.extra.nextRetryDelayMs !== undefined ? { nextRetryDelay: err.extra.nextRetryDelayMs } : {}),
          });
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

const HEARTBEAT_MS = 1000;

export type Activities = ReturnType<typeof createActivities>;

function contractError(
  type: FailureType,
  what: string,
  issues: readonly ContractIssue[],
  retryable: boolean,
): HandoffError {
  const list = issues.map((i) => ({ path: i.path, message: i.message }));
  return new HandoffError(
    type,
    `${what} breaks its contract: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    retryable,
    {
      issues: list,
    },
  );
}

/** Separates the optional top-level `artifacts: [{name, content}]` of a reply from the payload it carries. */
function splitArtifacts(raw: unknown): { artifacts: { name: string; content: string }[]; reply: unknown } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('artifacts' in raw))
    return { artifacts: [], reply: raw };
  const { artifacts, ...reply } = raw;
  const list = Array.isArray(artifacts) ? artifacts : [];
  const bad = list.findIndex(
    (a: unknown) =>
      typeof a !== 'object' ||
      a === null ||
      typeof field(a, 'name') !== 'string' ||
      typeof field(a, 'content') !== 'string',
  );
  if (!Array.isArray(artifacts) || bad >= 0) {
    throw new HandoffError(
      FailureType.InvalidAgentOutput,
      `artifacts${bad >= 0 ? `[${bad}]` : ''}: expected a list of {name, content} strings`,
      false,
    );
  }
  return {
    artifacts: list.map((a: unknown) => ({
      name: String(field(a, 'name')),
      content: String(field(a, 'content')),
    })),
    reply,
  };
}

async function writeArtifacts(
  dir: string,
  artifacts: readonly { name: string; content: string }[],
): Promise<ArtifactRef[]> {
  if (artifacts.length === 0) return [];
  await mkdir(dir, { recursive: true });
  return Promise.all(
    artifacts.map(async ({ name, content }) => {
      const path = join(dir, safeName(name));
      await writeFile(path, content, 'utf8');
      return {
        name,
        path,
        bytes: Buffer.byteLength(content, 'utf8'),
        sha256: createHash('sha256').update(content).digest('hex'),
      };
    }),
  );
}

/** A file-system-safe name: workflow ids contain `/`. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._=-]+/g, '_').replace(/^\.+/, '_');
}
