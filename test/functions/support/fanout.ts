/**
 * Support for the fanout integration tests (test/integration/fanout-*.test.ts): the env of the
 * synthesized events-fanout Deployment, the bundle run as a child process, topic reading helpers,
 * and event records made from the fixture bytes (so every value keeps the exact encoding of the
 * tool that emits it).
 */
import { ChildProcess, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import { Testing } from 'cdk8s';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KlaxonTopics } from '../../../constructs/kafka/klaxon-topics';
import { EventsFanout } from '../../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { buildFunctions, bundlePath } from '../../../functions/build';
import { brokers, createTopics, uniqueName } from '../../harness';
import { onJsonLines } from '../../harness/processes';
import { workloadNode } from '../../harness/workload-node';
import { FixtureName, fixture } from '../fixtures';
import { httpGet } from './http';

// ---------------------------------------------------------------------------------------------
// The bundle and the env of the synthesized Deployment

let built: Promise<string> | undefined;

/** Builds `.build/functions/events-fanout/index.js` once per test file (what `npm run build:functions` does). */
export function fanoutBundle(): Promise<string> {
  built ??= (async () => {
    const [result] = await buildFunctions({ workloads: ['events-fanout'] });
    if (!result || result.status !== 'built') throw new Error(`events-fanout bundle not built: ${JSON.stringify(result)}`);
    return bundlePath('events-fanout');
  })();
  return built;
}

/** Per-run names of everything the fanout reads and writes. */
export interface FanoutNames {
  readonly source: string;
  readonly deadLetter: string;
  readonly clusterScoped: string;
  readonly unrouted: string;
  readonly prefix: string;
  readonly groupId: string;
  /** Namespace topic of `ns`. */
  topic(ns: string): string;
}

export function fanoutNames(run: string): FanoutNames {
  return {
    source: `${run}.cluster-events`,
    deadLetter: `${run}.dead-letter`,
    clusterScoped: `${run}.cluster-scoped`,
    unrouted: `${run}.unrouted`,
    prefix: `${run}.ns.`,
    groupId: `${run}-fanout`,
    topic: (ns) => `${run}.ns.${ns}`,
  };
}

/** Options of `createFanoutTopics`. */
export interface FanoutTopicOptions {
  /** Partitions of the source and of each namespace topic. @default 3 */
  readonly partitions?: number;
  /** Topic config of the source topic. @default - the broker's */
  readonly sourceConfig?: Readonly<Record<string, string>>;
  /** Partitions of the dead-letter topic. @default 1 */
  readonly deadLetterPartitions?: number;
}

/** Creates every topic the fanout reads and writes for `names`: source, one per namespace, cluster-scoped, unrouted, dead letters. */
export async function createFanoutTopics(names: FanoutNames, namespaces: readonly string[], options: FanoutTopicOptions = {}, admin?: Admin): Promise<void> {
  const partitions = options.partitions ?? 3;
  await createTopics(
    [
      { topic: names.source, partitions, config: options.sourceConfig },
      ...namespaces.map((ns) => ({ topic: names.topic(ns), partitions })),
      { topic: names.clusterScoped },
      { topic: names.unrouted },
      { topic: names.deadLetter, partitions: options.deadLetterPartitions },
    ],
    admin,
  );
}

/**
 * The container env of the events-fanout Deployment synthesized for `names` and `namespaces`,
 * read from the manifest, with KAFKA_BROKERS pointed at the test broker and HTTP_PORT at any free port.
 */
export async function synthesizedFanoutEnv(names: FanoutNames, namespaces: readonly string[], brokers: string): Promise<Record<string, string>> {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics', {
    namespaces: [...namespaces],
    namespacePrefix: names.prefix,
    clusterEventsTopicName: names.source,
    deadLetterTopicName: names.deadLetter,
    clusterScopedTopicName: names.clusterScoped,
    unroutedTopicName: names.unrouted,
  });
  const group = new ConsumerGroup(chart, 'Group', { cluster, groupId: names.groupId });
  new EventsFanout(chart, 'Fanout', { topics, group, code: FunctionCode.fromBundle(fs.readFileSync(await fanoutBundle())) });
  const deployments = Testing.synth(chart).filter((o) => o.kind === 'Deployment');
  if (deployments.length !== 1) throw new Error(`expected one Deployment, found ${deployments.length}`);
  const containers = deployments[0].spec.template.spec.containers as Array<{ name: string; env?: Array<{ name: string; value?: string }> }>;
  const env: Record<string, string> = {};
  for (const e of containers[0].env ?? []) {
    if (e.value === undefined) throw new Error(`env ${e.name} is not a plain value`);
    env[e.name] = e.value;
  }
  return { ...env, KAFKA_BROKERS: brokers, HTTP_PORT: '0' };
}

// ---------------------------------------------------------------------------------------------
// The fanout process

export interface FanoutProcess {
  readonly child: ChildProcess;
  /** Every stdout line so far, parsed (non-JSON lines as { raw }). */
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) and the time of exit. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the HTTP port once the server listens. */
  port(): Promise<number>;
  /** Resolves once a log line matching `predicate` appears. */
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  get(path: string): Promise<{ status: number; body: string }>;
  /** Value of a metric sample (sum over series matching `labels`), 0 if absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs the bundle with the pods' Node.js (workloadNode()) and exactly `env` (plus PATH). */
export async function startFanout(env: Record<string, string>): Promise<FanoutProcess> {
  const bundle = await fanoutBundle();
  const child = spawn(workloadNode(), [bundle], { env: { ...env, PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  onJsonLines(child, (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  let exited = false;
  void exit.then(() => {
    exited = true;
    for (const w of waiters.splice(0)) w();
  });
  const waitForLine = async (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(predicate);
      if (found) return found;
      if (exited) throw new Error(`fanout exited before the expected log line; last lines:\n${tailLines(lines)}`);
      if (Date.now() > deadline) throw new Error(`no matching fanout log line within ${timeoutMs} ms; last lines:\n${tailLines(lines)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  let portPromise: Promise<number> | undefined;
  const port = (): Promise<number> => (portPromise ??= waitForLine((l) => l.msg === 'http server listening').then((l) => Number(l.port)));
  const get = async (path: string): Promise<{ status: number; body: string }> => httpGet(await port(), path);
  return {
    child,
    lines,
    exit,
    port,
    waitForLine,
    get,
    metric: async (name, labels = {}) => sumMetric((await get('/metrics')).body, name, labels),
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** What a fanout test file shares: per-run names, a client of the test broker, and a start that cleans up. */
export interface FanoutSuite {
  readonly names: FanoutNames;
  readonly kafka: Kafka;
  /** `startFanout`, with the process SIGKILLed in afterAll if still running. */
  start(env: Record<string, string>): Promise<FanoutProcess>;
}

/** Call inside a `describe`: names from `prefix`, a client of the harness broker, and an afterAll that kills leftover fanouts. */
export function fanoutSuite(prefix: string): FanoutSuite {
  const running: FanoutProcess[] = [];
  afterAll(() => killRunning(running));
  return {
    names: fanoutNames(uniqueName(prefix)),
    kafka: testKafka(brokers().join(',')),
    start: async (env) => {
      const f = await startFanout(env);
      running.push(f);
      return f;
    },
  };
}

/** SIGKILLs every fanout of `fanouts` still running and waits for it to exit (for afterAll). */
export async function killRunning(fanouts: ReadonlyArray<FanoutProcess | undefined>): Promise<void> {
  for (const f of fanouts) {
    if (!f || f.child.exitCode !== null || f.child.signalCode !== null) continue;
    f.kill('SIGKILL');
    await f.exit;
  }
}

function tailLines(lines: Array<Record<string, unknown>>, n = 15): string {
  return lines
    .slice(-n)
    .map((l) => JSON.stringify(l).slice(0, 400))
    .join('\n');
}

/** Sums the samples of `name` whose labels include `labels`, from Prometheus text. */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const have: Record<string, string> = {};
    for (const part of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[part[1]] = part[2];
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Reading topics

export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'fanout-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Sum of the high watermarks of `topics` (records written, when nothing is deleted). */
export async function recordCount(kafka: Kafka, topics: readonly string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

/** Polls until `topics` hold at least `count` records; resolves with the count. */
export async function waitForRecords(kafka: Kafka, topics: readonly string[], count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = -1;
  let lastError: unknown;
  for (;;) {
    try {
      n = await recordCount(kafka, topics);
      if (n >= count) return n;
    } catch (e) {
      lastError = e; // e.g. a broker that is still starting: ask again
    }
    if (Date.now() > deadline) {
      throw new Error(`only ${n} of ${count} records in ${topics.join(', ')} after ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Committed offsets of `groupId` on `topic`, summed over partitions (-1 partitions count as 0). */
export async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<{ total: number; byPartition: Map<number, number> }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map<number, number>();
    let total = 0;
    for (const p of t?.partitions ?? []) {
      const o = Math.max(0, Number(p.offset));
      byPartition.set(p.partition, o);
      total += o;
    }
    return { total, byPartition };
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Event records from the fixtures

/** One Kubernetes object that events are about. */
export interface Subject {
  readonly kind: 'Pod' | 'Node';
  readonly namespace?: string;
  readonly name: string;
  readonly uid: string;
}

export type SourceFormat = 'eventrouter' | 'kube-eventer' | 'core-v1' | 'events-v1';

/** Event uid carrying a sequence number: `e0000000-0000-4000-8000-<seq, 12 digits>`. */
export function eventUid(seq: number): string {
  return `e0000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
}

/** The sequence number in an event uid found in `value`, or undefined. */
export function seqOf(value: Buffer | string): number | undefined {
  const m = /e0000000-0000-4000-8000-(\d{12})/.exec(value.toString());
  return m ? Number(m[1]) : undefined;
}

function replaceAll(text: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.reduce((t, [from, to]) => t.split(from).join(to), text);
}

/**
 * The bytes `format`'s tool would emit for an event `seq` about `subject`: a fixture with its names
 * and uids swapped (the encoding, field order and escaping stay the tool's).
 */
export function eventBytes(format: SourceFormat, subject: Subject, seq: number): Buffer {
  const uid = eventUid(seq);
  if (subject.kind === 'Node') {
    const name: FixtureName = format === 'kube-eventer' ? 'kube-eventer-node' : 'eventrouter-node';
    if (format !== 'eventrouter' && format !== 'kube-eventer') throw new Error('node events only in eventrouter and kube-eventer formats');
    return Buffer.from(replaceAll(fixture(name).toString(), [['e0000000-0000-4000-8000-000000000002', uid], ['node-1', subject.name]]));
  }
  if (format === 'events-v1') {
    return Buffer.from(
      replaceAll(fixture('events-v1').toString(), [
        ['e0000000-0000-4000-8000-000000000003', uid],
        ['5b1c6f0e-2222-4a2b-9c3d-000000000002', subject.uid],
        ['"db-0', `"${subject.name}`],
        ['billing', subject.namespace!],
      ]),
    );
  }
  const name: FixtureName = format === 'eventrouter' ? 'eventrouter-added' : format === 'kube-eventer' ? 'kube-eventer-pod' : 'core-v1';
  return Buffer.from(
    replaceAll(fixture(name).toString(), [
      ['e0000000-0000-4000-8000-000000000001', uid],
      ['5b1c6f0e-1111-4a2b-9c3d-000000000001', subject.uid],
      ['web-7d9f-abcde', subject.name],
      ['shop', subject.namespace!],
    ]),
  );
}

/** A Pod subject. */
export function pod(namespace: string, i: number): Subject {
  const ns = createHash('sha256').update(namespace).digest('hex').slice(0, 4);
  return { kind: 'Pod', namespace, name: `pod-${namespace}-${i}`, uid: `11111111-${ns}-4000-8000-${String(i).padStart(12, '0')}` };
}

/** A Node subject. */
export function node(i: number): Subject {
  return { kind: 'Node', name: `node-${i}`, uid: `node-${i}` };
}

// ---------------------------------------------------------------------------------------------
// Load

const LOAD_FORMATS: SourceFormat[] = ['eventrouter', 'kube-eventer', 'core-v1', 'events-v1'];

/**
 * Writes `count` valid events about `subjects` Pods spread over `namespaces` to `topic` with a
 * kafkajs producer (acks=-1), keyed by object name as eventrouter does; returns their sequence numbers.
 */
export async function produceLoad(kafka: Kafka, topic: string, namespaces: readonly string[], count: number, subjects = 100): Promise<Set<number>> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const seqs = new Set<number>();
  try {
    const all = Array.from({ length: subjects }, (_, s) => pod(namespaces[s % namespaces.length], s));
    for (let start = 0; start < count; start += 1000) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + 1000); i++) {
        const subject = all[i % subjects];
        const seq = i + 1;
        seqs.add(seq);
        messages.push({ key: subject.name, value: eventBytes(LOAD_FORMATS[i % LOAD_FORMATS.length], subject, seq) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return seqs;
}

/** Every record of `topics` (to their current end), as [source seq, topic, partition, offset]. */
export async function readSeqs(kafka: Kafka, topics: readonly string[]): Promise<Array<{ seq: number; topic: string; partition: number; offset: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  let remaining = 0;
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const n = Number(p.high) - Number(p.low);
        if (n > 0) {
          ends.set(`${topic}/${p.partition}`, Number(p.high));
          remaining += n;
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  const out: Array<{ seq: number; topic: string; partition: number; offset: number }> = [];
  if (remaining === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random().toString(36).slice(2)}`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${remaining} records`)), 120_000);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const end = ends.get(`${topic}/${partition}`);
            if (end === undefined || Number(message.offset) >= end) return;
            out.push({ seq: seqOf(message.value ?? '') ?? -1, topic, partition, offset: Number(message.offset) });
            if (out.length >= remaining) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
