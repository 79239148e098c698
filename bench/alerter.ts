/**
 * alerter: log-alerter throughput, delivery, latency, memory and shutdown on a real broker.
 *
 * 1. Per-run logs and dead-letter topics from a KlaxonTopics object; a LogAlerter construct over
 *    them (rules EXAMPLE_404_RULE and FANOUT_ERROR_RULE, main.ts's rules without their throttles,
 *    so every match is delivered; one Notification Manager sink pointing at a local receiver,
 *    test/harness/receivers.ts, which answers 200 at once) gives the env.
 * 2. Backlog: BENCH_ALERTER_RECORDS (default 50 000) Fluent Bit container log records
 *    (log-records.ts: ~1 KB, a dozen namespaces, access/JSON/klog/logfmt lines and stack traces;
 *    7 % match a rule, the rest do not) are produced into the logs topic (10 partitions, the
 *    KlaxonTopics default) first.
 * 3. The bundled log-alerter (functions/log-alerter built with buildFunctions() into a temp dir, or
 *    BENCH_ALERTER_BUNDLE) runs as `node index.js` with exactly the env of the synthesized
 *    Deployment, brokers and HTTP port substituted. Throughput = records / (group joined → consumed
 *    offsets at the end of the logs topic and every match at the receiver). Each alert carries its
 *    record's request id, so the receiver counts deliveries per record: missing, duplicate and
 *    unexpected alerts.
 * 4. Steady rate: BENCH_ALERTER_LATENCY_RECORDS (default 1 000) matching records at
 *    BENCH_ALERTER_LATENCY_RATE/s (default 100); latency = receiver arrival − record produce time.
 * 5. Peak RSS (/proc VmHWM), CPU seconds, /metrics figures; SIGTERM → exit time.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Kafka, logLevel } from 'kafkajs';
import { AlertSink } from '../constructs/alerting/alert-sink';
import { LogAlerter, LogAlerterProps } from '../constructs/workloads/log-alerter';
import { ConsumerGroup } from '../constructs/kafka/consumer-group';
import { KafkaCluster } from '../constructs/kafka/kafka-cluster';
import { KlaxonTopics } from '../constructs/kafka/klaxon-topics';
import { FunctionCode } from '../constructs/workloads/function-code';
import { renderedEnv } from '../constructs/workloads/kafka-function';
import { buildFunctions, bundlePath } from '../functions/build';
import { EXAMPLE_404_RULE } from '../functions/contracts/alert-rules';
import { AlertSinkSpec, sinkIsParkable, sinkNames } from '../functions/contracts/alert-sinks';
import { sinkRetryTopicName } from '../functions/contracts/topic-names';
import { AlerterEnv, WorkloadEnv } from '../functions/contracts/workload-env';
import { notificationManager, Receiver } from '../test/harness/receivers';
import { Benchmark, BenchContext, envInt, mib, now, phaseTimer, procCpuSeconds, procStatusKb, REPO_ROOT, ResultBuilder, sleep, stopProcess } from './lib';
import { FANOUT_ERROR_RULE, GeneratedLogRecord, logRecord, logSeqsOf } from './log-records';
import { histogramQuantile, httpGet, metricSum, parseMetrics, produceAll, quantile, recordCount, startWorkload, tailLines, WorkloadChild } from './workload';

interface Topology {
  readonly env: Record<string, string>;
  readonly logs: { topic: string; partitions: number };
  readonly deadLetter: { topic: string; partitions: number };
  readonly groupId: string;
  /** The Deployment's container memory limit, MiB. */
  readonly memoryLimitMiB?: number;
}

/** The retry topics an alerter with `env` parks in (ALERTER_SINK_RETRY=topics), named as the LogAlerter renders them. */
export function retryTopicsOf(env: Record<string, string>): string[] {
  if (env[AlerterEnv.SINK_RETRY] !== 'topics') return [];
  const specs = JSON.parse(env[AlerterEnv.SINKS] ?? '[]') as AlertSinkSpec[];
  const names = sinkNames(specs);
  return specs.flatMap((spec, i) => (sinkIsParkable(spec) ? [sinkRetryTopicName(env[WorkloadEnv.GROUP_ID], names[i])] : []));
}

/**
 * Topic names, partitions and the alerter env, all from one KlaxonTopics object and a LogAlerter with
 * `rules` (main.ts's two rules, without their throttles, by default) and one Notification Manager sink.
 */
export function alerterTopology(run: string, brokers: string, sinkUrl: string, rules: LogAlerterProps['rules'] = [EXAMPLE_404_RULE, FANOUT_ERROR_RULE]): Topology {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics', { logsTopicName: `${run}.logs`, deadLetterTopicName: `${run}.dead-letter` });
  const group = new ConsumerGroup(chart, 'Group', { cluster, groupId: `${run}-alerter` });
  const alerter = new LogAlerter(chart, 'LogAlerter', {
    source: topics.logs,
    deadLetter: topics.deadLetter,
    group,
    code: FunctionCode.fromBundle('//'),
    rules,
    sinks: [AlertSink.notificationManager({ url: sinkUrl })],
  });
  return {
    env: renderedEnv(alerter.function, { KAFKA_BROKERS: brokers, HTTP_PORT: '0' }),
    logs: { topic: topics.logs.topicName, partitions: topics.logs.partitions },
    deadLetter: { topic: topics.deadLetter.topicName, partitions: topics.deadLetter.partitions },
    groupId: group.groupId,
    memoryLimitMiB: alerter.function.resources.memory?.limit?.toMebibytes(),
  };
}

/** Alerts the receiver accepted, per record (by the request id in the alert's description). */
class Deliveries {
  /** seq → arrival times (epoch ms), one per accepted request. */
  readonly arrivals = new Map<number, number[]>();
  /** Accepted requests without a request id. */
  unidentified = 0;
  /** Requests the receiver refused (not an Alertmanager webhook message). */
  refused = 0;
  private cursor = 0;

  constructor(private readonly receiver: Receiver) {}

  /** Reads the requests that arrived since the last call. */
  update(): void {
    const requests = this.receiver.requests;
    for (; this.cursor < requests.length; this.cursor++) {
      const r = requests[this.cursor];
      if (r.status < 200 || r.status >= 300) {
        this.refused++;
        continue;
      }
      // a request may carry several alerts (Notification Manager takes a message of many)
      const seqs = logSeqsOf(r.body.toString('utf8'));
      if (seqs.length === 0) this.unidentified++;
      for (const seq of seqs) {
        const list = this.arrivals.get(seq) ?? [];
        list.push(r.receivedAt);
        this.arrivals.set(seq, list);
      }
    }
  }

  /** How many of `seqs` arrived at least once. */
  deliveredOf(seqs: ReadonlySet<number>): number {
    let n = 0;
    for (const s of seqs) if (this.arrivals.has(s)) n++;
    return n;
  }

  /** Missing, duplicate (extra deliveries of expected records) and unexpected alerts, for `seqs`. */
  audit(seqs: ReadonlySet<number>, range: { from: number; to: number }): { delivered: number; missing: number; duplicates: number; unexpected: number } {
    let delivered = 0;
    let duplicates = 0;
    let unexpected = 0;
    for (const [seq, list] of this.arrivals) {
      if (seq < range.from || seq > range.to) continue;
      if (seqs.has(seq)) {
        delivered++;
        duplicates += list.length - 1;
      } else unexpected += list.length;
    }
    return { delivered, missing: seqs.size - delivered, duplicates, unexpected };
  }
}

/** Builds the log-alerter bundle into a temp dir (the repo's .build/ may be in use by tests). */
export async function alerterBundle(ctx: BenchContext): Promise<string> {
  if (process.env.BENCH_ALERTER_BUNDLE) return path.resolve(process.env.BENCH_ALERTER_BUNDLE);
  const outDir = ctx.tempDir('alerter-bundle');
  const [result] = await buildFunctions({ workloads: ['log-alerter'], outDir });
  if (!result || result.status !== 'built') throw new Error(`log-alerter bundle not built: ${JSON.stringify(result)}`);
  return path.join(outDir, 'log-alerter', path.basename(bundlePath('log-alerter')));
}

/** The commit and uncommitted changes of the alerter's sources, so a result can be tied to its code. */
function sourceState(): { commit?: string; uncommitted?: string[] } {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git(['status', '--porcelain', '--', 'functions/log-alerter', 'functions/runtime', 'functions/contracts']);
    return { commit: git(['rev-parse', '--short', 'HEAD']), uncommitted: dirty ? dirty.split('\n') : [] };
  } catch {
    return {};
  }
}

export const alerterBenchmark: Benchmark = {
  name: 'alerter',
  title: 'log-alerter on a real broker',
  description: 'bundled log-alerter: records/s and alerts/s through a backlog (each match delivered once), latency at a steady rate, peak RSS, SIGTERM time',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    const total = envInt('BENCH_ALERTER_RECORDS', 50_000);
    const latencyRecords = envInt('BENCH_ALERTER_LATENCY_RECORDS', 1_000);
    const latencyRate = envInt('BENCH_ALERTER_LATENCY_RATE', 100);
    const drainTimeoutMs = envInt('BENCH_ALERTER_TIMEOUT_MS', 240_000);

    const phase = phaseTimer(r);
    const broker = await ctx.broker();
    phase('broker');
    const receiver = await notificationManager();
    ctx.onCleanup(() => receiver.close());
    const run = `klaxon-bench-${Date.now().toString(36)}`;
    const topo = alerterTopology(run, broker.brokers, receiver.url);
    r.detail('broker', broker);
    r.detail('records', total);
    r.detail('topics', { logs: topo.logs, deadLetter: topo.deadLetter });
    r.detail('env', Object.fromEntries(Object.entries(topo.env).filter(([k]) => k !== 'KAFKA_BROKERS')));
    r.detail('deploymentMemoryLimitMiB', topo.memoryLimitMiB);

    const bundle = await alerterBundle(ctx);
    phase('bundle');
    r.detail('bundle', {
      source: process.env.BENCH_ALERTER_BUNDLE ? bundle : 'functions/log-alerter built with buildFunctions() into a temp dir',
      sha256: createHash('sha256').update(fs.readFileSync(bundle)).digest('hex').slice(0, 16),
      ...sourceState(),
    });

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
    // Idempotent, one request in flight: a produce retried after "not the leader" writes nothing twice.
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    let alerter: WorkloadChild | undefined;
    ctx.onCleanup(async () => {
      if (alerter && alerter.child.exitCode === null && alerter.child.signalCode === null) await stopProcess(alerter.child, 'SIGKILL', 5_000);
      await producer.disconnect().catch(() => undefined);
      if (broker.source === 'external') await admin.deleteTopics({ topics: [topo.logs.topic, topo.deadLetter.topic, ...retryTopicsOf(topo.env)], timeout: 10_000 }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    });

    // the sinks' retry topics too, as Strimzi's topic operator would from the KafkaTopics the LogAlerter renders
    const retryTopics = retryTopicsOf(topo.env);
    ctx.log(`alerter: creating ${topo.logs.topic} (${topo.logs.partitions} partitions), ${topo.deadLetter.topic} and ${retryTopics.join(', ') || 'no retry topic'} on ${broker.brokers}`);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topo.logs, topo.deadLetter, ...retryTopics.map((topic) => ({ topic, partitions: 1 }))]
        .map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
    });
    await producer.connect();
    phase('topics');

    // Backlog
    const baseMs = Date.now() - 60_000;
    const records: GeneratedLogRecord[] = [];
    const expected = new Set<number>();
    const byRule: Record<string, number> = {};
    let bytes = 0;
    for (let seq = 1; seq <= total; seq++) {
      const rec = logRecord(seq, baseMs + Math.floor((seq * 60_000) / total));
      bytes += rec.value.length;
      if (rec.expected) {
        expected.add(seq);
        byRule[rec.expected] = (byRule[rec.expected] ?? 0) + 1;
      }
      records.push(rec);
    }
    r.detail('recordBytesMean', Math.round(bytes / total));
    r.detail('expectedMatches', { total: expected.size, byRule, percent: Math.round((expected.size / total) * 1000) / 10 });
    ctx.log(`alerter: producing ${total} records (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${expected.size} matching) into ${topo.logs.topic}`);
    const produceSeconds = await produceAll(producer, topo.logs.topic, records);
    records.length = 0;
    const backlog = await recordCount(admin, [topo.logs.topic]);
    r.detail('logsRecordsAfterProduce', backlog);
    if (backlog !== total) throw new Error(`the logs topic holds ${backlog} records after producing ${total}`);
    phase('produce');
    r.add('alerter.produceRecordsPerSecond', 'bench producer into logs (kafkajs, idempotent, acks=all; not the alerter)', total / produceSeconds, 'records/s');

    // The alerter drains the backlog
    const deliveries = new Deliveries(receiver);
    ctx.log(`alerter: starting node ${path.basename(path.dirname(bundle))}/index.js`);
    const started = now();
    alerter = startWorkload('log-alerter', bundle, topo.env);
    const a = alerter;
    const pid = a.child.pid!;
    const listening = await a.waitFor((l) => l.msg === 'http server listening', 60_000);
    const port = Number(listening.line.port);
    const joined = await a.waitFor((l) => l.msg === 'joined group', 60_000);
    phase('start');
    r.add('alerter.readySeconds', 'process start → consumer group joined', (joined.at - started) / 1000, 's', 'log line "joined group"');
    // Done when every record is handled (consumed offsets at the end of the logs topic: an offset is
    // resolved only once its alerts are accepted) and every match arrived at the receiver.
    const consumedOffsets = async (): Promise<number> => metricSum(parseMetrics(await httpGet(port, '/metrics')), 'klaxon_consumed_offset', { topic: topo.logs.topic }) ?? 0;
    let peakSampledRssKb = 0;
    let consumed = 0;
    let delivered = 0;
    let allConsumedAt: number | undefined;
    const deadline = now() + drainTimeoutMs;
    let lastLog = now();
    for (;;) {
      peakSampledRssKb = Math.max(peakSampledRssKb, procStatusKb(pid, 'VmRSS') ?? 0);
      deliveries.update();
      delivered = deliveries.deliveredOf(expected);
      consumed = await consumedOffsets();
      if (consumed >= backlog) {
        allConsumedAt ??= now();
        if (delivered >= expected.size) break;
        // Handled but not delivered: an alert is missing; give stragglers a moment, then report it.
        if (now() - allConsumedAt > 5_000) break;
      }
      if (a.child.exitCode !== null || a.child.signalCode !== null) throw new Error(`log-alerter exited during the backlog (${a.child.exitCode ?? a.child.signalCode}):\n${tailLines(a.lines)}`);
      if (now() > deadline) {
        const secs = (now() - joined.at) / 1000;
        r.add('alerter.recordsPerSecond', 'records/s through the backlog (group joined → all records handled and every match at the receiver)', consumed / secs, 'records/s', `timed out: consumed offsets ${consumed} of ${backlog}, ${delivered} of ${expected.size} alerts after ${secs.toFixed(0)} s`);
        throw new Error(`backlog not drained after ${drainTimeoutMs} ms: consumed offsets ${consumed} of ${backlog}, ${delivered} of ${expected.size} alerts at the receiver`);
      }
      if (now() - lastLog > 10_000) {
        ctx.log(`alerter: consumed ${consumed}/${backlog}, alerts ${delivered}/${expected.size}`);
        lastLog = now();
      }
      await sleep(200);
    }
    const done = delivered >= expected.size ? now() : allConsumedAt!;
    const cpuBacklog = procCpuSeconds(pid);
    const drainSeconds = (done - joined.at) / 1000;
    const backlogAudit = deliveries.audit(expected, { from: 1, to: total });
    r.add('alerter.recordsPerSecond', 'records/s through the backlog (group joined → all records handled and every match at the receiver)', backlog / drainSeconds, 'records/s', `${backlog} records, ${expected.size} matching; consumed offsets from /metrics and receiver polled every 200 ms`);
    r.add('alerter.alertsPerSecond', 'alerts delivered/s through the backlog (same interval)', backlogAudit.delivered / drainSeconds, 'alerts/s', 'one Notification Manager sink answering 200 at once; no throttle');
    r.add('alerter.endToEndRecordsPerSecond', 'records/s including process start and group join', backlog / ((done - started) / 1000), 'records/s');
    if (cpuBacklog !== undefined) {
      r.add('alerter.cpuSeconds', 'alerter CPU seconds for the backlog (user+sys, start included)', cpuBacklog, 's', '/proc/<pid>/stat');
      r.add('alerter.cpuMsPer1000', 'alerter CPU per 1 000 records (user+sys, start included)', (cpuBacklog * 1000 * 1000) / backlog, 'ms', 'load-independent-ish: CPU time, not wall time');
    }
    r.add('alerter.backlogAlertsDelivered', 'backlog: matching records whose alert arrived', backlogAudit.delivered, 'alerts', `of ${expected.size} expected`);
    r.add('alerter.missingAlerts', 'backlog: matching records whose alert never arrived', backlogAudit.missing, 'alerts');
    r.detail('drainSeconds', drainSeconds);
    r.detail('backlogAudit', { ...backlogAudit, expected: expected.size, unidentified: deliveries.unidentified, refusedByReceiver: deliveries.refused });
    phase('drain');
    const m1 = parseMetrics(await httpGet(port, '/metrics'));
    r.detail('metricsAfterBacklog', {
      recordsIn: metricSum(m1, 'klaxon_records_in_total'),
      matched: metricSum(m1, 'klaxon_alerter_alerts_matched_total'),
      sent: metricSum(m1, 'klaxon_alerter_alerts_sent_total'),
      throttled: metricSum(m1, 'klaxon_alerter_alerts_throttled_total'),
      deadLettered: metricSum(m1, 'klaxon_records_dead_lettered_total'),
      skipped: metricSum(m1, 'klaxon_records_skipped_total'),
      deliveryRetries: metricSum(m1, 'klaxon_alerter_delivery_retries_total'),
    });
    if (backlogAudit.missing > 0) throw new Error(`${backlogAudit.missing} of ${expected.size} matching records got no alert although every offset was consumed`);

    // Steady rate: per-alert latency
    const steady = new Set<number>();
    const sentAt = new Map<number, number>();
    const perTick = Math.max(1, Math.round(latencyRate / 20));
    const interval = (1000 * perTick) / latencyRate;
    ctx.log(`alerter: ${latencyRecords} matching records at ${latencyRate}/s for latency`);
    const steadyStart = Date.now();
    const steadyFrom = total + 1;
    const steadyTo = total + latencyRecords;
    for (let seq = steadyFrom, tick = 0; seq <= steadyTo; tick++) {
      const batch: GeneratedLogRecord[] = [];
      for (let k = 0; k < perTick && seq <= steadyTo; k++, seq++) batch.push(logRecord(seq, Date.now(), true));
      const ts = Date.now();
      for (const b of batch) {
        sentAt.set(b.seq, ts);
        steady.add(b.seq);
      }
      await producer.send({ topic: topo.logs.topic, acks: -1, messages: batch.map((b) => ({ value: b.value, timestamp: String(ts) })) });
      const wait = steadyStart + (tick + 1) * interval - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const steadyDeadline = now() + 60_000;
    for (;;) {
      deliveries.update();
      if (deliveries.deliveredOf(steady) >= steady.size) break;
      if (now() > steadyDeadline) break;
      await sleep(100);
    }
    phase('steady');
    const latencies: number[] = [];
    for (const seq of steady) {
      const first = deliveries.arrivals.get(seq)?.[0];
      if (first !== undefined) latencies.push(first - sentAt.get(seq)!);
    }
    latencies.sort((x, y) => x - y);
    r.add('alerter.latencyP50Ms', `per-alert latency p50 at ${latencyRate} matching records/s`, quantile(latencies, 0.5), 'ms', 'receiver arrival − record produce time');
    r.add('alerter.latencyP99Ms', `per-alert latency p99 at ${latencyRate} matching records/s`, quantile(latencies, 0.99), 'ms');
    r.add('alerter.latencyMaxMs', `per-alert latency max at ${latencyRate} matching records/s`, latencies[latencies.length - 1] ?? NaN, 'ms');
    r.detail('latencySamples', latencies.length);
    r.detail('steadyAudit', deliveries.audit(steady, { from: steadyFrom, to: steadyTo }));

    // Delivery over the whole run, memory, CPU and /metrics at the end
    await sleep(500); // a duplicate would follow its first delivery closely
    deliveries.update();
    const all = new Set([...expected, ...steady]);
    const audit = deliveries.audit(all, { from: 1, to: steadyTo });
    r.add('alerter.alertsDelivered', 'matching records whose alert arrived (backlog + steady rate)', audit.delivered, 'alerts', `of ${all.size} expected`);
    r.add('alerter.duplicateAlerts', 'alerts delivered more than once (extra deliveries of the same record)', audit.duplicates, 'alerts', 'at-least-once: a redelivery after a restart or rebalance would show here; 0 in a clean run');
    r.add('alerter.unexpectedAlerts', 'alerts for records no rule should match', audit.unexpected + deliveries.unidentified, 'alerts');
    const hwm = procStatusKb(pid, 'VmHWM');
    r.add('alerter.peakRssMiB', 'alerter peak RSS (VmHWM)', hwm === undefined ? null : mib(hwm * 1024), 'MiB', `sampled VmRSS peak ${mib(peakSampledRssKb * 1024).toFixed(0)} MiB during the backlog; Deployment limit ${topo.memoryLimitMiB ?? '?'} MiB, ${topo.env.NODE_OPTIONS ?? 'no NODE_OPTIONS'}`);
    const m2 = parseMetrics(await httpGet(port, '/metrics'));
    const sinkP50 = histogramQuantile(m2, 'klaxon_alerter_sink_request_seconds', 0.5);
    const sinkP99 = histogramQuantile(m2, 'klaxon_alerter_sink_request_seconds', 0.99);
    const handlingP99 = histogramQuantile(m2, 'klaxon_record_handling_seconds', 0.99);
    r.add('alerter.metrics.sinkRequestP50Ms', '/metrics klaxon_alerter_sink_request_seconds p50 (bucket upper bound)', sinkP50 === undefined ? null : sinkP50 * 1000, 'ms', 'one POST to the sink, whole run');
    r.add('alerter.metrics.sinkRequestP99Ms', '/metrics klaxon_alerter_sink_request_seconds p99 (bucket upper bound)', sinkP99 === undefined ? null : sinkP99 * 1000, 'ms');
    r.add('alerter.metrics.handlingP99Ms', '/metrics klaxon_record_handling_seconds p99 (bucket upper bound)', handlingP99 === undefined ? null : handlingP99 * 1000, 'ms', 'take → offset resolved, whole run');
    const mHeap = metricSum(m2, 'nodejs_heap_size_used_bytes');
    const mHeapTotal = metricSum(m2, 'nodejs_heap_size_total_bytes');
    const mRss = metricSum(m2, 'process_resident_memory_bytes');
    r.add('alerter.metrics.heapUsedMiB', '/metrics nodejs_heap_size_used_bytes at the end', mHeap === undefined ? null : mib(mHeap), 'MiB');
    r.add('alerter.metrics.heapTotalMiB', '/metrics nodejs_heap_size_total_bytes at the end', mHeapTotal === undefined ? null : mib(mHeapTotal), 'MiB');
    r.add('alerter.metrics.residentMiB', '/metrics process_resident_memory_bytes at the end', mRss === undefined ? null : mib(mRss), 'MiB');
    r.add('alerter.metrics.eventLoopLagP99Ms', '/metrics nodejs_eventloop_lag_p99_seconds', (metricSum(m2, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000, 'ms');
    const sourceTotal = await recordCount(admin, [topo.logs.topic]);
    const recordsIn = metricSum(m2, 'klaxon_records_in_total') ?? 0;
    const deadLetters = await recordCount(admin, [topo.deadLetter.topic]);
    r.detail('metrics', {
      recordsIn,
      matched: metricSum(m2, 'klaxon_alerter_alerts_matched_total'),
      matchedByRule: Object.fromEntries((m2.get('klaxon_alerter_alerts_matched_total') ?? []).map((s) => [s.labels.rule ?? '?', s.value])),
      sent: metricSum(m2, 'klaxon_alerter_alerts_sent_total'),
      throttled: metricSum(m2, 'klaxon_alerter_alerts_throttled_total'),
      deadLettered: metricSum(m2, 'klaxon_records_dead_lettered_total'),
      deliveryRetries: metricSum(m2, 'klaxon_alerter_delivery_retries_total'),
      crashes: metricSum(m2, 'klaxon_consumer_crashes_total'),
      processCpuSeconds: metricSum(m2, 'process_cpu_seconds_total'),
    });
    r.detail('deadLetterTopicRecords', deadLetters);
    r.add('alerter.redelivered', 'records consumed more than once (klaxon_records_in_total − records in logs)', recordsIn - sourceTotal, 'records', 'one member, no restarts');

    const problems = a.lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.raw !== undefined);
    r.detail('alerterLogLines', a.lines.length);
    r.detail('alerterWarnings', { count: problems.length, first: problems.slice(0, 5).map((l) => JSON.stringify(l).slice(0, 400)) });

    // SIGTERM
    const stop = await stopProcess(a.child, 'SIGTERM', 20_000);
    r.add('alerter.shutdownSeconds', 'SIGTERM → process exit', stop.ms / 1000, 's', `exit ${stop.code ?? stop.signal}${stop.killed ? ', SIGKILLed after 20 s' : ''}`);
    r.detail('exit', stop);
    phase('stop');
    if (stop.code !== 0) throw new Error(`log-alerter exited ${stop.code ?? stop.signal} after SIGTERM:\n${tailLines(a.lines)}`);
    if (deadLetters > 0) throw new Error(`${deadLetters} records were dead-lettered; every generated record is a valid container log record`);
  },
};
