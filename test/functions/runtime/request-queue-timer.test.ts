/**
 * kafkajs's request queue with its idle timers quieted: no timer while nothing waits, kafkajs's own
 * timers while requests wait or a throttle is on.
 */
import * as fs from 'fs';
import { KAFKAJS_VERSION_CHECKED, quietRequestQueueTimers, requestQueueClass } from '../../../functions/runtime/request-queue-timer';

type Queue = { throttledUntil: number; throttleCheckTimeoutId: unknown; pending: unknown[]; checkPendingRequests: jest.Mock; scheduleCheckPendingRequests(): void };

function queue(pending: number, throttledForMs: number): Queue {
  const q = Object.create(requestQueueClass().prototype) as Queue;
  Object.assign(q, { throttledUntil: throttledForMs > 0 ? Date.now() + throttledForMs : -1, throttleCheckTimeoutId: null, pending: Array.from({ length: pending }), checkPendingRequests: jest.fn() });
  return q;
}

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

test('the installed kafkajs is the release the replacement was written against', () => {
  const installed = JSON.parse(fs.readFileSync(require.resolve('kafkajs/package.json'), 'utf8')).version;
  expect(installed).toBe(KAFKAJS_VERSION_CHECKED);
});

test('as kafkajs ships it, an empty unthrottled queue re-arms a timer on every check (the 1 ms loop)', () => {
  // GIVEN kafkajs's own method (a fresh copy of the module's class, not yet quieted)
  let stock = requestQueueClass();
  jest.isolateModules(() => (stock = requestQueueClass()));
  const q = Object.assign(Object.create(stock.prototype), { throttledUntil: -1, throttleCheckTimeoutId: null, pending: [], checkPendingRequests: jest.fn() });
  // WHEN
  q.scheduleCheckPendingRequests();
  // THEN a timer is armed although nothing waits
  expect(q.throttleCheckTimeoutId).not.toBeNull();
  jest.advanceTimersByTime(1);
  expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
});

describe('quieted', () => {
  beforeAll(() => quietRequestQueueTimers());

  test('an empty, unthrottled queue arms no timer', () => {
    const q = queue(0, 0);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  test('pending requests without a throttle are checked after 10 ms, as kafkajs does', () => {
    const q = queue(2, 0);
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(9);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  test('a throttled queue, empty or not, is checked when the throttle ends', () => {
    for (const pending of [0, 3]) {
      const q = queue(pending, 250);
      q.scheduleCheckPendingRequests();
      jest.advanceTimersByTime(249);
      expect(q.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    }
  });

  test('a timer already armed is kept, and quieting twice changes nothing', () => {
    const q = queue(1, 0);
    q.scheduleCheckPendingRequests();
    const first = q.throttleCheckTimeoutId;
    const method = requestQueueClass().prototype.scheduleCheckPendingRequests;
    quietRequestQueueTimers();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBe(first);
    expect(requestQueueClass().prototype.scheduleCheckPendingRequests).toBe(method);
  });
});
