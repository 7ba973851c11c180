import { BUILDER_REPLY, STREAM_REPLY } from './replies.js';

export type BaselineAgent = 'stream' | 'builder';

/** The baseline's one activity: hands a payload to an agent and returns its canned reply, nothing else. */
export const baselineActivities = {
  async handoff(to: BaselineAgent, _payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    return to === 'stream' ? STREAM_REPLY : BUILDER_REPLY;
  },
};

export type BaselineActivities = typeof baselineActivities;
