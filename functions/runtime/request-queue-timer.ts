/**
 * kafkajs 2.2.4's RequestQueue (one per broker connection) re-arms a timer after every check of its
 * pending queue, also when nothing is pending and no throttle is on: the timer then gets a negative
 * delay, Node runs it after 1 ms, the check re-arms it, and every connection wakes a thousand times
 * a second for as long as it lives (on Node 24 with a TimeoutNegativeWarning on the first one).
 * Measured on this machine: an idle kafkajs consumer used 433 ms of CPU per 10 s as shipped, 27-34 ms
 * with `quietRequestQueueTimers()`.
 *
 * What stays kafkajs's own behaviour: a queue holding pending requests is checked when its throttle
 * ends, or every 10 ms (its CHECK_PENDING_REQUESTS_INTERVAL) while requests wait for in-flight
 * slots; a throttled empty queue is checked when the throttle ends; a pushed request that can go is
 * sent at once, and a fulfilled or timed-out request checks the queue at once. Only the empty,
 * unthrottled case arms no timer: nothing can become sendable in it without a push or a response,
 * and both check the queue themselves.
 */

/** The part of kafkajs's RequestQueue this module reads and replaces. */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL (src/network/requestQueue/index.js). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The kafkajs release whose RequestQueue this was written against (test/functions/runtime/request-queue-timer.test.ts checks it). */
export const KAFKAJS_VERSION_CHECKED = '2.2.4';

const QUIET = Symbol.for('klaxon.quietRequestQueueTimers');

/** The RequestQueue class kafkajs connections use. */
export function requestQueueClass(): { prototype: RequestQueueInternals } {
  // kafkajs does not export it; the bundle resolves this to the same module its connections load.
  return require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
}

/** Replaces RequestQueue#scheduleCheckPendingRequests once per process (idempotent). */
export function quietRequestQueueTimers(): void {
  const proto = requestQueueClass().prototype as RequestQueueInternals & { [QUIET]?: true };
  if (proto[QUIET] || typeof proto.scheduleCheckPendingRequests !== 'function') return;
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId) return;
    const throttledFor = this.throttledUntil - Date.now();
    if (this.pending.length === 0 && throttledFor <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS);
  };
  Object.defineProperty(proto, QUIET, { value: true });
}
