import { AlertRuleSpec, EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD, ContainerLogRecord, EXAMPLE_CRI_404_RECORD } from '../../../functions/contracts/log-record';
import { DeadLetter } from '../../../functions/runtime/handler';
import { Throttle, compileRules, evaluate, fingerprint, parseLogRecord, recordTime } from '../../../functions/log-alerter/rules';

const NOW = new Date('2026-11-23T08:00:00.000Z');
const CANONICAL_BYTES = Buffer.from(JSON.stringify(CANONICAL_404_RECORD));

function fire(record: ContainerLogRecord, ...rules: AlertRuleSpec[]) {
  return evaluate(record, compileRules(rules), { now: NOW });
}

function withK8s(patch: Partial<ContainerLogRecord['kubernetes']>, log = CANONICAL_404_RECORD.log): ContainerLogRecord {
  return { ...CANONICAL_404_RECORD, log, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, ...patch } };
}

describe('the 404 rule of the seed', () => {
  test('the canonical 404 record fires the 404 rule with the labels and annotations the seed asks for', () => {
    // GIVEN the canonical record as bytes on the logs topic
    const record = parseLogRecord(CANONICAL_BYTES, 1024 * 1024) as ContainerLogRecord;
    // WHEN the seed's rule is evaluated
    const alerts = fire(record, EXAMPLE_404_RULE);
    // THEN one alert: alertname, severity, namespace, pod, container, method and path
    expect(alerts).toHaveLength(1);
    expect(alerts[0].rule).toBe('404 Request');
    expect(alerts[0].alert).toEqual({
      status: 'firing',
      labels: {
        alertname: '404 Request',
        severity: 'warning',
        namespace: 'demo-project',
        pod: 'wordpress-v1-f54f697c5-hdn2z',
        container: 'container-nrdsp1',
        method: 'GET',
        path: '/notfound',
      },
      annotations: {
        summary: 'HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z',
        description: '*.*.*.* - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"',
      },
      startsAt: '2021-08-25T01:54:37.227Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: fingerprint(alerts[0].alert.labels),
    });
  });

  test('the same 404 line shipped from a containerd node (CRI record) fires the rule too', () => {
    expect(fire(EXAMPLE_CRI_404_RECORD, EXAMPLE_404_RULE).map((a) => a.alert.labels.path)).toEqual(['/notfound']);
  });

  test('another namespace does not fire', () => {
    expect(fire(withK8s({ namespace_name: 'shop' }), EXAMPLE_404_RULE)).toEqual([]);
  });

  test('another pod does not fire (the pod pattern must match the whole name)', () => {
    expect(fire(withK8s({ pod_name: 'mysql-v1-f54f697c5-hdn2z' }), EXAMPLE_404_RULE)).toEqual([]);
    expect(fire(withK8s({ pod_name: 'old-wordpress-v1-f54f697c5-hdn2z' }), EXAMPLE_404_RULE)).toEqual([]);
  });

  test('a 200 line or a 404 only in the size field does not fire', () => {
    expect(fire(withK8s({}, '1.2.3.4 - - [25/Aug/2021:01:54:36 +0000] "GET / HTTP/1.1" 200 404 "-" "curl/7.58.0"\n'), EXAMPLE_404_RULE)).toEqual([]);
  });
});

describe('match conditions', () => {
  const base: AlertRuleSpec = { name: 'r', match: {} };

  test('containers and stream must match when given; a record without stream never matches a stream rule', () => {
    const rule = { ...base, match: { containers: ['app'], stream: 'stderr' as const } };
    const record = { ...EXAMPLE_CRI_404_RECORD, stream: 'stderr' as const, kubernetes: { ...EXAMPLE_CRI_404_RECORD.kubernetes, container_name: 'app' } };
    expect(fire(record, rule)).toHaveLength(1);
    expect(fire({ ...record, stream: 'stdout' }, rule)).toEqual([]);
    expect(fire({ ...record, kubernetes: { ...record.kubernetes, container_name: 'sidecar' } }, rule)).toEqual([]);
    expect(fire(withK8s({ container_name: 'app' }), rule)).toEqual([]); // the canonical record has no stream
  });

  test('fields match log_processed exactly, by dot path: 404 the number, not "404" the text', () => {
    const rule = { ...base, match: { fields: { 'status': 404, 'http.method': 'GET' } } };
    const json = (log_processed: Record<string, unknown>): ContainerLogRecord => ({ ...CANONICAL_404_RECORD, log: JSON.stringify(log_processed), log_processed });
    expect(fire(json({ status: 404, http: { method: 'GET' } }), rule)).toHaveLength(1);
    expect(fire(json({ status: '404', http: { method: 'GET' } }), rule)).toEqual([]);
    expect(fire(json({ status: 404, http: { method: 'POST' } }), rule)).toEqual([]);
    expect(fire(CANONICAL_404_RECORD, rule)).toEqual([]); // no log_processed at all
  });

  test('every rule that matches raises its own alert, in rule order', () => {
    const a = { ...base, name: 'a', match: { namespaces: ['demo-project'] } };
    const b = { ...base, name: 'b', severity: 'critical' as const, match: { log: 'curl' } };
    expect(fire(CANONICAL_404_RECORD, a, b).map((m) => [m.rule, m.alert.labels.severity])).toEqual([
      ['a', 'warning'],
      ['b', 'critical'],
    ]);
  });
});

describe('templates', () => {
  test('placeholders render record fields, named groups and log_processed fields; absent values render empty', () => {
    const rule: AlertRuleSpec = {
      name: 'slow',
      match: { log: 'took (?<ms>\\d+)ms' },
      labels: { node: '{{node}}', user: '{{field.user.id}}', tier: 'web' },
      summary: '{{rule}}/{{severity}}: {{namespace}} {{pod}} {{container}} {{image}} {{node}} {{stream}} {{time}} {{group.ms}} [{{field.missing}}]',
      description: '{{log}}',
    };
    const record: ContainerLogRecord = {
      ...EXAMPLE_CRI_404_RECORD,
      log: 'request took 1234ms',
      log_processed: { user: { id: 7 } },
    };
    const [m] = fire(record, rule);
    expect(m.alert.labels).toEqual({
      alertname: 'slow',
      severity: 'warning',
      namespace: 'demo-project',
      pod: 'wordpress-v1-f54f697c5-hdn2z',
      container: 'container-nrdsp1',
      node: 'worker-1',
      user: '7',
      tier: 'web',
    });
    expect(m.alert.annotations).toEqual({
      summary:
        'slow/warning: demo-project wordpress-v1-f54f697c5-hdn2z container-nrdsp1 docker.io/library/wordpress:4.8-apache worker-1 stdout 2021-08-25T01:54:37.226757612Z 1234 []',
      description: 'request took 1234ms',
    });
  });

  test('a field placeholder or field match reads only the JSON keys of log_processed, never inherited ones', () => {
    const rule: AlertRuleSpec = { name: 'r', match: { namespaces: ['demo-project'] }, summary: '[{{field.constructor}}][{{field.user.toString}}][{{field.user.__proto__}}]' };
    const record: ContainerLogRecord = { ...CANONICAL_404_RECORD, log_processed: { user: { id: 7 } } };
    expect(fire(record, rule)[0].alert.annotations.summary).toBe('[][][]');
    const own = { ...record, log_processed: JSON.parse('{"constructor":"yes","user":{"toString":"t"}}') as Record<string, unknown> };
    expect(fire(own, rule)[0].alert.annotations.summary).toBe('[yes][t][]');
  });

  test('a label that renders empty is left out (Alertmanager treats it as absent)', () => {
    const [m] = fire(CANONICAL_404_RECORD, { name: 'r', match: { namespaces: ['demo-project'] }, labels: { node: '{{node}}' } });
    expect(m.alert.labels).not.toHaveProperty('node');
  });

  test('the default summary names rule, namespace and pod; the default description is the line, cut at 2000 characters', () => {
    const long = 'x'.repeat(2500);
    const [m] = fire(withK8s({}, `${long}\n`), { name: 'r', match: { namespaces: ['demo-project'] } });
    expect(m.alert.annotations.summary).toBe('r in demo-project/wordpress-v1-f54f697c5-hdn2z');
    expect(m.alert.annotations.description).toBe(`${'x'.repeat(2000)}…`);
  });
});

describe('record time and fingerprint', () => {
  test('startsAt is @timestamp (seconds or ISO text), else time, else now', () => {
    expect(recordTime({ ...CANONICAL_404_RECORD, '@timestamp': '2024-01-02T03:04:05Z' }, NOW).toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(recordTime({ ...CANONICAL_404_RECORD, '@timestamp': 'garbage' }, NOW).toISOString()).toBe('2021-08-25T01:54:37.226Z');
    expect(recordTime({ ...CANONICAL_404_RECORD, '@timestamp': '', time: undefined }, NOW)).toBe(NOW);
  });

  test('equal label sets have equal fingerprints whatever the key order; different ones differ', () => {
    expect(fingerprint({ a: '1', b: '2' })).toBe(fingerprint({ b: '2', a: '1' }));
    expect(fingerprint({ a: '1', b: '2' })).not.toBe(fingerprint({ a: '1', b: '3' }));
    expect(fingerprint({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('throttle', () => {
  test('an alert delivered within its window is throttled; after the window, or with no window, it is not', () => {
    const t = new Throttle();
    t.delivered('fp', 60, 1_000);
    expect(t.isThrottled('fp', 1_000)).toBe(true);
    expect(t.isThrottled('fp', 60_999)).toBe(true);
    expect(t.isThrottled('fp', 61_000)).toBe(false);
    expect(t.isThrottled('other', 1_000)).toBe(false);
    t.delivered('zero', 0, 1_000);
    expect(t.isThrottled('zero', 1_000)).toBe(false);
    expect(t.size).toBe(1);
  });

  test('a full throttle forgets expired entries first, then the oldest', () => {
    const t = new Throttle(2);
    t.delivered('a', 1, 0);
    t.delivered('b', 100, 0);
    t.delivered('c', 100, 5_000); // 'a' expired: pruned
    expect([t.isThrottled('a', 5_000), t.isThrottled('b', 5_000), t.isThrottled('c', 5_000)]).toEqual([false, true, true]);
    t.delivered('d', 100, 6_000); // none expired: the oldest ('b') goes
    expect([t.isThrottled('b', 6_000), t.isThrottled('c', 6_000), t.isThrottled('d', 6_000)]).toEqual([false, true, true]);
  });
});

describe('poison records', () => {
  const dl = (value: Buffer | string | null, max = 1024) => {
    const r = parseLogRecord(value, max);
    expect(r).toBeInstanceOf(DeadLetter);
    return [(r as DeadLetter).reason, (r as DeadLetter).detail];
  };

  test('fails if the record is empty or null', () => {
    expect(dl(null)).toEqual(['empty', 'the record has no value']);
    expect(dl(Buffer.alloc(0))).toEqual(['empty', 'the record has no value']);
  });

  test('fails if the record is larger than ALERTER_MAX_RECORD_BYTES', () => {
    expect(dl(Buffer.alloc(2048, 0x20), 1024)).toEqual(['record-too-large', 'the record has 2048 bytes, more than ALERTER_MAX_RECORD_BYTES (1024); it was not read']);
  });

  test('fails if the record is not JSON', () => {
    expect(dl('{"log":')[0]).toBe('not-json');
    expect(dl('{"log":')[1]).toMatch(/^the record is not JSON: /);
  });

  test('fails if the record is not a container log record', () => {
    expect(dl('[1]')).toEqual(['wrong-shape', 'the record is not a JSON object']);
    expect(dl('{"kubernetes":{}}')).toEqual(['wrong-shape', "the record has no string 'log' field: not a container log record"]);
    expect(dl('{"log":"x"}')).toEqual(['wrong-shape', "the record has no 'kubernetes' object: was it shipped through the kubernetes filter?"]);
    expect(dl('{"log":"x","kubernetes":{"pod_name":"p"}}')).toEqual(['wrong-shape', "the record has no 'kubernetes.namespace_name'"]);
    expect(dl('{"log":"x","kubernetes":{"namespace_name":"n","pod_name":""}}')).toEqual(['wrong-shape', "the record has no 'kubernetes.pod_name'"]);
  });

  test('a record without container_name or with a non-object log_processed is still read', () => {
    const r = parseLogRecord('{"log":"x","kubernetes":{"namespace_name":"n","pod_name":"p"},"log_processed":"text"}', 1024) as ContainerLogRecord;
    expect(r.kubernetes.container_name).toBe('');
    expect(r.log_processed).toBeUndefined();
  });
});
