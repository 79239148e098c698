/**
 * What the Kafka workload benchmarks (fanout, alerter) share: a bundle run as a child process with
 * its JSON log lines, /metrics parsing, topic record counts, and bulk producing.
 */
import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import { Admin, CompressionTypes, Producer } from 'kafkajs';
import { onJsonLines } from '../test/harness/processes';
import { workloadNode } from '../test/harness/workload-node';
import { now, sleep } from './lib';

/** Sum of (high − low) over every partition of `topics`. */
export async function recordCount(admin: Admin, topics: readonly string[]): Promise<number> {
  const offsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
  return offsets.flat().reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** Partition → high watermark, per topic. */
export async function highWatermarks(admin: Admin, topics: readonly string[]): Promise<Map<string, Array<{ partition: number; offset: string }>>> {
  const out = new Map<string, Array<{ partition: number; offset: string }>>();
  for (const t of topics) out.set(t, (await admin.fetchTopicOffsets(t)).map((p) => ({ partition: p.partition, offset: p.high })));
  return out;
}

/** A record to produce: key (optional) and value. */
export interface ProducibleRecord {
  readonly key?: string;
  readonly value: Buffer;
}

/** Produces `records` with up to `inFlight` batches of `batch` records at once; returns seconds. */
export async function produceAll(producer: Producer, topic: string, records: readonly ProducibleRecord[], batch = 1000, inFlight = 1): Promise<number> {
  const started = now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const slice = records.slice(next, next + batch);
      next += batch;
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: slice.map((r) => ({ key: r.key ?? null, value: r.value })) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (now() - started) / 1000;
}

/** A workload bundle running as `node index.js`, its JSON log lines collected. */
export interface WorkloadChild {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  waitFor(predicate: (l: Record<string, unknown>) => boolean, timeoutMs: number): Promise<{ line: Record<string, unknown>; at: number }>;
}

/** Runs `bundle` with the pods' Node.js (workloadNode()) and exactly `env` (plus PATH); SIGKILLed if the bench exits first. */
export function startWorkload(name: string, bundle: string, env: Record<string, string>): WorkloadChild {
  const child = spawn(workloadNode(), [bundle], { env: { ...env, PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
  const lines: Array<Record<string, unknown>> = [];
  const seen: Array<{ line: Record<string, unknown>; at: number }> = [];
  onJsonLines(child, (line) => {
    lines.push(line);
    seen.push({ line, at: now() });
    if (seen.length > 2000) seen.splice(0, 1000);
  });
  return {
    child,
    lines,
    async waitFor(predicate, timeoutMs) {
      const deadline = now() + timeoutMs;
      for (;;) {
        const found = seen.find((s) => predicate(s.line));
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}); last lines:\n${tailLines(lines)}`);
        if (now() > deadline) throw new Error(`no matching ${name} log line within ${timeoutMs} ms; last lines:\n${tailLines(lines)}`);
        await sleep(20);
      }
    },
  };
}

/** The last `n` log lines, each cut to 300 characters. */
export function tailLines(lines: Array<Record<string, unknown>>, n = 12): string {
  return lines.slice(-n).map((l) => JSON.stringify(l).slice(0, 300)).join('\n');
}

/** GET http://127.0.0.1:<port><p>: the body. */
export function httpGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: p, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Prometheus text → name → samples ({labels, value}). */
export function parseMetrics(text: string): Map<string, Array<{ labels: Record<string, string>; value: number }>> {
  const out = new Map<string, Array<{ labels: Record<string, string>; value: number }>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const part of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[part[1]] = part[2];
    const list = out.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1], list);
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `labels`; undefined when the metric is absent. */
export function metricSum(metrics: ReturnType<typeof parseMetrics>, name: string, labels: Record<string, string> = {}): number | undefined {
  const samples = metrics.get(name);
  if (!samples) return undefined;
  return samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** Upper bound of the histogram bucket holding quantile `q` (Prometheus cumulative buckets). */
export function histogramQuantile(metrics: ReturnType<typeof parseMetrics>, name: string, q: number): number | undefined {
  const buckets = (metrics.get(`${name}_bucket`) ?? []).map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), n: s.value })).sort((a, b) => a.le - b.le);
  const total = buckets.length ? buckets[buckets.length - 1].n : 0;
  if (total === 0) return undefined;
  return buckets.find((b) => b.n >= q * total)?.le;
}

/** Quantile `q` of ascending `sorted` (nearest rank); NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

