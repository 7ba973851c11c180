import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineUpdate,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { checkCommandRequest } from '../events/command-check.js';
import type { CommandRequest } from '../events/domain.js';
import type { EventActivities } from '../events/activities.js';
import type { EventRef } from '../events/store.js';
import { FailureType } from '../identity/index.js';

export interface OrderAggregateInput {
  /** `order/<id>`. */
  readonly streamId: string;
  /** Continue as new after this many commands (default 500); the store's command ids keep retries exact across runs. */
  readonly commandsPerRun?: number;
  /** Close after this long without a command (default 10 minutes); the next command starts it again. */
  readonly idleTimeout?: string;
}

/** A command the store took: its events' positions (`duplicate` when this command id had appended before). */
export interface CommandResult {
  readonly streamId: string;
  readonly commandId: string;
  readonly outcome: 'appended' | 'duplicate';
  readonly events: EventRef[];
}

/**
 * The update every order command arrives by. Its validator checks the command against its contract before anything
 * is written to history (a malformed command is rejected and leaves no trace); the handler's result, or the shop's
 * refusal (`CommandRejected`), goes back to the caller.
 */
export const orderCommandUpdate = defineUpdate<CommandResult, [CommandRequest]>('command');

/**
 * A local activity: one short transaction, run by the worker inside the workflow task, so a command costs one
 * round trip to the server instead of three. If the worker dies mid-command the task is retried elsewhere and the
 * command runs again, which the store's command-id record makes harmless.
 */
const { handleOrderCommand } = proxyLocalActivities<EventActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', nonRetryableErrorTypes: ['NoEventStore'] },
});

/**
 * One order's command handler: commands run one at a time in arrival order (per-aggregate ordering); other orders
 * have their own workflows, so they run in parallel. Each command is one activity that dedups by command id, folds
 * the stream, decides and appends in one transaction. The Update id is the command id too, so a retried update
 * within a run attaches to the first; after continue-as-new, the store's record of command ids does the same.
 * Changes to the handler alter histories of aggregates in flight: guard them with patched().
 */
export async function orderAggregate(input: OrderAggregateInput): Promise<{ commands: number }> {
  const perRun = input.commandsPerRun ?? 500;
  let accepted = 0;
  let handled = 0;
  let tail: Promise<unknown> = Promise.resolve();
  setHandler(
    orderCommandUpdate,
    async (raw) => {
      accepted += 1;
      const request = contractChecked(raw);
      const turn = tail.then(() =>
        handleOrderCommand({ streamId: input.streamId, request, correlationId: workflowInfo().workflowId }),
      );
      tail = turn.catch(() => undefined);
      const outcome = await turn;
      handled += 1;
      setCurrentDetails(`**${input.streamId}**: ${handled} commands handled in this run`);
      if (outcome.outcome === 'rejected')
        throw ApplicationFailure.nonRetryable(outcome.reason, FailureType.CommandRejected, {
          streamId: input.streamId,
          commandId: request.commandId,
        });
      return { streamId: input.streamId, commandId: request.commandId, ...outcome };
    },
    {
      validator: (raw) => void contractChecked(raw),
    },
  );
  for (;;) {
    const seen = accepted;
    const woke = await condition(
      () => accepted !== seen || accepted >= perRun || workflowInfo().continueAsNewSuggested,
      input.idleTimeout ?? '10 minutes',
    );
    if (!woke || accepted >= perRun || workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  if (accepted >= perRun || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof orderAggregate>(input);
  return { commands: accepted };
}

/** The command as its contract has it (checkCommandRequest, no zod in the sandbox), or a ContractViolation. */
function contractChecked(raw: unknown): CommandRequest {
  const checked = checkCommandRequest(raw);
  if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.issues.join('; '), FailureType.ContractViolation);
  return checked.value;
}
