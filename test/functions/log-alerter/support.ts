/**
 * Support for the alerter integration tests (test/integration/alerter-*.test.ts): per-run topic
 * and group names, the env of the synthesized log-alerter Deployment (Secret-backed variables
 * filled from a map, as the kubelet would), and the bundle run as a child process.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { AlertRule } from '../../../constructs/alerting/alert-rule';
import { AlertSink } from '../../../constructs/alerting/alert-sink';
import { LogAlerter } from '../../../constructs/workloads/log-alerter';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { AlertSinkSpec, sinkIsParkable, sinkNames } from '../../../functions/contracts/alert-sinks';
import { sinkRetryTopicName } from '../../../functions/contracts/topic-names';
import { AlerterEnv, WorkloadEnv } from '../../../functions/contracts/workload-env';
import { buildFunctions, bundlePath } from '../../../functions/build';
import { brokers, createTopics, uniqueName } from '../../harness';
import { onJsonLines } from '../../harness/processes';
import { workloadNode } from '../../harness/workload-node';
import { sumMetric, testKafka } from '../support/fanout';
import { httpGet } from '../support/http';

let built: Promise<string> | undefined;

/** Builds `.build/functions/log-alerter/index.js` once per test file. */
export function alerterBundle(): Promise<string> {
  built ??= (async () => {
    const [result] = await buildFunctions({ workloads: ['log-alerter'] });
    if (!result || result.status !== 'built') throw new Error(`log-alerter bundle not built: ${JSON.stringify(result)}`);
    return bundlePath('log-alerter');
  })();
  return built;
}

/** Per-run names. */
export interface AlerterNames {
  readonly run: string;
  readonly logs: string;
  readonly deadLetter: string;
  readonly groupId: string;
}

export function alerterNames(prefix: string): AlerterNames {
  const run = uniqueName(prefix);
  return { run, logs: `${run}.logs`, deadLetter: `${run}.dead-letter`, groupId: `${run}-alerter` };
}

/** The Events topic of `names` (event rules). */
export function eventsTopicOf(names: AlerterNames): string {
  return `${names.run}.events`;
}

/** Creates the logs, Events and dead-letter topics of `names`. */
export async function createAlerterTopics(names: AlerterNames): Promise<void> {
  await createTopics([{ topic: names.logs }, { topic: eventsTopicOf(names) }, { topic: names.deadLetter }]);
}

/**
 * The container env of the log-alerter Deployment synthesized for `names`, `rules` and `sinks`,
 * read from the manifest: plain values as they are, files mounted from Secret keys written from
 * `secrets` (`<secret name>/<key>` → value) and their `_FILE` variables pointed at them, KAFKA_BROKERS pointed at the test broker, HTTP_PORT at any port.
 */
export function synthesizedAlerterEnv(
  names: AlerterNames,
  rules: AlertRule[],
  sinks: (chart: any) => AlertSink[],
  secrets: Record<string, string> = {},
  tuning: Record<string, string> = {},
  workload: 'log-alerter' | 'event-alerter' = 'log-alerter',
): Record<string, string> {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  const logs = new KafkaTopic(cluster, 'Logs', { topicName: names.logs, partitions: 1 });
  const events = new KafkaTopic(cluster, 'Events', { topicName: eventsTopicOf(names), partitions: 1 });
  const deadLetter = new KafkaTopic(cluster, 'DeadLetter', { topicName: names.deadLetter, partitions: 1 });
  const group = new ConsumerGroup(cluster, 'Group', { groupId: names.groupId });
  const eventsGroup = new ConsumerGroup(cluster, 'EventsGroup', { groupId: `${names.groupId}-events` });
  new LogAlerter(chart, 'LogAlerter', { source: logs, events, eventsGroup, deadLetter, group, code: FunctionCode.fromBundle('//'), rules, sinks: sinks(chart) });
  const deployments = Testing.synth(chart).filter((o) => o.kind === 'Deployment' && o.spec.template.spec.containers[0].name === workload);
  if (deployments.length !== 1) throw new Error(`expected one Deployment ${workload}, found ${deployments.length}`);
  const pod = deployments[0].spec.template.spec;
  const container = pod.containers[0];
  // What the kubelet does with the Secret volumes: each mounted key becomes a file; a `_FILE` variable
  // naming a path under a mount is pointed at a local file holding the value from `secrets`.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-alerter-secrets-'));
  const mounted = (file: string): string | undefined => {
    for (const m of container.volumeMounts ?? []) {
      const volume = (pod.volumes ?? []).find((v: any) => v.name === m.name);
      if (!volume?.secret || !file.startsWith(`${m.mountPath}/`)) continue;
      const item = volume.secret.items.find((i: any) => `${m.mountPath}/${i.path}` === file);
      const ref = `${volume.secret.secretName}/${item.key}`;
      if (secrets[ref] === undefined) throw new Error(`${file} is mounted from Secret key ${ref}, which the test did not give`);
      const local = path.join(dir, `${m.name}-${item.path}`);
      fs.writeFileSync(local, secrets[ref], { mode: 0o440 });
      return local;
    }
    return undefined;
  };
  const env: Record<string, string> = {};
  for (const e of container.env as Array<{ name: string; value?: string; valueFrom?: unknown }>) {
    if (e.value === undefined) throw new Error(`env ${e.name} is not a plain value (${JSON.stringify(e.valueFrom)}): secrets are mounted files`);
    env[e.name] = e.name.endsWith('_FILE') ? mounted(e.value) ?? e.value : e.value;
  }
  return { ...env, KAFKA_BROKERS: brokers().join(','), HTTP_PORT: '0', ...tuning };
}

/** Fast retries for tests (the runtime's tuning keys). */
export const FAST_RETRIES = { KLAXON_RETRY_INITIAL_MS: '100', KLAXON_RETRY_MAX_MS: '1000', KLAXON_HEARTBEAT_INTERVAL_MS: '1000', KLAXON_SESSION_TIMEOUT_MS: '10000' };

export interface AlerterProcess {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

/** The sinks' retry topics an alerter run with `env` parks in (none unless ALERTER_SINK_RETRY=topics), as the LogAlerter renders them. */
export function retryTopicsOf(env: Record<string, string>): string[] {
  if (env[AlerterEnv.SINK_RETRY] !== 'topics') return [];
  const specs = JSON.parse(env[AlerterEnv.SINKS] ?? '[]') as AlertSinkSpec[];
  const names = sinkNames(specs);
  return specs.flatMap((spec, i) => (sinkIsParkable(spec) ? [sinkRetryTopicName(env[WorkloadEnv.GROUP_ID], names[i])] : []));
}

/**
 * Runs the bundle with the pods' Node.js (workloadNode()) and exactly `env` (plus PATH), after
 * creating its sinks' retry topics (as Strimzi's topic operator would from the rendered KafkaTopics).
 */
export async function startAlerter(env: Record<string, string>, options: { readonly createRetryTopics?: boolean } = {}): Promise<AlerterProcess> {
  const bundle = await alerterBundle();
  const retryTopics = options.createRetryTopics === false ? [] : retryTopicsOf(env);
  if (retryTopics.length > 0) await createTopics(retryTopics.map((topic) => ({ topic })));
  const child = spawn(workloadNode(), [bundle], { env: { ...env, PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  onJsonLines(child, (line) => lines.push(line));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exited = false;
  void exit.then(() => (exited = true));
  const waitForLine = async (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(predicate);
      if (found) return found;
      const tail = lines.slice(-10).map((l) => JSON.stringify(l).slice(0, 400)).join('\n');
      if (exited) throw new Error(`log-alerter exited before the expected log line; last lines:\n${tail}`);
      if (Date.now() > deadline) throw new Error(`no matching log-alerter line within ${timeoutMs} ms; last lines:\n${tail}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  let port: Promise<number> | undefined;
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    port ??= waitForLine((l) => l.msg === 'http server listening').then((l) => Number(l.port));
    return sumMetric((await httpGet(await port, '/metrics')).body, name, labels);
  };
  return { child, lines, exit, waitForLine, metric, kill: (signal) => void child.kill(signal) };
}

/** Starts alerters and SIGKILLs the ones still running in afterAll. */
export function alerterSuite(): { start(env: Record<string, string>): Promise<AlerterProcess> } {
  const running: AlerterProcess[] = [];
  afterAll(async () => {
    for (const a of running) {
      if (a.child.exitCode !== null || a.child.signalCode !== null) continue;
      a.kill('SIGKILL');
      await a.exit;
    }
  });
  return {
    start: async (env) => {
      const a = await startAlerter(env);
      running.push(a);
      return a;
    },
  };
}

/** The committed offset of `groupId` on partition 0 of `topic` (-1: none). */
export async function committedOffset(groupId: string, topic: string): Promise<number> {
  const admin = testKafka(brokers().join(',')).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Number(t?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

/** Polls until `check` holds; throws with `what` after `timeoutMs` (generous: a slow CI machine only waits longer). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

