import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { lookupStatuses } from '../temporal/statuses.js';
import { loadChain } from '../cli/load-chain.js';
import { ApplicationFailure } from '@temporalio/common';
import type { AgentBinding } from '../agents/config.js';
import type { BuiltinAgents } from '../agents/builtin/index.js';
import type { AgentPolicy, AgentRegistry } from '../agents/registry.js';
import { HandoffError, type Envelope, type Transport } from '../agents/transport.js';
import { commandTransport } from '../agents/transports/command.js';
import { httpTransport } from '../agents/transports/http.js';
import { checkContract, type ContractIssue } from '../contracts/index.js';
import {
  attemptFailure,
  carriedFailures,
  FailureType,
  KEPT_ATTEMPT_FAILURES,
  type AttemptFailure,
} from '../identity/index.js';
import type { AgentName, ContractName, FlowName, Party } from '../flows.js';
import { field } from '../field.js';
import { checkPayloadSize } from './payload-size.js';

export interface ActivityDeps {
  readonly agents: AgentRegistry;
  readonly builtins: BuiltinAgents;
  /** Artifacts go under `<outDir>/<chain>/<step>-<agent>/`; the built-in warehouse defaults to `<outDir>/warehouse.duckdb`. */
  readonly outDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Payloads above this many bytes fail the handoff with `PayloadsTooLarge` (no limit if unset). */
  readonly maxPayloadBytes?: number;
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
  /** The agent's binding and policy recorded when the chain started; absent from older chains (then: the live one). */
  readonly policy?: AgentPolicy;
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
  /** The attempts that failed before this one (the last few), oldest first. */
  readonly failures: readonly AttemptFailure[];
}

/** What a failed attempt carries in its ApplicationFailure details, for the chain record. */
export interface HandoffFailureDetail {
  readonly attempt: number;
  readonly status?: number;
  readonly issues?: readonly { path: string; message: string }[];
  /** Every kept failed attempt of this handoff, this one last. */
  readonly failures: readonly AttemptFailure[];
}

/**
 * What each attempt heartbeats. The worker flushes a failed attempt's last heartbeat before reporting the
 * failure (the SDK's worker.ts: "Make sure to flush the last heartbeat"; checked on the dev server, throttling
 * or not), and the server hands it to the next attempt as `heartbeatDetails`: that is how an attempt learns why
 * the ones before it failed, so the chain can record them.
 */
interface AttemptProgress {
  readonly attempt: number;
  readonly failures: readonly AttemptFailure[];
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
          ...(binding.format !== undefined ? { format: binding.format } : {}),
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
        return (envelope, ctx) =>
          impl(envelope, {
            signal: ctx.signal,
            warehouse: warehouseFor(binding),
            outDir: deps.outDir,
            env,
            readChain: async (workflowId) => {
              const loaded = await loadChain(Context.current().client, workflowId);
              return {
                workflowId,
                runId: loaded.runId,
                status: loaded.outcome.status,
                ...(loaded.outcome.state !== undefined ? { state: loaded.outcome.state } : {}),
              };
            },
          });
      }
    }
  }

  return {
    /**
     * Each agent's binding and policy as agents.yaml has them now (re-read if it changed), run once as a chain
     * starts: the result is kept in its history, and all its handoffs use it.
     */
    async agentPolicies(agents: readonly AgentName[]): Promise<Record<string, AgentPolicy>> {
      await deps.agents.refresh();
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
      const binding = req.policy?.binding ?? deps.agents.binding(req.to);
      // A local activity's attempts have no heartbeat to carry (heartbeat() does nothing there, and the SDK
      // delivers cancellation without one): only its last failure is known.
      const local = ctx.info.isLocal;
      const earlier = local ? [] : earlierFailures(ctx.info.heartbeatDetails, attempt);
      const progress: AttemptProgress = { attempt, failures: earlier };
      // A heartbeat is a server round trip: the first attempt has nothing to carry, so it beats only on the
      // interval (a lost first attempt is then recorded as AttemptLost, as before). A retry beats at once, so
      // the failures it carries survive even if it is lost before its first interval.
      if (!local && attempt > 1) ctx.heartbeat(progress);
      // Heartbeats are how a cancelled chain reaches a running call (the SDK then aborts cancellationSignal) and
      // how the server notices a dead worker: several beats fit in the heartbeat timeout.
      const every = Math.min(HEARTBEAT_MS, Math.max(100, (ctx.info.heartbeatTimeoutMs ?? 3 * HEARTBEAT_MS) / 3));
      const beat = local ? undefined : setInterval(() => ctx.heartbeat(progress), every);
      let retryInvalidOutput = false;
      try {
        if (binding === undefined) {
          throw new HandoffError(FailureType.AgentRejected, `agent ${req.to} is not bound in agents.yaml`, false);
        }
        const policy = req.policy ?? deps.agents.policy(req.to);
        retryInvalidOutput = policy.retryInvalidOutput;
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
        checkPayloadSize(`${req.to}'s reply`, reply, deps.maxPayloadBytes);
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
        return {
          payload: checked.value,
          attempts: attempt,
          transport: binding.transport,
          artifacts: written,
          failures: earlier,
        };
      } catch (err) {
        // A cancelled chain's attempt is not a failure of the agent: let the SDK report the cancellation.
        if (ctx.cancellationSignal.aborted) throw err;
        const failure = classify(err, retryInvalidOutput);
        const failures = [
          ...earlier,
          attemptFailure(attempt, failure.type, failure.message, failure.extra.status),
        ].slice(-KEPT_ATTEMPT_FAILURES);
        // Recorded by Temporal as this attempt's last heartbeat: the next attempt starts from it.
        if (!local) ctx.heartbeat({ attempt, failures } satisfies AttemptProgress);
        const detail: HandoffFailureDetail = {
          attempt,
          ...(failure.extra.status !== undefined ? { status: failure.extra.status } : {}),
          ...(failure.extra.issues !== undefined ? { issues: failure.extra.issues } : {}),
          failures,
        };
        throw ApplicationFailure.create({
          type: failure.type,
          message: failure.message,
          nonRetryable: !failure.retryable,
          details: [detail],
          ...(failure.extra.nextRetryDelayMs !== undefined ? { nextRetryDelay: failure.extra.nextRetryDelayMs } : {}),
        });
      } finally {
        if (beat !== undefined) clearInterval(beat);
      }
    },
  };
}

const HEARTBEAT_MS = 1000;

/**
 * Any error of an attempt as a typed one. Invalid output of every kind (not JSON, not YAML, a bad artifacts
 * list, a broken reply contract) is retried exactly when the binding says `retry_invalid_output`; an error no
 * transport classified becomes `HandoffFailed` (retried), so no chain ends as a bare `Error`.
 */
function classify(err: unknown, retryInvalidOutput: boolean): HandoffError {
  if (err instanceof HandoffError) {
    if (err.type !== FailureType.InvalidAgentOutput || err.retryable === retryInvalidOutput) return err;
    return new HandoffError(err.type, err.message, retryInvalidOutput, err.extra);
  }
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return new HandoffError(FailureType.HandoffFailed, `${name}: ${message}`, true);
}

/**
 * The failures of the attempts before `attempt`, from the last heartbeat Temporal recorded. An attempt that
 * left no failure behind (timed out in Temporal, or lost with its worker) is recorded as `AttemptLost`.
 */
function earlierFailures(heartbeat: unknown, attempt: number): AttemptFailure[] {
  if (attempt <= 1) return [];
  const carried = carriedFailures(heartbeat);
  const previous = attempt - 1;
  if (carried.some((f) => f.attempt === previous)) return carried;
  const lost = attemptFailure(
    previous,
    FailureType.AttemptLost,
    `attempt ${previous} ended without a report: Temporal timed it out or its worker was lost`,
  );
  return [...carried, lost].slice(-KEPT_ATTEMPT_FAILURES);
}

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
