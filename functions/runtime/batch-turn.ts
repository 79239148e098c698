/**
 * One eachBatch call of the Kafka loop: whether to go on, and heartbeats that notice a lost group
 * membership instead of ignoring it (see the module comment of worker.ts).
 */
import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from './logger';
import { errorTypes } from './retry';

/**
 * Kafka errors of a heartbeat that mean this member must rejoin the group before going on (the
 * errors kafkajs's runner answers with a rejoin).
 */
export const MEMBERSHIP_ERRORS: ReadonlySet<string> = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR_FOR_GROUP', 'UNKNOWN_MEMBER_ID']);

/** True when `error` says the member must rejoin its group (see MEMBERSHIP_ERRORS). */
export function isMembershipError(error: unknown): boolean {
  return errorTypes(error).some((t) => MEMBERSHIP_ERRORS.has(t));
}

/**
 * One eachBatch call: whether to go on, and heartbeats that notice a lost membership instead of
 * ignoring it.
 */
export class BatchTurn {
  /** The heartbeat error that ended the turn: the group is rebalancing or this member is gone. */
  lost: Error | undefined;

  constructor(
    readonly payload: EachBatchPayload,
    private readonly stopping: AbortSignal,
    private readonly log: Logger,
  ) {}

  /** False once the worker stops, kafkajs stops or seeks, or the membership is lost. */
  active(): boolean {
    return this.lost === undefined && this.payload.isRunning() && !this.payload.isStale() && !this.stopping.aborted;
  }

  /** A heartbeat (kafkajs throttles it to the interval). Other failures (broker down) are logged: waiting goes on. */
  async heartbeat(): Promise<void> {
    try {
      await this.payload.heartbeat();
    } catch (e) {
      if (isMembershipError(e)) {
        if (this.lost === undefined) this.log.info('group membership lost while waiting; leaving the batch to rejoin', { error: e });
        this.lost ??= e as Error;
      } else {
        this.log.debug('heartbeat while waiting failed', { error: e });
      }
    }
  }
}
