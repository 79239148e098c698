/**
 * The synthesized KubeEventerWebhookBody.alertmanagerWebhook() template, executed by Go's own
 * text/template exactly as kube-eventer's webhook sink does (test/compat/webhook-body/main.go), is a
 * valid Alertmanager webhook message for every event text, and Notification Manager's receiver takes it.
 *
 * Two Go toolchains: Go 1.19 (the default image, kube-eventer v1.2.7-ca03be0, is built with
 * golang:1.19.3; Debian package golang-1.19-go) with kube-eventer 1.2.7's event changes, and the
 * machine's Go (newer, like 1.2.14's golang:1.25.3) with 1.2.14's. Both use k8s.io/api v0.17.16, the
 * version kube-eventer 1.2.14 pins.
 */
import { spawnSync, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { alertmanagerWebhookTemplate } from '../../constructs/sources/kube-eventer-alert-body';
import { KubeEventer } from '../../constructs/sources/kube-eventer';
import { KubeEventerSink, KubeEventerWebhookBody } from '../../constructs/sources/kube-eventer-sinks';
import { fixture as eventFixture } from '../functions/fixtures';
import { notificationManager } from '../harness';

const REPO = path.resolve(__dirname, '..', '..');
const MODULE = path.join(REPO, 'test', 'compat', 'webhook-body');
const BIN = path.join(REPO, '.cache', 'compat-webhook-body');
const GO_1_19 = '/usr/lib/go-1.19/bin/go';
const NM_URL = 'http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts';

interface Rendered {
  readonly body: Buffer;
  readonly renderError?: string;
  readonly validJSON: boolean;
  readonly validUTF8: boolean;
  readonly decodeError?: string;
}

interface Case {
  readonly event: any;
  readonly messageBase64?: string;
}

interface Toolchain {
  readonly name: string;
  readonly go: string;
  readonly eventer: '1.2.7' | '1.2.14';
  bin?: string;
}

const TOOLCHAINS: Toolchain[] = [
  { name: 'Go 1.19 / kube-eventer 1.2.7 (the default image)', go: GO_1_19, eventer: '1.2.7' },
  { name: 'the machine\'s Go / kube-eventer 1.2.14', go: 'go', eventer: '1.2.14' },
];

function build(toolchain: Toolchain): string {
  if (toolchain.go === GO_1_19 && !fs.existsSync(GO_1_19)) {
    throw new Error(`${GO_1_19} is missing: install the Debian package golang-1.19-go (apt-get install golang-1.19-go)`);
  }
  const out = path.join(BIN, `render-${toolchain.eventer}`);
  execFileSync(toolchain.go, ['build', '-o', out, '.'], {
    cwd: MODULE,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOMODCACHE: path.join(REPO, '.cache', 'go-mod'), GOCACHE: path.join(REPO, '.cache', 'go-build') },
    timeout: 540_000,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

/** Renders `template` for every case with the toolchain's binary. */
function render(toolchain: Toolchain, template: string, cases: Case[]): Rendered[] {
  const file = path.join(BIN, `template-${process.pid}.txt`);
  fs.writeFileSync(file, template);
  const result = spawnSync(toolchain.bin!, ['-template', file, '-eventer', toolchain.eventer], { input: JSON.stringify(cases), maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`render failed (${result.status}): ${result.stderr}`);
  const out = JSON.parse(result.stdout.toString()) as Array<Omit<Rendered, 'body'> & { body: string | null }>;
  return out.map((r) => ({ ...r, body: Buffer.from(r.body ?? '', 'base64') }));
}

/** The template the KubeEventer puts in its body ConfigMap, read back from the synthesized manifest. */
function synthesizedTemplate(): string {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'klaxon' });
  new KubeEventer(chart, 'Eventer', {
    sinks: [KubeEventerSink.webhook({ url: NM_URL, method: 'POST', level: 'Warning', body: KubeEventerWebhookBody.alertmanagerWebhook({ extraLabels: { cluster: 'dev' } }) })],
  });
  const cm = Testing.synth(chart).find((o: any) => o.kind === 'ConfigMap' && o.data?.content);
  return cm.data.content;
}

/** A core/v1 Event about a Pod in 'shop' (the fixture's), with `changes`. */
function podEvent(changes: Record<string, unknown> = {}): any {
  return { ...JSON.parse(eventFixture('core-v1').toString()), type: 'Warning', ...changes };
}

/** The message the template must produce for `event` (kube-eventer drops '"' from the message first). */
function expectedMessage(event: any, message: string = (event.message ?? '').replace(/"/g, ''), startsAt: string | undefined = event.lastTimestamp ?? event.eventTime): unknown {
  const o = event.involvedObject ?? {};
  const labels: Record<string, string> = { alertname: 'KubernetesWarningEvent', severity: 'warning', cluster: 'dev' };
  for (const [label, value] of [['namespace', o.namespace], ['kind', o.kind], ['name', o.name], ['reason', event.reason]]) if (value) labels[label] = value;
  const annotations: Record<string, string> = { message };
  if (event.source?.component) annotations.component = event.source.component;
  if (event.source?.host) annotations.host = event.source.host;
  const alert: Record<string, unknown> = { status: 'firing', labels, annotations, generatorURL: '', fingerprint: event.metadata?.uid ?? '' };
  if (startsAt) alert.startsAt = new Date(startsAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    receiver: 'kube-eventer', status: 'firing', alerts: [alert],
    groupLabels: { alertname: 'KubernetesWarningEvent' }, commonLabels: labels, commonAnnotations: annotations,
    externalURL: '', version: '4', groupKey: '{}:{alertname="KubernetesWarningEvent"}',
  };
}

const ADVERSARIAL: Record<string, string> = {
  'apostrophes': '0/3 nodes are available: 3 node(s) didn\'t match Pod\'s node affinity/selector.',
  'double quotes (dropped by kube-eventer)': 'exec "sh -c \'x\'" failed: "quoted"',
  'backslashes': 'C:\\path\\to\\file \\n is not a newline \\u0041 \\',
  'newlines and tabs': 'line 1\nline 2\r\n\tindented\f\b',
  'ANSI colours and every control character': `\u001b[31mred\u001b[0m ${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')} \u007f`,
  'unicode': 'naïve café 日本語 😀 \u2028\u2029 \u200b \uFEFF \u{E0001} \u{F0000} \u{1FAE9}',
  'html and script': '</script><script>alert(1)</script> & <b>bold</b> a=b',
  'template-like text': '{{ .Message }} {{template "klaxon.json" .}} }}',
  'empty': '',
  'a long message with specials spread through it': Array.from({ length: 3000 }, (_, i) => `chunk ${i} it's "${i}"\t\\ 😀 `).join(''),
};

function adversarialCases(): Array<[string, Case]> {
  const named: Array<[string, Case]> = Object.entries(ADVERSARIAL).map(([name, message]) => [name, { event: podEvent({ message }) }]);
  named.push(['specials in every templated field', {
    event: podEvent({
      reason: 'Back"Off\\\n\'x\'',
      involvedObject: { kind: 'K<i>nd"', namespace: 'n"s\\', name: 'na\u0001me\u001b', uid: 'u' },
      source: { component: 'comp"onent\t', host: 'ho\\st\n' },
      metadata: { name: 'e', namespace: 'shop', uid: 'uid"\\\u0000' },
    }),
  }]);
  named.push(['a cluster-scoped object (no namespace), no source, no reason', { event: podEvent({ involvedObject: { kind: 'Node', name: 'node-1' }, source: {}, reason: '' }) }]);
  return named;
}

function fixtureCases(): Array<[string, Case]> {
  const parse = (name: Parameters<typeof eventFixture>[0]) => JSON.parse(eventFixture(name).toString());
  return [
    ['fixture core-v1', { event: parse('core-v1') }],
    ['fixture eventrouter-added', { event: parse('eventrouter-added').event }],
    ['fixture eventrouter-updated', { event: parse('eventrouter-updated').event }],
    ['fixture eventrouter-node (cluster-scoped)', { event: parse('eventrouter-node').event }],
    ['fixture kube-eventer-pod', { event: JSON.parse(parse('kube-eventer-pod').EventValue) }],
    ['fixture kube-eventer-node', { event: JSON.parse(parse('kube-eventer-node').EventValue) }],
  ];
}

let template: string;

beforeAll(() => {
  fs.mkdirSync(BIN, { recursive: true });
  template = synthesizedTemplate();
  for (const t of TOOLCHAINS) t.bin = build(t);
}, 600_000);

describe.each(TOOLCHAINS)('with $name', (toolchain) => {
  test('the fixture events and adversarial messages render to exactly the expected Alertmanager webhook message', () => {
    // GIVEN
    const cases = [...fixtureCases(), ...adversarialCases()];
    // WHEN
    const rendered = render(toolchain, template, cases.map(([, c]) => c));
    // THEN every body is valid JSON (Go's encoding/json.Valid, JSON.parse), decodes into the webhook shape
    // with a time.Time startsAt, and holds exactly the event's values
    rendered.forEach((r, i) => {
      const [name, c] = cases[i];
      const seen = { name, renderError: r.renderError, validJSON: r.validJSON, validUTF8: r.validUTF8, decodeError: r.decodeError };
      expect(seen).toEqual({ name, renderError: undefined, validJSON: true, validUTF8: true, decodeError: undefined });
      expect({ name, body: JSON.parse(r.body.toString('utf8')) }).toEqual({ name, body: expectedMessage(c.event) });
    });
  });

  test('user-given names with quotes, tabs and {{ parse as template text and arrive unchanged', () => {
    const custom = alertmanagerWebhookTemplate({ alertName: '{{ .Message }} "x"', severity: 'page\tnow', receiver: 'r\\', extraLabels: { team: '{{ end }}' } });
    const [r] = render(toolchain, custom, [{ event: podEvent() }]);
    expect({ renderError: r.renderError, validJSON: r.validJSON, decodeError: r.decodeError }).toEqual({ renderError: undefined, validJSON: true, decodeError: undefined });
    const message = JSON.parse(r.body.toString());
    expect(message.receiver).toBe('r\\');
    expect(message.alerts[0].labels).toMatchObject({ alertname: '{{ .Message }} "x"', severity: 'page\tnow', team: '{{ end }}' });
    expect(message.groupKey).toBe('{}:{alertname="{{ .Message }} \\"x\\""}');
  });

  test('startsAt is the event time when the last timestamp is empty (events.k8s.io events); 1.2.7 leaves it out when both are empty', () => {
    const eventTimeOnly = podEvent({ lastTimestamp: null, firstTimestamp: null, eventTime: '2026-11-23T06:00:00.123456Z' });
    const neither = podEvent({ lastTimestamp: null, firstTimestamp: null, eventTime: null });
    const [a, b] = render(toolchain, template, [{ event: eventTimeOnly }, { event: neither }]);
    expect(JSON.parse(a.body.toString()).alerts[0].startsAt).toBe('2026-11-23T06:00:00Z');
    const startsAt = JSON.parse(b.body.toString()).alerts[0].startsAt;
    if (toolchain.eventer === '1.2.7') expect(startsAt).toBeUndefined();
    else expect(Date.now() - Date.parse(startsAt)).toBeLessThan(60_000); // 1.2.14 sets it to now
    expect([a.decodeError, b.decodeError]).toEqual([undefined, undefined]);
  });

  test('bytes that are not UTF-8 pass through unchanged: still valid JSON for Go (NM) and JSON.parse, read as U+FFFD', () => {
    const raw = Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' cut '), Buffer.from('😀').subarray(0, 2), Buffer.from(' end')]);
    const [r] = render(toolchain, template, [{ event: podEvent(), messageBase64: raw.toString('base64') }]);
    const seen = { renderError: r.renderError, validJSON: r.validJSON, validUTF8: r.validUTF8, decodeError: r.decodeError };
    expect(seen).toEqual({ renderError: undefined, validJSON: true, validUTF8: false, decodeError: undefined });
    expect(r.body.includes(raw)).toBe(true);
    expect(JSON.parse(r.body.toString('utf8')).alerts[0].annotations.message).toBe('bad \ufffd\ufffd cut \ufffd end');
  });

  test('why the template escapes by itself: printf "%q" and js, the closest builtins, give invalid JSON for common messages', () => {
    const quote = '{"m":{{ printf "%q" .Message }}}';
    const js = '{"m":"{{ js .Message }}"}';
    const ansi = { event: podEvent({ message: 'probe output: \u001b[31mFAIL\u001b[0m' }) };
    const apostrophe = { event: podEvent({ message: 'node(s) didn\'t match' }) };
    const tab = { event: podEvent({ message: 'a\tb' }) };
    const [quoteAnsi, quoteApostrophe, quoteTab] = render(toolchain, quote, [ansi, apostrophe, tab]);
    expect(quoteAnsi.body.toString()).toBe('{"m":"probe output: \\x1b[31mFAIL\\x1b[0m"}');
    expect(quoteAnsi.validJSON).toBe(false);
    expect([quoteApostrophe.validJSON, quoteTab.validJSON]).toEqual([true, true]);
    const [jsAnsi, jsApostrophe] = render(toolchain, js, [ansi, apostrophe]);
    expect(jsApostrophe.body.toString()).toBe('{"m":"node(s) didn\\\'t match"}');
    expect(jsApostrophe.validJSON).toBe(false);
    expect(jsAnsi.validJSON).toBe(true);
  });
});

test('Notification Manager\'s webhook receiver accepts every rendered body as kube-eventer posts it (POST, no Content-Type)', async () => {
  // GIVEN the harness's stand-in for NM's POST /api/v2/alerts
  const nm = await notificationManager();
  try {
    const cases = [...fixtureCases(), ...adversarialCases()];
    const rendered = render(TOOLCHAINS[0], template, cases.map(([, c]) => c));
    // WHEN each body is posted
    for (const r of rendered) {
      const response = await fetch(nm.url, { method: 'POST', body: r.body });
      expect(response.status).toBe(200);
    }
    // THEN NM got one message with one alert per event, with the event's labels
    expect(nm.accepted.length).toBe(cases.length);
    expect(nm.accepted.map((r) => (r.json as any).alerts[0].labels)).toEqual(cases.map(([, c]) => (expectedMessage(c.event) as any).commonLabels));
  } finally {
    await nm.close();
  }
});
