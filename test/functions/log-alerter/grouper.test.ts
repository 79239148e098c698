/**
 * Grouping for Slack and webhook sinks: one message per group of alerts, with Alertmanager's
 * group_wait and group_interval; the handler sends a grouped webhook one message with the count.
 */
import { AlertSinkSpec, alertSinkProblems, formatSinkProblem } from '../../../functions/contracts/alert-sinks';
import { AlertRuleSpec, EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../../functions/contracts/log-record';
import { ZERO_TIME } from '../../../functions/contracts/alert-sinks';
import { AlertGrouper } from '../../../functions/log-alerter/grouper';
import { slackGroupMessage } from '../../../functions/log-alerter/bodies';
import { alerterSettings, logAlerter } from '../../../functions/log-alerter/workload';
import { loadConfig, readSettings } from '../../../functions/runtime/config';
import { Logger } from '../../../functions/runtime/logger';
import { RuntimeMetrics } from '../../../functions/runtime/metrics';
import { Receiver, genericWebhook, notificationManager } from '../../harness/receivers';

const alert = (fp: string, labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing') => ({
  status,
  labels: { alertname: 'HighErrors', ...labels },
  annotations: { summary: `errors in ${labels.pod ?? fp}` },
  startsAt: ZERO_TIME,
  endsAt: ZERO_TIME,
  generatorURL: '',
  fingerprint: fp,
});

describe('AlertGrouper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('waits groupWait, then sends one message per group with every alert; later alerts wait for groupInterval', () => {
    const sent: Array<{ labels: Record<string, string>; fps: string[] }> = [];
    let now = 0;
    const g = new AlertGrouper({ by: ['alertname', 'namespace'], waitMs: 30_000, intervalMs: 300_000 }, (labels, alerts) => sent.push({ labels, fps: alerts.map((a) => a.fingerprint) }), () => now);
    const advance = (ms: number) => {
      now += ms;
      jest.advanceTimersByTime(ms);
    };
    g.add(alert('a', { namespace: 'shop', pod: 'web-1' }));
    advance(10_000);
    g.add(alert('b', { namespace: 'shop', pod: 'web-2' }));
    g.add(alert('a', { namespace: 'shop', pod: 'web-1' })); // the same alert again: once in the message
    g.add(alert('c', { namespace: 'blog', pod: 'wp-1' }));
    expect(sent).toEqual([]);
    advance(20_000);
    expect(sent).toEqual([{ labels: { alertname: 'HighErrors', namespace: 'shop' }, fps: ['b', 'a'] }]);
    advance(10_000);
    expect(sent.map((s) => s.labels.namespace)).toEqual(['shop', 'blog']);
    // A later alert of the shop group goes out groupInterval after the group's last message
    g.add(alert('d', { namespace: 'shop', pod: 'web-3' })); // at 40 s; the shop message went at 30 s
    advance(289_000);
    expect(sent).toHaveLength(2);
    advance(1000);
    expect(sent[2]).toEqual({ labels: { alertname: 'HighErrors', namespace: 'shop' }, fps: ['d'] });
    expect(g.pending).toBe(0);
  });

  test('a group quiet for a whole interval starts over with groupWait', () => {
    const times: number[] = [];
    let now = 0;
    const g = new AlertGrouper({ by: ['alertname'], waitMs: 1000, intervalMs: 5000 }, () => times.push(now), () => now);
    const advance = (ms: number) => {
      now += ms;
      jest.advanceTimersByTime(ms);
    };
    g.add(alert('a', {}));
    advance(1000);
    advance(6000);
    g.add(alert('b', {}));
    advance(1000);
    expect(times).toEqual([1000, 8000]);
  });

  test('the Slack message of a group says FIRING with the count and lists the alerts', () => {
    const message = slackGroupMessage({ alertname: 'HighErrors' }, [alert('a', { pod: 'web-1' }), alert('b', { pod: 'web-2' }, 'resolved')]);
    expect(message.text).toBe('[FIRING:1] alertname=HighErrors (2 alerts)');
    expect(JSON.stringify(message.blocks)).toContain('• [RESOLVED] errors in web-2');
  });
});

describe('sink grouping: the validator', () => {
  test('names every bad group field', () => {
    const problems = alertSinkProblems([{ type: 'webhook', url: 'http://x', group: { by: [], waitSeconds: -1, intervalSeconds: 0.5, colour: 1 } }]).map(formatSinkProblem);
    expect(problems).toEqual([
      `sink "webhook" (sinks[0]): 'group.colour' (1) is not a group field (by, waitSeconds, intervalSeconds)`,
      `sink "webhook" (sinks[0]): 'group.by' ([]) must be a non-empty list of label names (e.g. ["alertname", "namespace"])`,
      `sink "webhook" (sinks[0]): 'group.waitSeconds' (-1) must be a whole number of seconds from 0 to 3600`,
      `sink "webhook" (sinks[0]): 'group.intervalSeconds' (0.5) must be a whole number of seconds from 1 to 86400`,
    ]);
    expect(alertSinkProblems([{ type: 'alertmanager', url: 'http://am:9093', group: { by: ['alertname'] } }]).map(formatSinkProblem)).toEqual([
      `sink "alertmanager" (sinks[0]): 'group' ({"by":["alertname"]}) is not a field of a alertmanager sink (type, name, timeoutMs, url)`,
    ]);
  });
});

describe('the handler with a grouped webhook', () => {
  let nm: Receiver;
  let hook: Receiver;
  beforeAll(async () => {
    [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
  });
  afterAll(async () => {
    await Promise.all([nm.close(), hook.close()]);
  });

  test('five 404 alerts: Notification Manager gets five, the grouped webhook one message with count 5', async () => {
    const rules: AlertRuleSpec[] = [EXAMPLE_404_RULE];
    const sinks: AlertSinkSpec[] = [{ type: 'notification-manager', url: nm.url }, { type: 'webhook', url: hook.url, group: { by: ['alertname', 'namespace'], waitSeconds: 1 } }];
    const env = { ALERTER_RULES: JSON.stringify(rules), ALERTER_SINKS: JSON.stringify(sinks) };
    const handler = logAlerter.createHandler({
      config: loadConfig({}, logAlerter.defaults),
      settings: readSettings(alerterSettings, env),
      logger: new Logger('error', {}, () => undefined),
      metrics: new RuntimeMetrics('log-alerter', false),
      env,
    });
    for (let i = 0; i < 5; i++) {
      const record = { ...CANONICAL_404_RECORD, log: CANONICAL_404_RECORD.log.replace('/notfound', `/missing-${i}`) };
      const value = Buffer.from(JSON.stringify(record));
      expect(await handler({ topic: 'logs', partition: 0, offset: String(i), key: null, value, headers: {}, timestamp: '0' })).toEqual([]);
    }
    expect(nm.requests).toHaveLength(5);
    expect(hook.requests).toHaveLength(0);
    const [message] = await hook.waitForAccepted(1, 5000);
    expect(message.json).toMatchObject({ status: 'firing', groupLabels: { alertname: '404 Request', namespace: 'demo-project' }, count: 5 });
    expect((message.json as any).alerts.map((a: any) => a.labels.path)).toEqual(['/missing-0', '/missing-1', '/missing-2', '/missing-3', '/missing-4']);
    await new Promise((r) => setTimeout(r, 1200));
    expect(hook.requests).toHaveLength(1);
  });
});
