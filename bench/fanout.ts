/**
 * fanout: events-fanout throughput, latency, memory and shutdown on a real broker.
 *
 * 1. Per-run topics made from a KlaxonTopics object (the same object gives the fanout its env):
 *    cluster-events, one topic per declared namespace, cluster-scoped, unrouted, dead-letter.
 * 2. Backlog: BENCH_RECORDS (default 50 000) eventrouter records (~1.3 KB Events over 20
 *    namespaces, 18 declared) are produced into cluster-events first.
 * 3. The bundled fanout (`npm run build:functions` output, built into a temp dir; or
 *    BENCH_FANOUT_BUNDLE) runs as `node index.js` with exactly the env of the synthesized
 *    Deployment, brokers and HTTP port substituted. Throughput = records / (all records in the
 *    output topics, counted by admin offsets − group joined).
 * 4. Steady rate: BENCH_LATENCY_RECORDS (default 2 000) more records at BENCH_LATENCY_RATE/s
 *    (default 500); per-record latency = output record timestamp − source record timestamp.
 * 5. Peak RSS (/proc VmHWM), CPU seconds, /metrics figures; SIGTERM → exit time.
 */
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { ConsumerGroup } from '../constructs/kafka/consumer-group';
import { KafkaCluster } from '../constructs/kafka/kafka-cluster';
import { KlaxonTopics } from '../constructs/kafka/klaxon-topics';
import { EventsFanout } from '../constructs/workloads/events-fanout';
import { FunctionCode } from '../constructs/workloads/function-code';
import { renderedEnv } from '../constructs/workloads/kafka-function';
import { buildFunctions, bundlePath } from '../functions/build';
import { benchNamespaces, eventRecord, GeneratedRecord, seqOf } from './event-records';
import { Benchmark, BenchContext, envInt, mib, now, phaseTimer, procCpuSeconds, procStatusKb, ResultBuilder, sleep, stopProcess } from './lib';
import { highWatermarks, histogramQuantile, httpGet, metricSum, parseMetrics, produceAll, quantile, recordCount, startWorkload, tailLines, WorkloadChild } from './workload';

const NAMESPACE_COUNT = 20;
/** Namespaces with a declared topic; the last two of the 20 go to the unrouted topic. */
const DECLARED = 18;

interface Topology {
  readonly env: Record<string, string>;
  readonly topics: Array<{ topic: string; partitions: number }>;
  readonly source: string;
  readonly outputs: string[];
  readonly groupId: string;
}

/** Topic names, partitions and the fanout env, all from one KlaxonTopics object. */
export function topology(run: string, brokers: string): Topology {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  const namespaces = benchNamespaces(NAMESPACE_COUNT).slice(0, DECLARED);
  const topics = new KlaxonTopics(cluster, 'Topics', {
    namespaces,
    namespacePrefix: `${run}.events.`,
    clusterEventsTopicName: `${run}.cluster-events`,
    deadLetterTopicName: `${run}.dead-letter`,
    clusterScopedTopicName: `${run}.cluster-scoped`,
    unroutedTopicName: `${run}.unrouted`,
  });
  const group = new ConsumerGroup(chart, 'Group', { cluster, groupId: `${run}-fanout` });
  const fanout = new EventsFanout(chart, 'Fanout', { topics, group, code: FunctionCode.fromBundle('//') });
  const env = renderedEnv(fanout.function, { KAFKA_BROKERS: brokers, HTTP_PORT: '0' });
  const outputTopics = [...namespaces.map((ns) => topics.topicForNamespace(ns)!), topics.clusterScoped, topics.unrouted, topics.deadLetter];
  return {
    env,
    source: topics.clusterEvents.topicName,
    outputs: outputTopics.map((t) => t.topicName),
    topics: [topics.clusterEvents, ...outputTopics].map((t) => ({ topic: t.topicName, partitions: t.partitions })),
    groupId: group.groupId,
  };
}

/** Builds the events-fanout bundle into a temp dir (the repo's .build/ may be in use by tests). */
export async function fanoutBundle(ctx: BenchContext): Promise<string> {
  if (process.env.BENCH_FANOUT_BUNDLE) return path.resolve(process.env.BENCH_FANOUT_BUNDLE);
  const outDir = ctx.tempDir('fanout-bundle');
  const [result] = await buildFunctions({ workloads: ['events-fanout'], outDir });
  if (!result || result.status !== 'built') throw new Error(`events-fanout bundle not built: ${JSON.stringify(result)}`);
  // buildFunctions writes <outDir>/<workload>/index.js, as bundlePath() names it under .build/functions
  return path.join(outDir, 'events-fanout', path.basename(bundlePath('events-fanout')));
}

export const fanoutBenchmark: Benchmark = {
  name: 'fanout',
  title: 'events-fanout on a real broker',
  description: 'bundled events-fanout: records/s through a backlog, latency at a steady rate, peak RSS, /metrics, SIGTERM time',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    const total = envInt('BENCH_RECORDS', 50_000);
    const latencyRecords = envInt('BENCH_LATENCY_RECORDS', 2_000);
    const latencyRate = envInt('BENCH_LATENCY_RATE', 500);
    const drainTimeoutMs = envInt('BENCH_FANOUT_TIMEOUT_MS', 240_000);

    const phase = phaseTimer(r);
    const broker = await ctx.broker();
    phase('broker');
    const run = `klaxon-bench-${Date.now().toString(36)}`;
    const topo = topology(run, broker.brokers);
    r.detail('broker', broker);
    r.detail('records', total);
    r.detail('topics', { source: topo.source, partitions: topo.topics.find((t) => t.topic === topo.source)?.partitions, outputs: topo.outputs.length });
    r.detail('env', Object.fromEntries(Object.entries(topo.env).filter(([k]) => k !== 'KAFKA_BROKERS')));

    const bundle = await fanoutBundle(ctx);
    phase('bundle');
    r.detail('bundle', process.env.BENCH_FANOUT_BUNDLE ? bundle : 'functions/events-fanout built with buildFunctions() into a temp dir');

    const clientErrors: string[] = [];
    r.detail('benchClientErrors', clientErrors);
    const kafka = new Kafka({
      clientId: 'klaxon-bench',
      brokers: broker.brokers.split(','),
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => {
        if (clientErrors.length < 10) clientErrors.push(`${entry.namespace}: ${entry.log.message} ${String(entry.log.error ?? '')}`.slice(0, 300));
      },
    });
    const admin = kafka.admin();
    await admin.connect();
    // Idempotent: a produce retried after "not the leader" (common right after topic creation) must not
    // write its records twice. One request in flight keeps the sequence numbers in order.
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    let fanout: WorkloadChild | undefined;
    ctx.onCleanup(async () => {
      if (fanout && fanout.child.exitCode === null && fanout.child.signalCode === null) await stopProcess(fanout.child, 'SIGKILL', 5_000);
      await producer.disconnect().catch(() => undefined);
      if (broker.source === 'external') await admin.deleteTopics({ topics: topo.topics.map((t) => t.topic), timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    });

    ctx.log(`fanout: creating ${topo.topics.length} topics (${run}.*) on ${broker.brokers}`);
    await admin.createTopics({ waitForLeaders: true, topics: topo.topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })) });
    await producer.connect();
    phase('topics');

    // Backlog
    const allNamespaces = benchNamespaces(NAMESPACE_COUNT);
    const baseMs = Date.now();
    const records: GeneratedRecord[] = [];
    let bytes = 0;
    for (let seq = 1; seq <= total; seq++) {
      const rec = eventRecord(seq, allNamespaces, baseMs);
      bytes += rec.value.length;
      records.push(rec);
    }
    r.detail('recordBytesMean', Math.round(bytes / total));
    ctx.log(`fanout: producing ${total} records (${(bytes / 1024 / 1024).toFixed(1)} MiB) into ${topo.source}`);
    const produceSeconds = await produceAll(producer, topo.source, records);
    records.length = 0;
    // Should a record still be written twice, the fanout handles every record in the topic.
    const backlog = await recordCount(admin, [topo.source]);
    r.detail('sourceRecordsAfterProduce', backlog);
    if (backlog < total) throw new Error(`cluster-events holds ${backlog} records after producing ${total}`);
    phase('produce');
    r.add('fanout.produceRecordsPerSecond', 'bench producer into cluster-events (kafkajs, idempotent, acks=all; not the fanout)', total / produceSeconds, 'records/s');

    // Fanout drains the backlog
    ctx.log(`fanout: starting node ${path.basename(path.dirname(bundle))}/index.js`);
    const started = now();
    fanout = startWorkload('fanout', bundle, topo.env);
    const f = fanout;
    const pid = f.child.pid!;
    const listening = await f.waitFor((l) => l.msg === 'http server listening', 60_000);
    const port = Number(listening.line.port);
    const joined = await f.waitFor((l) => l.msg === 'joined group', 60_000);
    phase('start');
    r.add('fanout.readySeconds', 'process start → consumer group joined', (joined.at - started) / 1000, 's', 'log line "joined group"');
    // Done when every source record is fully handled (the fanout's consumed offsets reach the end of
    // cluster-events; an offset is resolved only once its outputs are acknowledged) and the output
    // topics hold at least one record per source record (more if some were consumed twice).
    let peakSampledRssKb = 0;
    let out = 0;
    let consumed = 0;
    const deadline = now() + drainTimeoutMs;
    let lastLog = now();
    for (;;) {
      peakSampledRssKb = Math.max(peakSampledRssKb, procStatusKb(pid, 'VmRSS') ?? 0);
      out = await recordCount(admin, topo.outputs);
      if (out >= backlog) {
        consumed = metricSum(parseMetrics(await httpGet(port, '/metrics')), 'klaxon_consumed_offset', { topic: topo.source }) ?? 0;
        if (consumed >= backlog) break;
      }
      if (f.child.exitCode !== null || f.child.signalCode !== null) throw new Error(`fanout exited during the backlog (${f.child.exitCode ?? f.child.signalCode}):\n${tailLines(f.lines)}`);
      if (now() > deadline) {
        const secs = (now() - joined.at) / 1000;
        r.add('fanout.recordsPerSecond', 'records/s through the backlog (group joined → all records handled and in output topics)', Math.min(out, backlog) / secs, 'records/s', `timed out: ${out} output records, consumed offsets ${consumed} of ${backlog} after ${secs.toFixed(0)} s`);
        throw new Error(`backlog not drained after ${drainTimeoutMs} ms: ${out} output records, consumed offsets ${consumed} of ${backlog}`);
      }
      if (now() - lastLog > 10_000) {
        ctx.log(`fanout: ${out}/${backlog} records out`);
        lastLog = now();
      }
      await sleep(200);
    }
    const done = now();
    const cpuBacklog = procCpuSeconds(pid);
    const drainSeconds = (done - joined.at) / 1000;
    r.add('fanout.recordsPerSecond', 'records/s through the backlog (group joined → all records handled and in output topics)', backlog / drainSeconds, 'records/s', `${backlog} records; output topics counted by admin offsets, consumed offsets from /metrics, every 200 ms`);
    r.detail('outputRecordsAfterBacklog', out);
    r.add('fanout.endToEndRecordsPerSecond', 'records/s including process start and group join', backlog / ((done - started) / 1000), 'records/s');
    if (cpuBacklog !== undefined) r.add('fanout.cpuMsPer1000', 'fanout CPU per 1 000 records (user+sys, start included)', (cpuBacklog * 1000 * 1000) / backlog, 'ms', 'load-independent-ish: CPU time, not wall time');
    r.detail('drainSeconds', drainSeconds);
    phase('drain');
    const m1 = parseMetrics(await httpGet(port, '/metrics'));
    r.detail('metricsAfterBacklog', {
      recordsIn: metricSum(m1, 'klaxon_records_in_total'),
      recordsOut: metricSum(m1, 'klaxon_records_out_total'),
      deadLettered: metricSum(m1, 'klaxon_records_dead_lettered_total'),
      skipped: metricSum(m1, 'klaxon_records_skipped_total'),
      retries: metricSum(m1, 'klaxon_retries_total'),
    });

    // Steady rate: per-record latency
    const marks = await highWatermarks(admin, topo.outputs);
    const sentAt = new Map<number, number>();
    const interval = 50;
    const perTick = Math.max(1, Math.round((latencyRate * interval) / 1000));
    ctx.log(`fanout: ${latencyRecords} records at ${latencyRate}/s for latency`);
    const steadyStart = Date.now();
    for (let seq = total + 1, tick = 0; seq <= total + latencyRecords; tick++) {
      const batch: GeneratedRecord[] = [];
      for (let k = 0; k < perTick && seq <= total + latencyRecords; k++, seq++) batch.push(eventRecord(seq, allNamespaces, Date.now()));
      const ts = Date.now();
      for (const b of batch) sentAt.set(b.seq, ts);
      await producer.send({ topic: topo.source, acks: -1, messages: batch.map((b) => ({ key: b.key, value: b.value, timestamp: String(ts) })) });
      const wait = steadyStart + (tick + 1) * interval - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const sourceTotal = await recordCount(admin, [topo.source]);
    await recordCountAtLeast(admin, topo.outputs, sourceTotal, 60_000);
    phase('steady');
    const readTiming: Record<string, number> = {};
    r.detail('latencyReaderMs', readTiming);
    const latencies = await readLatencies(kafka, `${run}-latency-reader`, marks, sentAt, latencyRecords, readTiming);
    latencies.sort((a, b) => a - b);
    phase('readLatencies');
    r.add('fanout.latencyP50Ms', `per-record latency p50 at ${latencyRate} records/s`, quantile(latencies, 0.5), 'ms', 'output record timestamp − source record timestamp');
    r.add('fanout.latencyP99Ms', `per-record latency p99 at ${latencyRate} records/s`, quantile(latencies, 0.99), 'ms');
    r.add('fanout.latencyMaxMs', `per-record latency max at ${latencyRate} records/s`, latencies[latencies.length - 1] ?? NaN, 'ms');
    r.detail('latencySamples', latencies.length);

    // Memory, CPU and /metrics at the end
    const hwm = procStatusKb(pid, 'VmHWM');
    r.add('fanout.peakRssMiB', 'fanout peak RSS (VmHWM)', hwm === undefined ? null : mib(hwm * 1024), 'MiB', `sampled VmRSS peak ${mib(peakSampledRssKb * 1024).toFixed(0)} MiB`);
    const m2 = parseMetrics(await httpGet(port, '/metrics'));
    const mHeap = metricSum(m2, 'nodejs_heap_size_used_bytes');
    const mRss = metricSum(m2, 'process_resident_memory_bytes');
    const p50 = histogramQuantile(m2, 'klaxon_record_handling_seconds', 0.5);
    const p99 = histogramQuantile(m2, 'klaxon_record_handling_seconds', 0.99);
    r.add('fanout.metrics.handlingP50Ms', '/metrics klaxon_record_handling_seconds p50 (bucket upper bound)', p50 === undefined ? null : p50 * 1000, 'ms', 'take → offset resolved, whole run');
    r.add('fanout.metrics.handlingP99Ms', '/metrics klaxon_record_handling_seconds p99 (bucket upper bound)', p99 === undefined ? null : p99 * 1000, 'ms');
    r.add('fanout.metrics.heapUsedMiB', '/metrics nodejs_heap_size_used_bytes at the end', mHeap === undefined ? null : mib(mHeap), 'MiB');
    const mHeapTotal = metricSum(m2, 'nodejs_heap_size_total_bytes');
    const mExternal = metricSum(m2, 'nodejs_external_memory_bytes');
    r.add('fanout.metrics.heapTotalMiB', '/metrics nodejs_heap_size_total_bytes at the end', mHeapTotal === undefined ? null : mib(mHeapTotal), 'MiB');
    r.add('fanout.metrics.externalMiB', '/metrics nodejs_external_memory_bytes at the end (Buffers)', mExternal === undefined ? null : mib(mExternal), 'MiB');
    r.add('fanout.metrics.residentMiB', '/metrics process_resident_memory_bytes at the end', mRss === undefined ? null : mib(mRss), 'MiB');
    r.add('fanout.metrics.eventLoopLagP99Ms', '/metrics nodejs_eventloop_lag_p99_seconds', (metricSum(m2, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 'ms');
    const recordsIn = metricSum(m2, 'klaxon_records_in_total') ?? 0;
    const routed = Object.fromEntries((m2.get('klaxon_records_out_total') ?? []).map((s) => [s.labels.topic?.replace(`${run}.`, '') ?? '?', s.value]));
    r.detail('metrics', {
      recordsIn,
      recordsOut: metricSum(m2, 'klaxon_records_out_total'),
      deadLettered: metricSum(m2, 'klaxon_records_dead_lettered_total'),
      skipped: metricSum(m2, 'klaxon_records_skipped_total'),
      retries: metricSum(m2, 'klaxon_retries_total'),
      crashes: metricSum(m2, 'klaxon_consumer_crashes_total'),
      processCpuSeconds: metricSum(m2, 'process_cpu_seconds_total'),
      outByTopic: routed,
    });
    r.add('fanout.redelivered', 'records consumed more than once (klaxon_records_in_total − records in cluster-events)', recordsIn - sourceTotal, 'records', 'at-least-once: redelivery after a rebalance or restart; 0 in a clean run');

    const problems = f.lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.raw !== undefined);
    r.detail('fanoutLogLines', f.lines.length);
    r.detail('fanoutWarnings', { count: problems.length, first: problems.slice(0, 5).map((l) => JSON.stringify(l).slice(0, 400)) });

    // SIGTERM
    const stop = await stopProcess(f.child, 'SIGTERM', 20_000);
    r.add('fanout.shutdownSeconds', 'SIGTERM → process exit', stop.ms / 1000, 's', `exit ${stop.code ?? stop.signal}${stop.killed ? ', SIGKILLed after 20 s' : ''}`);
    r.detail('exit', stop);
    phase('stop');
    if (stop.code !== 0) throw new Error(`fanout exited ${stop.code ?? stop.signal} after SIGTERM:\n${tailLines(f.lines)}`);
  },
};

async function recordCountAtLeast(admin: Admin, topics: readonly string[], count: number, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const n = await recordCount(admin, topics);
    if (n >= count) return;
    if (now() > deadline) throw new Error(`only ${n} of ${count} records in the output topics after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Reads the output records after `marks` and returns output timestamp − sent time, per record. */
async function readLatencies(
  kafka: Kafka,
  groupId: string,
  marks: Map<string, Array<{ partition: number; offset: string }>>,
  sentAt: Map<number, number>,
  expected: number,
  timing: Record<string, number>,
): Promise<number[]> {
  const t0 = now();
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  consumer.on(consumer.events.GROUP_JOIN, () => (timing.joinMs = Math.round(now() - t0)));
  const latencies: number[] = [];
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topics: [...marks.keys()], fromBeginning: true });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        // Records of the backlog (read before a seek takes effect) carry no send time: skipped.
        for (const m of batch.messages) {
          const seq = seqOf(m.value);
          const sent = seq === undefined ? undefined : sentAt.get(seq);
          if (sent !== undefined) latencies.push(Number(m.timestamp) - sent);
        }
        if (latencies.length >= expected) resolveDone();
      },
    });
    // Skip the backlog: start each partition at its offset from before the steady-rate records.
    for (const [topic, partitions] of marks) for (const p of partitions) consumer.seek({ topic, partition: p.partition, offset: p.offset });
    await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, 60_000)))]);
    timing.readMs = Math.round(now() - t0);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    timing.disconnectedMs = Math.round(now() - t0);
  }
  return latencies;
}
