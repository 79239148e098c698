/**
 * A sink lane delivers a sink's alerts in the order they were submitted, one request at a time,
 * coalescing what waits into the next request; with parking, what the sink cannot take goes to its
 * retry topic in the same order.
 */
import type { SourceRecord } from '../../../functions/runtime/handler';
import type { MatchedAlert } from '../../../functions/log-alerter/rules';
import { LaneItem, LaneOutcome, LaneParking, SinkLane } from '../../../functions/log-alerter/sink-lane';
import type { DeliveryOutcome } from '../../../functions/log-alerter/sinks';

const ACCEPTED: DeliveryOutcome = { kind: 'accepted', status: 200 };
const DOWN: DeliveryOutcome = { kind: 'transient', cause: 'network', detail: 'ECONNREFUSED', retryAfterMs: 0 };

function item(n: number): LaneItem {
  const alert = { labels: { alertname: `a${n}` }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', status: 'firing', fingerprint: `f${n}` } as unknown as MatchedAlert['alert'];
  const record = { topic: 'logs', partition: 0, offset: String(n), key: null, value: null, headers: {}, timestamp: '0' } as SourceRecord;
  return { alert: { rule: `r${n}`, throttleSeconds: 0, alert }, record };
}

/** A sink whose answers are scripted per request; it records each request's alerts. */
function fakeSink(answer: (alerts: readonly string[]) => DeliveryOutcome = () => ACCEPTED) {
  const requests: string[][] = [];
  let open: Array<() => void> = [];
  return {
    requests,
    /** Lets every request sent so far answer. */
    answerAll: () => {
      const now = open;
      open = [];
      now.forEach((f) => f());
    },
    send: (alerts: readonly MatchedAlert[]) =>
      new Promise<DeliveryOutcome>((resolve) => {
        const names = alerts.map((a) => a.alert.labels.alertname);
        requests.push(names);
        open.push(() => resolve(answer(names)));
      }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

async function settle(sink: ReturnType<typeof fakeSink>, outcomes: Array<Promise<LaneOutcome>>): Promise<LaneOutcome[]> {
  for (let i = 0; i < 20; i++) {
    await tick();
    sink.answerAll();
  }
  return Promise.all(outcomes);
}

describe('SinkLane', () => {
  test('alerts submitted while a request is out go together in the next one, in order, up to maxAlerts', async () => {
    const sink = fakeSink();
    const lane = new SinkLane({ send: sink.send, maxAlerts: 3 });
    const first = [lane.submit(item(1))];
    await tick(); // the first alert goes out alone
    const rest = [2, 3, 4, 5, 6].map((n) => lane.submit(item(n)));
    expect(lane.queued).toBe(5);
    const outcomes = await settle(sink, [...first, ...rest]);
    expect(sink.requests).toEqual([['a1'], ['a2', 'a3', 'a4'], ['a5', 'a6']]);
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
  });

  test('a request of several refused for good is re-sent alert by alert: only the bad one is refused', async () => {
    const sink = fakeSink((names) => (names.includes('a2') ? { kind: 'permanent', cause: '400', detail: 'bad alert' } : ACCEPTED));
    const lane = new SinkLane({ send: sink.send, maxAlerts: 10 });
    const outcomes = await settle(sink, [1, 2, 3].map((n) => lane.submit(item(n))));
    expect(sink.requests).toEqual([['a1', 'a2', 'a3'], ['a1'], ['a2'], ['a3']]);
    expect(outcomes.map((o) => o.kind)).toEqual(['accepted', 'permanent', 'accepted']);
  });

  test('without parking, a sink that is down answers each alert with the transient failure', async () => {
    const sink = fakeSink(() => DOWN);
    const lane = new SinkLane({ send: sink.send, maxAlerts: 10 });
    const outcomes = await settle(sink, [1, 2].map((n) => lane.submit(item(n))));
    expect(outcomes).toEqual([DOWN, DOWN]);
  });

  describe('with parking', () => {
    function parkingFake(options: { refuse?: number } = {}) {
      const parked: string[] = [];
      let behind = false;
      const parking: LaneParking = {
        ready: async () => undefined,
        mustPark: () => behind,
        park: async (i, attempts) => {
          if (i.alert.alert.labels.alertname === `a${options.refuse}`) throw new Error('retry topic refused');
          parked.push(`${i.alert.alert.labels.alertname}/${attempts}`);
          behind = true;
        },
      };
      return { parked, parking };
    }

    test('what the sink cannot take is parked, and so is everything after it, in order', async () => {
      let up = true;
      const sink = fakeSink(() => (up ? ACCEPTED : DOWN));
      const { parked, parking } = parkingFake();
      const lane = new SinkLane({ send: sink.send, maxAlerts: 2, parking });
      const outcomes: Array<Promise<LaneOutcome>> = [lane.submit(item(1))];
      await settle(sink, outcomes);
      up = false;
      outcomes.push(...[2, 3, 4, 5].map((n) => lane.submit(item(n))));
      const all = await settle(sink, outcomes);
      // a2+a3 went out and failed (parked with one attempt); a4 and a5 were parked unsent, behind them
      expect(sink.requests).toEqual([['a1'], ['a2', 'a3']]);
      expect(parked).toEqual(['a2/1', 'a3/1', 'a4/0', 'a5/0']);
      expect(all.map((o) => o.kind)).toEqual(['accepted', 'parked', 'parked', 'parked', 'parked']);
      expect(all[1]).toMatchObject({ cause: 'network', attempts: 1 });
    });

    test('an alert the retry topic does not take either, and those after it in the request, are unparked', async () => {
      const sink = fakeSink(() => DOWN);
      const { parked, parking } = parkingFake({ refuse: 2 });
      const lane = new SinkLane({ send: sink.send, maxAlerts: 10, parking });
      const outcomes = await settle(sink, [1, 2, 3].map((n) => lane.submit(item(n))));
      expect(parked).toEqual(['a1/1']);
      expect(outcomes.map((o) => o.kind)).toEqual(['parked', 'unparked', 'unparked']);
      expect(outcomes[1]).toMatchObject({ detail: 'not delivered and not parked: retry topic refused' });
    });
  });

  test('a request that throws is a transient failure of its alerts, and the lane goes on', async () => {
    let calls = 0;
    const lane = new SinkLane({
      send: async () => {
        calls += 1;
        if (calls === 1) throw new Error('template blew up');
        return ACCEPTED;
      },
      maxAlerts: 1,
    });
    const [first, second] = await Promise.all([lane.submit(item(1)), lane.submit(item(2))]);
    expect(first).toMatchObject({ kind: 'transient', detail: 'the request failed: template blew up' });
    expect(second).toEqual(ACCEPTED);
  });

  test('maxAlerts must be a whole number of at least 1', () => {
    expect(() => new SinkLane({ send: async () => ACCEPTED, maxAlerts: 0 })).toThrow('maxAlerts 0');
  });
});
