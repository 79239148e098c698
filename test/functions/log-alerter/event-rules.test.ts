/**
 * Event rules: the shared validator, reading Events in every source format, counting a repeating
 * Event by its own count, and the alerter handler on the events input against local receivers
 * (the handler's timer resolves a threshold alert once its window empties).
 */
import { AlertRuleSpec, alertRuleProblems, formatRuleProblem } from '../../../functions/contracts/alert-rules';
import { AlertableEvent } from '../../../functions/contracts/event-rules';
import { EventCounts, buildEventAlert, compileEventRules, matchEvent, parseAlertableEvent } from '../../../functions/log-alerter/events';
import { alerterSettings, logAlerter } from '../../../functions/log-alerter/workload';
import { loadConfig, readSettings } from '../../../functions/runtime/config';
import { DeadLetter, Handler, SourceRecord } from '../../../functions/runtime/handler';
import { Logger } from '../../../functions/runtime/logger';
import { RuntimeMetrics } from '../../../functions/runtime/metrics';
import { Receiver, genericWebhook, notificationManager } from '../../harness/receivers';

const BACKOFF: AlertRuleSpec = {
  name: 'PodCrashLooping',
  severity: 'critical',
  event: { types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'], message: 'Back-off restarting failed container (?<container>\\S+)' },
  threshold: { count: 3, windowSeconds: 600 },
  labels: { container: '{{group.container}}' },
  summary: '{{name}} restarted {{count}} times',
};

function problems(rules: unknown, input?: 'logs' | 'events'): string[] {
  return alertRuleProblems(rules, input).map(formatRuleProblem);
}

/** A core/v1 Event of a crash-looping pod, as eventrouter writes it. */
function backOff(count: number, at = new Date()): string {
  const event = {
    metadata: { name: 'web-1.17f', namespace: 'shop', uid: 'ev-1', resourceVersion: String(100 + count) },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'pod-1' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web-1_shop(pod-1)',
    source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: at.toISOString(),
    lastTimestamp: at.toISOString(),
    count,
    type: 'Warning',
  };
  return JSON.stringify({ verb: count === 1 ? 'ADDED' : 'UPDATED', event });
}

describe('event rules: the validator', () => {
  test('a BackOff rule with threshold is valid, for the events input only', () => {
    expect(problems([BACKOFF])).toEqual([]);
    expect(problems([BACKOFF], 'events')).toEqual([]);
    expect(problems([BACKOFF], 'logs')).toEqual([
      `rule "PodCrashLooping" (rules[0]): 'event' (${JSON.stringify(BACKOFF.event)}) makes this an event rule, but this alerter reads logs`,
    ]);
  });

  test('names every bad field of an event rule', () => {
    const bad = {
      name: 'x',
      event: { reasons: [], reason: 'Back(', kinds: 'Pod', colour: 'red' },
      threshold: { count: 0, windowSeconds: 1.5 },
      forSeconds: -1,
      labels: { kind: '{{kind}}', node: '{{field.host}}' },
      summary: '{{group.nope}} {{pod}}',
    };
    expect(problems([bad])).toEqual([
      `rule "x" (rules[0]): 'event.colour' ("red") is not an event condition (types, reasons, reason, kinds, namespaces, name, message, components)`,
      `rule "x" (rules[0]): 'event.reasons' ([]) must be a non-empty list of non-empty names (leave it out to match any)`,
      `rule "x" (rules[0]): 'event.kinds' ("Pod") must be a non-empty list of non-empty names (leave it out to match any)`,
      `rule "x" (rules[0]): 'event.reason' ("Back(") is given with 'reasons': use the list for exact reasons or the pattern, not both`,
      `rule "x" (rules[0]): 'event.reason' ("Back(") is not a valid regular expression: Invalid regular expression: /Back(/: Unterminated group`,
      `rule "x" (rules[0]): 'threshold.count' (0) must be a whole number from 1 to 1000000`,
      `rule "x" (rules[0]): 'threshold.windowSeconds' (1.5) must be a whole number of seconds from 1 to 604800 (one week)`,
      `rule "x" (rules[0]): 'forSeconds' (-1) must be a whole number of seconds from 0 to 604800 (one week)`,
      `rule "x" (rules[0]): 'labels.kind' ("{{kind}}") sets 'kind', which the alerter sets itself (alertname, severity, namespace, kind, name); use 'name'/'severity' or another label name`,
      `rule "x" (rules[0]): 'labels.node' ("{{field.host}}") uses unknown placeholder {{field.host}}; known: {{rule}}, {{severity}}, {{namespace}}, {{kind}}, {{name}}, {{reason}}, {{message}}, {{type}}, {{component}}, {{node}}, {{count}}, {{time}}, {{group.<name>}}`,
      `rule "x" (rules[0]): 'summary' ("{{group.nope}} {{pod}}") uses {{group.nope}} but 'event.message' has no named group 'nope' (it has none)`,
      `rule "x" (rules[0]): 'summary' ("{{group.nope}} {{pod}}") uses unknown placeholder {{pod}}; known: {{rule}}, {{severity}}, {{namespace}}, {{kind}}, {{name}}, {{reason}}, {{message}}, {{type}}, {{component}}, {{node}}, {{count}}, {{time}}, {{group.<name>}}`,
    ]);
  });

  test("refuses 'match' with 'event', an empty event condition, 'for' without threshold, and a throttle with a threshold", () => {
    expect(problems([{ name: 'a', match: { log: 'x' }, event: { types: ['Warning'] } }])).toEqual([
      `rule "a" (rules[0]): 'event' ({"types":["Warning"]}) is given with 'match': a rule reads either log records ('match') or Events ('event'), not both`,
    ]);
    expect(problems([{ name: 'b', event: {} }])).toEqual([
      `rule "b" (rules[0]): 'event' ({}) has no condition: the rule would fire for every Event; give at least one of types, reasons, reason, kinds, namespaces, name, message, components`,
    ]);
    expect(problems([{ name: 'c', match: { log: 'x' }, forSeconds: 60 }])).toEqual([
      `rule "c" (rules[0]): 'forSeconds' (60) needs a 'threshold': without one every occurrence alerts and nothing is pending or firing`,
    ]);
    expect(problems([{ name: 'd', match: { log: 'x' }, threshold: { count: 5, windowSeconds: 60 }, throttleSeconds: 60 }])).toEqual([
      `rule "d" (rules[0]): 'throttleSeconds' (60) is given with 'threshold': a threshold rule fires once per episode and repeats by 'repeatIntervalSeconds'; remove the throttle`,
    ]);
  });
});

describe('reading Events', () => {
  const core = JSON.parse(backOff(4)).event;

  test('reads eventrouter, kube-eventer, core/v1 and events.k8s.io/v1 records alike', () => {
    const expected: Partial<AlertableEvent> = { id: 'ev-1', type: 'Warning', reason: 'BackOff', kind: 'Pod', namespace: 'shop', name: 'web-1', component: 'kubelet', node: 'node-a', count: 4 };
    const kubeEventer = JSON.stringify({ EventValue: JSON.stringify(core, null, ' '), EventTimestamp: core.lastTimestamp, EventTags: { eventID: 'ev-1' } });
    const v1 = {
      metadata: core.metadata,
      regarding: core.involvedObject,
      reason: 'BackOff',
      note: core.message,
      type: 'Warning',
      reportingController: 'kubelet',
      deprecatedSource: { host: 'node-a' },
      series: { count: 4, lastObservedTime: core.lastTimestamp },
    };
    for (const value of [backOff(4, new Date(core.lastTimestamp)), kubeEventer, JSON.stringify(core), JSON.stringify(v1)]) {
      const e = parseAlertableEvent(Buffer.from(value), 1 << 20) as AlertableEvent;
      expect(e).toMatchObject(expected);
      expect(e.message).toBe(core.message);
      expect(e.timeMs).toBe(Date.parse(core.lastTimestamp));
    }
  });

  test('dead-letters what is not an Event', () => {
    expect((parseAlertableEvent(Buffer.from('nope'), 100) as DeadLetter).reason).toBe('not-json');
    expect((parseAlertableEvent(Buffer.from('{"log":"x"}'), 100) as DeadLetter).reason).toBe('wrong-shape');
    expect((parseAlertableEvent(Buffer.from(backOff(1)), 10) as DeadLetter).reason).toBe('record-too-large');
  });

  test('a repeating Event counts by the rise of its count; a resync with the same count adds nothing', () => {
    const counts = new EventCounts();
    const e = (count: number) => parseAlertableEvent(backOff(count), 1 << 20) as AlertableEvent;
    expect([1, 2, 2, 5, 4].map((c) => counts.rise(e(c)))).toEqual([1, 1, 0, 3, 0]);
  });

  test('matches conditions and builds labels alertname, severity, namespace, kind, name and the rule labels', () => {
    const [rule] = compileEventRules([BACKOFF]);
    const event = parseAlertableEvent(backOff(3), 1 << 20) as AlertableEvent;
    const groups = matchEvent(rule, event)!;
    expect(groups).toEqual({ container: 'app' });
    const alert = buildEventAlert(BACKOFF, event, groups, { now: new Date() });
    expect(alert.labels).toEqual({ alertname: 'PodCrashLooping', severity: 'critical', namespace: 'shop', kind: 'Pod', name: 'web-1', container: 'app' });
    expect(alert.annotations.summary).toBe('web-1 restarted 3 times');
    for (const miss of [{ types: ['Normal'] }, { reason: 'Back' }, { kinds: ['Node'] }, { namespaces: ['other'] }, { name: 'web' }, { components: ['kube-scheduler'] }]) {
      expect(matchEvent(compileEventRules([{ ...BACKOFF, event: miss }])[0], event)).toBeUndefined();
    }
    expect(matchEvent(compileEventRules([{ ...BACKOFF, event: { reason: 'Back.*', name: 'web-\\d' } }])[0], event)).toEqual({});
  });
});

describe('the alerter on the events input', () => {
  let nm: Receiver;
  let hook: Receiver;
  let handler: Handler;
  let offset = 0;
  const record = (value: string): SourceRecord => ({ topic: 'cluster-events', partition: 0, offset: String(offset++), key: null, value: Buffer.from(value), headers: {}, timestamp: '0' });
  beforeAll(async () => {
    [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
    const rules: AlertRuleSpec[] = [{ ...BACKOFF, threshold: { count: 3, windowSeconds: 2 } }];
    const env = {
      ALERTER_INPUT: 'events',
      ALERTER_RULES: JSON.stringify(rules),
      ALERTER_SINKS: JSON.stringify([{ type: 'notification-manager', url: nm.url }, { type: 'webhook', url: hook.url }]),
    };
    handler = logAlerter.createHandler({
      config: loadConfig({}, logAlerter.defaults),
      settings: readSettings(alerterSettings, env),
      logger: new Logger('error', {}, () => undefined),
      metrics: new RuntimeMetrics('event-alerter', false),
      env,
    });
  });
  afterAll(async () => {
    await Promise.all([nm.close(), hook.close()]);
  });

  test('one Event whose count rises fires once at count 3, not at 2, then resolves after its window', async () => {
    expect(await handler(record(backOff(1)))).toEqual([]);
    expect(await handler(record(backOff(2)))).toEqual([]);
    expect(await handler(record(backOff(2)))).toEqual([]);
    expect(nm.requests).toHaveLength(0);
    expect(await handler(record(backOff(3)))).toEqual([]);
    expect(await handler(record(backOff(4)))).toEqual([]);
    const [firing] = nm.requests.map((r) => r.json as any);
    expect(nm.requests).toHaveLength(1);
    expect(firing.status).toBe('firing');
    expect(firing.alerts[0].labels).toMatchObject({ alertname: 'PodCrashLooping', name: 'web-1' });
    expect(Date.parse(firing.alerts[0].endsAt)).toBeGreaterThan(Date.now());
    expect((hook.requests[0].json as any).status).toBe('firing');
    // No new Events: the window (2 s) empties, the timer resolves it on both sinks.
    const deadline = Date.now() + 6000;
    while ((nm.requests.length < 2 || hook.requests.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const resolved = nm.requests[1].json as any;
    expect(resolved.status).toBe('resolved');
    expect(resolved.alerts[0].fingerprint).toBe(firing.alerts[0].fingerprint);
    expect(Date.parse(resolved.alerts[0].endsAt)).toBeLessThanOrEqual(Date.now());
    expect((hook.requests[1].json as any).status).toBe('resolved');
    expect(nm.requests).toHaveLength(2);
  });
});
