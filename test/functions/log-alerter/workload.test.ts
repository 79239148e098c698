/**
 * The log-alerter handler against local HTTP receivers (no Kafka): what is sent where, what a
 * failing sink makes the runtime do (RetryableError, DeadLetter), and that a retry never re-sends
 * to a sink that already accepted. The whole workload on the real broker: test/integration/alerter-*.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { AlertRuleSpec, EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { AlertSinkSpec } from '../../../functions/contracts/alert-sinks';
import { CANONICAL_404_RECORD } from '../../../functions/contracts/log-record';
import { alerterSettings, logAlerter } from '../../../functions/log-alerter/workload';
import { deliver, retryAfterMs } from '../../../functions/log-alerter/sinks';
import { ConfigError, loadConfig, readSettings } from '../../../functions/runtime/config';
import { DeadLetter, Handler, HandlerResult, RetryableError, SourceRecord } from '../../../functions/runtime/handler';
import { Logger } from '../../../functions/runtime/logger';
import { RuntimeMetrics } from '../../../functions/runtime/metrics';
import { Receiver, genericWebhook, notificationManager, slackWebhook } from '../../harness/receivers';

const CANONICAL = Buffer.from(JSON.stringify(CANONICAL_404_RECORD));
let offset = 0;

function recordOf(value: Buffer | string | null, at?: number): SourceRecord {
  return { topic: 'logs', partition: 0, offset: String(at ?? offset++), key: null, value: typeof value === 'string' ? Buffer.from(value) : value, headers: {}, timestamp: '0' };
}

function handlerFor(rules: AlertRuleSpec[], sinks: AlertSinkSpec[], extraEnv: Record<string, string> = {}): { handler: Handler; metrics: RuntimeMetrics } {
  const env = { ALERTER_RULES: JSON.stringify(rules), ALERTER_SINKS: JSON.stringify(sinks), ...extraEnv };
  const metrics = new RuntimeMetrics('log-alerter', false);
  const handler = logAlerter.createHandler({
    config: loadConfig({}, logAlerter.defaults),
    settings: readSettings(alerterSettings, env),
    logger: new Logger('error', {}, () => undefined),
    metrics,
    env,
  });
  return { handler, metrics };
}

async function outcome(handler: Handler, record: SourceRecord): Promise<HandlerResult | RetryableError> {
  try {
    return await handler(record);
  } catch (e) {
    if (e instanceof RetryableError) return e;
    throw e;
  }
}

describe('log-alerter handler', () => {
  let nm: Receiver;
  let slack: Receiver;
  let hook: Receiver;
  let am: Receiver;
  beforeEach(async () => {
    [nm, slack, hook, am] = await Promise.all([notificationManager(), slackWebhook(), genericWebhook(), genericWebhook({ name: 'alertmanager', path: '/api/v2/alerts' })]);
  });
  afterEach(async () => {
    await Promise.all([nm, slack, hook, am].map((r) => r.close()));
  });
  const allSinks = (): AlertSinkSpec[] => [
    { type: 'notification-manager', url: nm.url },
    { type: 'alertmanager', url: am.baseUrl },
    { type: 'slack', urlEnv: 'SLACK_URL' },
    { type: 'webhook', url: hook.url, headers: { 'X-Team': 'web' }, secretHeader: { name: 'Authorization', valueEnv: 'HOOK_TOKEN' } },
  ];
  const secrets = () => ({ SLACK_URL: slack.url, HOOK_TOKEN: 'Bearer s3cret' });

  test('a record no rule matches is handled with nothing sent', async () => {
    const { handler } = handlerFor([EXAMPLE_404_RULE], allSinks(), secrets());
    const other = { ...CANONICAL_404_RECORD, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, namespace_name: 'shop' } };
    expect(await handler(recordOf(JSON.stringify(other)))).toEqual([]);
    expect([nm, am, slack, hook].map((r) => r.requests.length)).toEqual([0, 0, 0, 0]);
  });

  test('the canonical 404 record is delivered to every sink, each in its shape, then handled', async () => {
    // GIVEN all four sinks
    const { handler, metrics } = handlerFor([EXAMPLE_404_RULE], allSinks(), secrets());
    // WHEN the canonical record is handled
    expect(await handler(recordOf(CANONICAL))).toEqual([]);
    // THEN each sink got one request with its body
    const [n] = nm.requests;
    expect(n).toMatchObject({ method: 'POST', path: '/api/v2/alerts' });
    expect((n.json as any).alerts[0].labels).toMatchObject({ alertname: '404 Request', namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-hdn2z', path: '/notfound', method: 'GET' });
    const [a] = am.requests;
    expect(a.path).toBe('/api/v2/alerts');
    expect((a.json as any)[0].labels.alertname).toBe('404 Request');
    expect((slack.requests[0].json as any).text).toBe('[WARNING] 404 Request: HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z');
    const [h] = hook.requests;
    expect(h.headers).toMatchObject({ 'authorization': 'Bearer s3cret', 'x-team': 'web', 'content-type': 'application/json' });
    expect((h.json as any).labels.path).toBe('/notfound');
    const text = await metrics.registry.metrics();
    expect(text).toContain('klaxon_alerter_alerts_matched_total{rule="404 Request",workload="log-alerter"} 1');
    expect(text).toContain('klaxon_alerter_alerts_sent_total{rule="404 Request",sink="slack",workload="log-alerter"} 1');
  });

  test('a sink answering 500 makes the handler ask for a retry; the retry goes only to that sink', async () => {
    const { handler, metrics } = handlerFor([EXAMPLE_404_RULE], allSinks(), secrets());
    slack.failNext(1, { status: 500 });
    const record = recordOf(CANONICAL);
    const first = await outcome(handler, record);
    expect(first).toBeInstanceOf(RetryableError);
    expect((first as RetryableError).message).toBe("sink 'slack': HTTP 500: Internal Server Error");
    expect((first as RetryableError).retryAfterMs).toBe(0);
    // WHEN the runtime calls again with the same record
    expect(await handler(record)).toEqual([]);
    // THEN slack got it on the retry; the others only once
    expect([nm, am, hook].map((r) => r.requests.length)).toEqual([1, 1, 1]);
    expect(slack.requests.map((r) => r.status)).toEqual([500, 200]);
    expect(await metrics.registry.metrics()).toContain('klaxon_alerter_delivery_retries_total{sink="slack",cause="500",workload="log-alerter"} 1');
  });

  test("a 429 with Retry-After asks the runtime to wait that long; a sink that is down or hangs asks for a retry too", async () => {
    const { handler } = handlerFor([EXAMPLE_404_RULE], [{ type: 'notification-manager', url: nm.url, timeoutMs: 300 }]);
    nm.rateLimitNext(1, 7);
    const record = recordOf(CANONICAL);
    expect(await outcome(handler, record)).toEqual(new RetryableError("sink 'notification-manager': HTTP 429: rate_limited", 7000));
    nm.hangNext(1);
    expect(((await outcome(handler, record)) as RetryableError).message).toBe("sink 'notification-manager': no answer within 300 ms");
    await nm.goDown();
    expect(((await outcome(handler, record)) as RetryableError).message).toMatch(/^sink 'notification-manager': ECONNREFUSED: /);
    await nm.comeBack();
    expect(await handler(record)).toEqual([]);
    expect(nm.accepted).toHaveLength(1);
  });

  test('a sink answering 400 does not get the alert again; the others do, then the record is dead-lettered naming the sink', async () => {
    const { handler } = handlerFor([EXAMPLE_404_RULE], allSinks(), secrets());
    slack.failNext(1, { status: 400, body: 'invalid_payload' });
    nm.failNext(1, { status: 503 });
    const record = recordOf(CANONICAL);
    expect(await outcome(handler, record)).toBeInstanceOf(RetryableError); // nm is still owed the alert
    const result = await handler(record);
    expect(result).toEqual(new DeadLetter('sink-rejected:slack', "sink 'slack' (slack) refused alert '404 Request': HTTP 400: invalid_payload"));
    expect(slack.requests).toHaveLength(1);
    expect(nm.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  test('an alert delivered within its throttle window is not sent again; another pod is', async () => {
    const { handler, metrics } = handlerFor([{ ...EXAMPLE_404_RULE, throttleSeconds: 300 }], [{ type: 'notification-manager', url: nm.url }]);
    await handler(recordOf(CANONICAL));
    await handler(recordOf(CANONICAL));
    const otherPod = { ...CANONICAL_404_RECORD, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, pod_name: 'wordpress-v1-f54f697c5-zzzzz' } };
    await handler(recordOf(JSON.stringify(otherPod)));
    expect(nm.requests.map((r) => (r.json as any).alerts[0].labels.pod)).toEqual(['wordpress-v1-f54f697c5-hdn2z', 'wordpress-v1-f54f697c5-zzzzz']);
    expect(await metrics.registry.metrics()).toContain('klaxon_alerter_alerts_throttled_total{rule="404 Request",workload="log-alerter"} 1');
  });

  test('a redirect is not followed (a client following it would re-send the POST as a bodiless GET): the sink refused, naming the target', async () => {
    // GIVEN a webhook URL that answers 301 to a path that would answer 200 to anything
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
      else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { handler } = handlerFor([EXAMPLE_404_RULE], [{ type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/old` }]);
      // WHEN the 404 record is handled
      const result = await handler(recordOf(CANONICAL));
      // THEN it is dead-lettered as refused, and nothing went to the redirect target
      expect(result).toEqual(new DeadLetter('sink-rejected:webhook', "sink 'webhook' (webhook) refused alert '404 Request': HTTP 301 redirect to /new (not followed: set the sink's URL to the target)"));
      expect(seen).toEqual(['POST /old']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a request Node refuses to send (an invalid header value, a scheme other than http/https) is refused for good, not retried forever', async () => {
    const result = await deliver({ url: hook.url, method: 'POST', headers: { 'x-token': 'a\nb' }, body: '{}' }, 1000);
    expect(result).toEqual({ kind: 'permanent', cause: 'invalid-request', detail: 'the request cannot be sent: Invalid character in header content ["x-token"]' });
    expect(await deliver({ url: 'ftp://example.com/x', method: 'POST', headers: {}, body: '{}' }, 1000)).toEqual({
      kind: 'permanent',
      cause: 'invalid-request',
      detail: 'the request cannot be sent: unknown scheme ftp: (use http or https)',
    });
    expect(hook.requests).toHaveLength(0);
  });

  test('deliveries reuse one keep-alive connection', async () => {
    const sockets = new Set<unknown>();
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      req.resume().on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      for (let i = 0; i < 5; i++) expect((await deliver({ url, method: 'POST', headers: {}, body: '{}' }, 1000)).kind).toBe('accepted');
      expect(sockets.size).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('poison records are dead letters, not retries', async () => {
    const { handler } = handlerFor([EXAMPLE_404_RULE], [{ type: 'notification-manager', url: nm.url }], { ALERTER_MAX_RECORD_BYTES: '1024' });
    expect(((await handler(recordOf('not json'))) as DeadLetter).reason).toBe('not-json');
    expect(((await handler(recordOf(Buffer.alloc(2000, 0x7b)))) as DeadLetter).reason).toBe('record-too-large');
    // a well-formed log record no rule could match is still too large (the prefilter does not skip it)
    const huge = JSON.stringify({ ...CANONICAL_404_RECORD, log: 'x'.repeat(2000) });
    expect(((await handler(recordOf(huge))) as DeadLetter).reason).toBe('record-too-large');
    expect(nm.requests).toHaveLength(0);
  });

  test('a log record no rule could match is handled without a promise (the prefilter skipped it unread)', async () => {
    const { handler, metrics } = handlerFor([EXAMPLE_404_RULE], [{ type: 'notification-manager', url: nm.url }]);
    const result = handler(recordOf(JSON.stringify({ ...CANONICAL_404_RECORD, log: 'all fine' })));
    expect(result).toEqual([]);
    expect(await metrics.registry.metrics()).toContain('klaxon_alerter_records_prefiltered_total{workload="log-alerter"} 1');
  });
});

describe('log-alerter configuration', () => {
  const create = (env: Record<string, string>) => () => {
    const settings = readSettings(alerterSettings, env);
    return logAlerter.createHandler({ config: loadConfig({}), settings, logger: new Logger('error', {}, () => undefined), metrics: new RuntimeMetrics('t', false), env });
  };

  test('fails if ALERTER_RULES is not JSON or holds a bad rule', () => {
    expect(create({ ALERTER_RULES: '[' })).toThrow(ConfigError);
    try {
      create({ ALERTER_RULES: JSON.stringify([{ name: 'x', match: { pod: '[' } }]) })();
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        `ALERTER_RULES="[{\\"name\\":\\"x\\",\\"match\\":{\\"pod\\":\\"[\\"}}]": rule "x" (rules[0]): 'match.pod' ("[") is not a valid regular expression: Invalid regular expression: /[/: Unterminated character class (JSON array of alert rules (functions/contracts/alert-rules.ts))`,
      ]);
    }
    expect.assertions(2);
  });

  test("ALERTER_SINK_RETRY is 'topics' (what the LogAlerter renders) or 'in-place' (the default when unset); anything else fails naming the value", () => {
    expect(readSettings(alerterSettings, {}).sinkRetry).toBe('in-place');
    expect(readSettings(alerterSettings, { ALERTER_SINK_RETRY: 'topics' }).sinkRetry).toBe('topics');
    expect(() => readSettings(alerterSettings, { ALERTER_SINK_RETRY: 'queue' })).toThrow(ConfigError);
    try {
      readSettings(alerterSettings, { ALERTER_SINK_RETRY: 'queue' });
    } catch (e) {
      expect((e as ConfigError).problems.join('\n')).toContain('ALERTER_SINK_RETRY="queue"');
      expect((e as ConfigError).problems.join('\n')).toContain("must be 'topics' or 'in-place'");
    }
    expect.assertions(5);
  });

  test('fails if rules or sinks are missing, or a sink secret variable is not set', () => {
    expect(() => create({})()).toThrow(
      new ConfigError(['ALERTER_RULES is not set: give at least one rule (a JSON array)', 'ALERTER_SINKS is not set: give at least one sink (a JSON array)']),
    );
    expect(() => create({ ALERTER_RULES: JSON.stringify([EXAMPLE_404_RULE]), ALERTER_SINKS: '[{"type":"slack","urlEnv":"SLACK_URL"}]' })()).toThrow(
      new ConfigError([
        "ALERTER_SINKS: sink \"slack\" (sinks[0]): 'urlEnv' (\"SLACK_URL\") names an environment variable that is not set; the Deployment fills it from a Secret key (is the Secret there?)",
      ]),
    );
  });
});

describe('Retry-After', () => {
  test('seconds or an HTTP date, in ms, capped at 5 minutes; absent or past is 0', () => {
    const now = Date.parse('2026-11-23T08:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Mon, 23 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('3600', now)).toBe(300_000);
    expect(retryAfterMs(null, now)).toBe(0);
    expect(retryAfterMs('Mon, 23 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBe(0);
    // the obsolete HTTP-date forms are GMT too (asctime says no zone; read in the local one it is off outside UTC)
    expect(retryAfterMs('Monday, 23-Nov-26 08:00:20 GMT', now)).toBe(20_000);
    expect(retryAfterMs('Mon Nov 23 08:00:10 2026', now)).toBe(10_000);
    // more seconds than a number holds is still capped, not 0
    expect(retryAfterMs('9'.repeat(400), now)).toBe(300_000);
  });
});
