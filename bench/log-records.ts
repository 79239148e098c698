/**
 * Realistic container log records for the alerter benchmark, in the shape Fluent Bit's kafka output
 * writes them (functions/contracts/log-record.ts): `@timestamp` (double seconds), `time`, `stream`,
 * `_p` and `log` from the CRI parser (one record in five as a Docker json-file line instead: trailing
 * newline, no `_p`), `log_processed` when the line is JSON (merge_log), and the kubernetes filter's
 * full metadata. 0.4-4 KB each, over a dozen namespaces and several hundred pods.
 *
 * The mix, per 1 000 records (picked by a hash of `seq`, so it is spread evenly):
 *   60  HTTP 404 from a WordPress pod in `demo-project`          → matches EXAMPLE_404_RULE
 *   10  an error events-fanout logged (JSON, level error)         → matches FANOUT_ERROR_RULE
 *   20  HTTP 404 from nginx in `shop`                             near miss: other namespace
 *   10  HTTP 404 from a non-WordPress pod in `demo-project`       near miss: pod name
 *  150  WordPress access lines with 200/301/304/500              near miss: status
 *  200  ingress-nginx and nginx access lines (2xx-5xx, some 404)
 *  250  JSON application logs (info/debug/warn/error; some events-fanout info lines)
 *  150  klog lines from kube-system (coredns, kube-proxy, kubelet-style)
 *  100  logfmt lines from monitoring (Prometheus, Alertmanager)
 *   50  Java stack traces on stderr, joined by the multiline parser (2-4 KB)
 * so 7 % of the records raise an alert (`matchPerMille` lowers that; the rest become WordPress near
 * misses). Every line that can raise one carries its record's sequence
 * number in a request id (`ae000000-0000-4000-8000-<12 digits>`), which the alert's description
 * (`{{log}}`) carries to the receiver (`logSeqsOf`).
 */
import { AlertRuleSpec, EXAMPLE_404_RULE } from '../functions/contracts/alert-rules';
import type { ContainerLogRecord } from '../functions/contracts/log-record';

const ID_PREFIX = 'ae000000-0000-4000-8000-';
const ID_PATTERN = /ae000000-0000-4000-8000-(\d{12})/;

/** The request id of record `seq`. */
export function requestId(seq: number): string {
  return `${ID_PREFIX}${String(seq).padStart(12, '0')}`;
}

/** Every sequence number in a text (a request carrying several alerts), each once. */
export function logSeqsOf(text: string): number[] {
  return [...new Set([...text.matchAll(new RegExp(ID_PATTERN.source, 'g'))].map((m) => Number(m[1])))];
}

/**
 * The rule for events-fanout errors, as main.ts's `KlaxonFanoutError` (without its throttle): a
 * `fields` match on `log_processed`, the other kind of condition besides EXAMPLE_404_RULE's regexes.
 */
export const FANOUT_ERROR_RULE: Omit<AlertRuleSpec, 'threshold'> = {
  name: 'KlaxonFanoutError',
  severity: 'critical',
  match: { namespaces: ['klaxon'], containers: ['events-fanout'], fields: { level: 'error' } },
  summary: 'events-fanout logged an error in {{pod}}',
};

/**
 * Ten rules as a busy cluster's alerter might carry (the "10 rules"): EXAMPLE_404_RULE,
 * FANOUT_ERROR_RULE and eight that no generated record matches, each a near miss of lines the
 * corpus holds (same namespace and container, another status, level, message or pod), so the
 * prefilter and the evaluation do their full work on them.
 */
export const TEN_RULES: ReadonlyArray<Omit<AlertRuleSpec, 'threshold'>> = [
  EXAMPLE_404_RULE,
  FANOUT_ERROR_RULE,
  { name: 'ShopServerError', severity: 'critical', match: { namespaces: ['shop'], containers: ['nginx'], log: '" 5[0-9][0-9] [0-9]+ ' }, summary: 'HTTP 5xx from {{pod}}' },
  { name: 'IngressGatewayTimeout', severity: 'warning', match: { namespaces: ['ingress-nginx'], containers: ['controller'], log: '" 504 [0-9]+ ' }, summary: 'ingress 504 in {{pod}}' },
  { name: 'PaymentProviderDown', severity: 'critical', match: { namespaces: ['payments'], fields: { level: 'error', provider: 'adyen' } }, summary: '{{field.msg}} in {{pod}}' },
  { name: 'SparkExecutorDiskFull', severity: 'warning', match: { namespaces: ['data-pipeline'], containers: ['spark'], pod: 'spark-executor-.*', log: 'No space left on device' }, summary: 'disk full in {{pod}}' },
  { name: 'CoreDnsServfail', severity: 'warning', match: { namespaces: ['kube-system'], containers: ['coredns'], log: ' SERVFAIL ' }, summary: 'SERVFAIL answers from {{pod}}' },
  { name: 'MetricsServerCertExpired', severity: 'critical', match: { namespaces: ['kube-system'], containers: ['metrics-server'], log: 'x509: certificate has expired' }, summary: 'metrics-server cannot scrape: certificate expired' },
  { name: 'PrometheusTsdbError', severity: 'critical', match: { namespaces: ['monitoring'], containers: ['prometheus'], log: 'level=error component=tsdb' }, summary: 'Prometheus TSDB error in {{pod}}' },
  { name: 'AlertmanagerNotifyFailed', severity: 'warning', match: { namespaces: ['monitoring'], containers: ['alertmanager'], log: 'level=error .*msg="Notify for alerts failed"' }, summary: 'Alertmanager cannot notify' },
];

/** Which rule a record is meant to match, if any. */
export type Expected = '404 Request' | 'KlaxonFanoutError' | undefined;

/** A generated record. */
export interface GeneratedLogRecord {
  readonly seq: number;
  readonly value: Buffer;
  /** The rule the record matches by construction (the benchmark's oracle), or undefined. */
  readonly expected: Expected;
}

/** Kinds of line; `forceMatch` picks one of the first two. */
type Kind = 'wp404' | 'fanoutError' | 'shop404' | 'demoOther404' | 'wpOther' | 'access' | 'json' | 'klog' | 'logfmt' | 'stack';

/**
 * The kind of a record; `matchPerMille` of every 1 000 match a rule (6:1 404 and events-fanout
 * errors, 70 by default); the rest of the first 70 become WordPress near misses (other statuses).
 */
function kindOf(h: number, matchPerMille: number): Kind {
  const k = h % 1000;
  const wp404 = Math.round((matchPerMille * 6) / 7);
  if (k < wp404) return 'wp404';
  if (k < matchPerMille) return 'fanoutError';
  if (k < 70) return 'wpOther';
  if (k < 90) return 'shop404';
  if (k < 100) return 'demoOther404';
  if (k < 250) return 'wpOther';
  if (k < 450) return 'access';
  if (k < 700) return 'json';
  if (k < 850) return 'klog';
  if (k < 950) return 'logfmt';
  return 'stack';
}

/** A 32-bit hash of `n` (spreads kinds, pods and values independently of seq order). */
function hash(n: number, salt = 0): number {
  let h = Math.imul(n ^ salt, 2654435761) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes-style random suffix of `len` characters, deterministic in `n`. */
function suffix(n: number, len: number): string {
  let out = '';
  let h = hash(n, 0x5bd1e995);
  for (let i = 0; i < len; i++) {
    out += ALNUM[h % ALNUM.length];
    h = Math.floor(h / ALNUM.length) || hash(h + i, 7);
  }
  return out;
}

function hex(n: number, len: number): string {
  let out = '';
  for (let i = 0; out.length < len; i++) out += hash(n, i).toString(16).padStart(8, '0');
  return out.slice(0, len);
}

interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly image: string;
  readonly node: string;
  readonly ip: string;
  readonly uid: string;
  readonly dockerId: string;
}

/** Pod `i` (0..count-1) of a workload; a ReplicaSet-style name (`<deploy>-<9>-<5>`) unless `statefulSet`. */
function pod(namespace: string, deploy: string, container: string, image: string, i: number, statefulSet = false): Pod {
  const n = hash(i, deploy.length * 131 + namespace.length);
  const name = statefulSet ? `${deploy}-${i}` : `${deploy}-${suffix(n, 9)}-${suffix(n + 1, 5)}`;
  const h = hex(n, 32);
  return {
    namespace,
    name,
    container,
    image,
    node: `worker-${(n % 12) + 1}`,
    ip: `10.244.${n % 12}.${(n >>> 8) % 250}`,
    uid: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
    dockerId: hex(n + 99, 64),
  };
}

function pods(count: number, make: (i: number) => Pod): Pod[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

const WORDPRESS = pods(6, (i) => pod('demo-project', 'wordpress-v1', 'container-nrdsp1', 'docker.io/library/wordpress:4.8-apache', i));
const DEMO_OTHER = [...pods(2, (i) => pod('demo-project', 'wordpress-v2', 'wordpress', 'docker.io/library/wordpress:6.4-apache', i)), pod('demo-project', 'mysql-v1', 'mysql', 'docker.io/library/mysql:5.6', 0, true)];
const SHOP_NGINX = pods(8, (i) => pod('shop', 'storefront', 'nginx', 'docker.io/library/nginx:1.25.3', i));
const INGRESS = pods(3, (i) => pod('ingress-nginx', 'ingress-nginx-controller', 'controller', 'registry.k8s.io/ingress-nginx/controller:v1.9.4', i));
const WEB = ['checkout', 'search', 'cms', 'billing'].flatMap((ns, j) => pods(4, (i) => pod(ns, `${ns}-web`, 'nginx', 'docker.io/library/nginx:1.25.3', i + j * 10)));
const APPS = ['shop', 'checkout', 'payments', 'auth', 'search', 'notifications', 'ml-serving', 'data-pipeline'].flatMap((ns, j) =>
  pods(12, (i) => pod(ns, ['api', 'worker', 'cart', 'gateway'][i % 4], ['api', 'worker', 'cart', 'gateway'][i % 4], `registry.example.com/${ns}/${['api', 'worker', 'cart', 'gateway'][i % 4]}:1.${j}.${i}`, i + j * 100)),
);
const FANOUT = pods(3, (i) => pod('klaxon', 'events-fanout', 'events-fanout', 'node:20-alpine', i));
const KUBE_SYSTEM = [
  ...pods(2, (i) => pod('kube-system', 'coredns', 'coredns', 'registry.k8s.io/coredns/coredns:v1.10.1', i)),
  ...pods(12, (i) => pod('kube-system', `kube-proxy-${suffix(i, 5)}`, 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.27.8', i, true)),
  ...pods(3, (i) => pod('kube-system', 'metrics-server', 'metrics-server', 'registry.k8s.io/metrics-server/metrics-server:v0.6.4', i)),
];
const MONITORING = [pod('monitoring', 'prometheus-k8s', 'prometheus', 'quay.io/prometheus/prometheus:v2.48.0', 0, true), pod('monitoring', 'alertmanager-main', 'alertmanager', 'quay.io/prometheus/alertmanager:v0.26.0', 0, true)];
const JAVA = pods(6, (i) => pod('data-pipeline', 'spark-driver', 'spark', 'docker.io/apache/spark:3.5.0', i));

const PATHS_404 = ['/notfound', '/wp-login.php', '/xmlrpc.php', '/.env', '/wp-content/uploads/2021/08/header-%d.jpg', '/feed/atom/', '/?p=%d', '/wp-admin/admin-ajax.php', '/favicon.ico', '/old-blog/post-%d/'];
const PATHS_OK = ['/', '/blog/', '/wp-content/themes/twentyseventeen/style.css?ver=4.8', '/wp-includes/js/jquery/jquery.js?ver=1.12.4', '/?p=%d', '/category/news/page/%d/', '/wp-json/wp/v2/posts?per_page=10'];
const AGENTS = ['curl/7.58.0', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'kube-probe/1.27'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'HEAD'];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length];
}

function fill(template: string, n: number): string {
  return template.replace('%d', String(n % 9973));
}

/** Apache's `%d/%b/%Y:%H:%M:%S +0000`. */
function clf(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (v: number) => String(v).padStart(2, '0');
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Apache/nginx combined log line, with the request id last (LogFormat ... "%{X-Request-ID}i"). */
function accessLine(seq: number, n: number, ms: number, status: number, path: string): string {
  const client = `${(n % 223) + 1}.${(n >>> 8) % 256}.${(n >>> 16) % 256}.${(n >>> 24) % 256}`;
  const bytes = status === 304 ? 0 : 200 + (n % 60_000);
  return `${client} - - [${clf(ms)}] "${pick(METHODS, n >>> 3)} ${path} HTTP/1.1" ${status} ${bytes} "-" "${pick(AGENTS, n >>> 5)}" "${requestId(seq)}"`;
}

/** ingress-nginx's default upstream log format. */
function ingressLine(seq: number, n: number, ms: number, status: number): string {
  const ns = pick(['shop', 'checkout', 'search', 'cms'], n >>> 4);
  return `${(n % 223) + 1}.${(n >>> 8) % 256}.${(n >>> 16) % 256}.4 - - [${clf(ms)}] "GET /${ns}/api/v1/items/${n % 5000} HTTP/2.0" ${status} ${100 + (n % 9000)} "https://${ns}.example.com/" "${pick(AGENTS, n >>> 5)}" ${300 + (n % 400)} 0.${String(n % 1000).padStart(3, '0')} [${ns}-${ns}-web-80] [] 10.244.${n % 12}.${n % 250}:8080 ${100 + (n % 9000)} 0.${String(n % 1000).padStart(3, '0')} ${status} ${requestId(seq).replace(/-/g, '')}`;
}

function klogLine(n: number, ms: number, container: string): string {
  const d = new Date(ms);
  const two = (v: number) => String(v).padStart(2, '0');
  const stamp = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}${String(n % 1000).padStart(3, '0')}`;
  const lines: Record<string, string[]> = {
    'kube-proxy': [`I${stamp}       1 proxier.go:1070] "Syncing iptables rules"`, `I${stamp}       1 proxier.go:1549] "Reloading service iptables data" numServices=${40 + (n % 20)} numEndpoints=${90 + (n % 60)}`],
    'coredns': [`[INFO] 10.244.${n % 12}.${n % 250}:${30000 + (n % 30000)} - ${n % 65536} "A IN api.shop.svc.cluster.local. udp 50 false 512" NOERROR qr,aa,rd 106 0.000${n % 900}s`],
    'metrics-server': [`E${stamp}       1 scraper.go:140] "Failed to scrape node" err="Get \\"https://10.0.0.${n % 20}:10250/metrics/resource\\": context deadline exceeded" node="worker-${(n % 12) + 1}"`],
  };
  return pick(lines[container] ?? lines['kube-proxy'], n >>> 2);
}

function logfmtLine(n: number, ms: number, container: string): string {
  const ts = new Date(ms).toISOString();
  if (container === 'alertmanager') return `ts=${ts} caller=dispatch.go:163 level=debug component=dispatcher msg="Received alert" alert=KubePodCrashLooping[${hex(n, 7)}][active]`;
  return pick(
    [
      `ts=${ts} caller=compact.go:519 level=info component=tsdb msg="write block" mint=${ms - 7_200_000} maxt=${ms} ulid=01HG${hex(n, 22).toUpperCase()} duration=${n % 900}ms`,
      `ts=${ts} caller=scrape.go:1384 level=warn component="scrape manager" scrape_pool=serviceMonitor/shop/api/0 target=http://10.244.${n % 12}.${n % 250}:9090/metrics msg="Append failed" err="out of bounds"`,
      `ts=${ts} caller=head.go:1298 level=info component=tsdb msg="Head GC completed" caller=truncateMemory duration=${n % 90}.${n % 10}ms`,
    ],
    n >>> 3,
  );
}

function jsonApp(seq: number, n: number, ms: number, p: Pod, level: string): Record<string, unknown> {
  const base = { time: new Date(ms).toISOString(), level, request_id: requestId(seq) };
  switch (n % 4) {
    case 0:
      return { ...base, msg: 'request completed', method: pick(METHODS, n), path: `/api/v1/${p.container}/${n % 5000}`, status: level === 'error' ? 500 : 200, duration_ms: n % 800, user_agent: pick(AGENTS, n >>> 5) };
    case 1:
      return { ...base, msg: level === 'error' ? 'payment provider call failed' : 'payment authorised', provider: 'stripe', amount: (n % 50000) / 100, currency: 'EUR', attempt: 1 + (n % 3), ...(level === 'error' ? { error: 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout' } : {}) };
    case 2:
      return { ...base, msg: 'consumed batch', topic: 'orders', partition: n % 12, offset: String(1_000_000 + n), records: 1 + (n % 500), lag: n % 2000 };
    default:
      return { ...base, logger: 'com.example.cache.RedisClient', msg: level === 'warn' ? 'cache miss storm; falling back to database' : 'cache refreshed', keys: n % 10000, hit_ratio: ((n % 100) / 100).toFixed(2) };
  }
}

function fanoutLine(seq: number, n: number, ms: number, level: 'info' | 'error'): Record<string, unknown> {
  const base = { time: new Date(ms).toISOString(), level, workload: 'events-fanout' };
  if (level === 'info') return { ...base, msg: pick(['joined group', 'started', 'http server listening'], n), groupId: 'klaxon-events-fanout', uid: requestId(seq) };
  return {
    ...base,
    msg: pick(['produce failed; retrying', 'output refused; dead-lettering the record', 'consumer crashed for good'], n),
    topic: 'cluster-events',
    partition: n % 3,
    offset: String(100_000 + (n % 900_000)),
    uid: requestId(seq),
    error: { type: 'KafkaJSNumberOfRetriesExceeded', message: 'Connection error: connect ECONNREFUSED 10.96.0.12:9092' },
  };
}

function stackTrace(seq: number, n: number, ms: number): string {
  const frames = [
    'org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2844)',
    'org.apache.spark.scheduler.DAGScheduler.$anonfun$abortStage$2(DAGScheduler.scala:2780)',
    'scala.collection.mutable.ResizableArray.foreach(ResizableArray.scala:62)',
    'org.apache.spark.scheduler.DAGSchedulerEventProcessLoop.onReceive(DAGScheduler.scala:3029)',
    'org.apache.spark.util.EventLoop$$anon$1.run(EventLoop.scala:49)',
    'java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)',
    'java.base/java.lang.Thread.run(Thread.java:833)',
  ];
  const depth = 12 + (n % 30);
  const body = Array.from({ length: depth }, (_, i) => `\tat ${frames[(i + n) % frames.length]}`).join('\n');
  return `${new Date(ms).toISOString()} ERROR TaskSetManager: Task ${n % 200} in stage ${n % 40}.0 failed 4 times; aborting job (request ${requestId(seq)})\norg.apache.spark.SparkException: Job aborted due to stage failure: Task ${n % 200} in stage ${n % 40}.0 failed 4 times\n${body}\nCaused by: java.io.IOException: No space left on device\n${body.split('\n').slice(0, 6).join('\n')}\n\t... ${depth} more`;
}

/** The Fluent Bit record for a line of `p`. */
function record(p: Pod, n: number, ms: number, log: string, stream: 'stdout' | 'stderr', processed?: Record<string, unknown>): ContainerLogRecord {
  const docker = n % 5 === 0;
  const time = `${new Date(ms).toISOString().slice(0, -1)}${String(n % 1_000_000).padStart(6, '0')}Z`;
  return {
    '@timestamp': ms / 1000,
    time,
    stream,
    ...(docker ? {} : { _p: 'F' as const }),
    log: docker ? `${log}\n` : log,
    ...(processed ? { log_processed: processed } : {}),
    kubernetes: {
      pod_name: p.name,
      namespace_name: p.namespace,
      pod_id: p.uid,
      host: p.node,
      pod_ip: p.ip,
      container_name: p.container,
      docker_id: p.dockerId,
      container_hash: `${p.image.split(':')[0]}@sha256:${hex(p.image.length * 7919, 64)}`,
      container_image: p.image,
    },
  };
}

/** The share of matching records of the default mix, per 1 000 (the alerter benchmark's corpus). */
export const DEFAULT_MATCH_PER_MILLE = 70;

/**
 * Record `seq` (from 1), logged at `ms` (epoch milliseconds). `forceMatch` makes it a matching
 * record (alternating 404 and events-fanout error lines as 6:1), for the steady-rate phase;
 * `matchPerMille` (at most 70) sets how many of every 1 000 records match a rule.
 */
export function logRecord(seq: number, ms: number, forceMatch = false, matchPerMille = DEFAULT_MATCH_PER_MILLE): GeneratedLogRecord {
  if (!(matchPerMille >= 0 && matchPerMille <= DEFAULT_MATCH_PER_MILLE)) throw new Error(`matchPerMille ${matchPerMille}: must be 0..${DEFAULT_MATCH_PER_MILLE}`);
  const h = hash(seq);
  const n = hash(seq, 0x9e3779b9);
  const kind: Kind = forceMatch ? (seq % 7 === 0 ? 'fanoutError' : 'wp404') : kindOf(h, matchPerMille);
  let rec: ContainerLogRecord;
  let expected: Expected;
  switch (kind) {
    case 'wp404':
      rec = record(pick(WORDPRESS, n), n, ms, accessLine(seq, n, ms, 404, fill(pick(PATHS_404, n >>> 7), n)), 'stdout');
      expected = '404 Request';
      break;
    case 'fanoutError': {
      const line = fanoutLine(seq, n, ms, 'error');
      rec = record(pick(FANOUT, n), n, ms, JSON.stringify(line), 'stderr', line);
      expected = 'KlaxonFanoutError';
      break;
    }
    case 'shop404':
      rec = record(pick(SHOP_NGINX, n), n, ms, accessLine(seq, n, ms, 404, fill(pick(PATHS_404, n >>> 7), n)), 'stdout');
      break;
    case 'demoOther404':
      rec = record(pick(DEMO_OTHER.slice(0, 2), n), n, ms, accessLine(seq, n, ms, 404, fill(pick(PATHS_404, n >>> 7), n)), 'stdout');
      break;
    case 'wpOther':
      rec = record(pick(WORDPRESS, n), n, ms, accessLine(seq, n, ms, pick([200, 200, 200, 200, 200, 304, 301, 500], n >>> 9), fill(pick(PATHS_OK, n >>> 7), n)), 'stdout');
      break;
    case 'access': {
      const status = pick([200, 200, 200, 201, 204, 302, 304, 400, 404, 503], n >>> 9);
      rec = n % 2 === 0 ? record(pick(INGRESS, n), n, ms, ingressLine(seq, n, ms, status), 'stdout') : record(pick(WEB, n), n, ms, accessLine(seq, n, ms, status, `/static/app.${hex(n, 8)}.js`), 'stdout');
      break;
    }
    case 'json': {
      if (n % 25 === 0) {
        const line = fanoutLine(seq, n, ms, 'info');
        rec = record(pick(FANOUT, n), n, ms, JSON.stringify(line), 'stderr', line);
      } else {
        const p = pick(APPS, n);
        const line = jsonApp(seq, n, ms, p, pick(['info', 'info', 'info', 'info', 'debug', 'warn', 'error'], n >>> 11));
        rec = record(p, n, ms, JSON.stringify(line), 'stdout', line);
      }
      break;
    }
    case 'klog': {
      const p = pick(KUBE_SYSTEM, n);
      rec = record(p, n, ms, klogLine(n, ms, p.container), 'stderr');
      break;
    }
    case 'logfmt': {
      const p = pick(MONITORING, n);
      rec = record(p, n, ms, logfmtLine(n, ms, p.container), 'stderr');
      break;
    }
    case 'stack':
      rec = record(pick(JAVA, n), n, ms, stackTrace(seq, n, ms), 'stderr');
      break;
  }
  return { seq, value: Buffer.from(JSON.stringify(rec)), expected };
}
