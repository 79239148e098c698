/**
 * ratios: Klaxon's workloads against baselines measured in the same run, on the same broker and the
 * same records, so a loaded machine slows both sides alike. Every process runs on the workloads'
 * Node.js (test/harness/workload-node.ts); the baselines are bundled from bench/baselines/.
 *
 * 1. fanout vs (a): BENCH_RATIO_RECORDS (30 000) eventrouter records in cluster-events (3 partitions);
 *    after one unmeasured warm-up drain (page cache), BENCH_RATIO_ROUNDS (5) interleaved rounds, order alternating, each a fresh consumer group
 *    draining the backlog: the events-fanout bundle with its Deployment env, and (a), a minimal
 *    kafkajs fanout (bench/baselines/kafkajs-fanout.ts: same routing, one sendBatch per fetched
 *    batch, idempotent, acks=-1, commit after the ack). Drain = group joined → the group's committed
 *    offsets reach the end; CPU = the process's user+sys at that point (start included, for both).
 * 2. log-alerter vs (b): BENCH_RATIO_RECORDS log records (bench/log-records.ts) with 1 % matching, in
 *    a logs topic of the LogAlerter's 10 partitions; the same interleaved rounds of the log-alerter
 *    bundle with the env of a LogAlerter of ten rules (TEN_RULES) and one Notification Manager sink at
 *    a local receiver answering 200 (test/harness/receivers.ts), and (b), a minimal kafkajs consumer
 *    JSON.parsing each record (bench/baselines/kafkajs-consumer.ts). The alerter's drain ends when
 *    its offsets are committed, which it does only once each record's alerts are delivered; every
 *    round checks that each matching record's alert arrived.
 * 3. rule engine: the alerter benchmark's log records (7 % matching) as NDJSON; interleaved rounds of log-alerter's parseLogRecord +
 *    evaluate with the seed's rule, (d) JSON.parse + the seed's regexps compiled once, and (c) the
 *    seed's LogsHandler logic in Go (bench/baselines/go-logs-handler, built with the machine's Go),
 *    regexps compiled per call as written and compiled once.
 * After each drain the process stays in its group with nothing to read for BENCH_RATIO_IDLE_MS (5 s):
 * its CPU per second then is what a warm replica costs between bursts.
 * Figures are medians; each ratio is Klaxon ÷ baseline.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { FanoutEnv, WorkloadEnv } from '../functions/contracts/workload-env';
import type { LogAlerterProps } from '../constructs/workloads/log-alerter';
import { notificationManager } from '../test/harness/receivers';
import { workloadNode } from '../test/harness/workload-node';
import { benchNamespaces, eventRecord } from './event-records';
import { fanoutBundle, topology } from './fanout';
import { Benchmark, BenchContext, envInt, mib, now, procCpuSeconds, procStatusKb, REPO_ROOT, ResultBuilder, sleep, stopProcess } from './lib';
import { alerterBundle, alerterTopology, retryTopicsOf } from './alerter';
import { logRecord, logSeqsOf, TEN_RULES } from './log-records';
import { produceAll, startWorkload } from './workload';

interface Drain {
  readonly seconds: number;
  /** CPU from group joined to drained, per 1 000 records. */
  readonly cpuMsPer1000: number;
  /** CPU from process start to drained, per 1 000 records. */
  readonly cpuWithStartMsPer1000: number;
  readonly startToJoinSeconds: number;
  /** Process start → the group's first committed offset (polled every 50 ms): the first records handled. */
  readonly startToFirstCommitSeconds: number;
  readonly peakRssMiB: number;
  /** CPU per second while idle in its group after the drain (nothing left to read), in ms. */
  readonly idleCpuMsPerSecond: number;
}

interface LoopRun {
  readonly records: number;
  readonly matches: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

/** NODE_OPTIONS with BENCH_RATIO_NODE_OPTIONS (e.g. --cpu-prof) added, for every process alike. */
function extraNodeOptions(own: string | undefined): Record<string, string> {
  const extra = process.env.BENCH_RATIO_NODE_OPTIONS;
  if (!extra) return own === undefined ? {} : { NODE_OPTIONS: own };
  return { NODE_OPTIONS: own ? `${own} ${extra}` : extra };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Bundles bench/baselines/<name>.ts for the workloads' Node.js into `dir`. */
async function bundleBaseline(name: string, dir: string): Promise<string> {
  const esbuild: typeof import('esbuild') = require('esbuild');
  const outfile = path.join(dir, `${name}.js`);
  await esbuild.build({ absWorkingDir: REPO_ROOT, entryPoints: [`bench/baselines/${name}.ts`], bundle: true, platform: 'node', target: 'node24', format: 'cjs', minify: true, outfile, logLevel: 'silent' });
  return outfile;
}

/** Runs `bundle` until `group` has committed `total` offsets of `topic`; then SIGTERM. */
async function drain(ctx: BenchContext, kafka: Kafka, name: string, bundle: string, env: Record<string, string>, group: string, topic: string, total: number, timeoutMs: number): Promise<Drain> {
  const admin = kafka.admin();
  await admin.connect();
  const started = now();
  const child = startWorkload(name, bundle, env);
  try {
    const joined = await child.waitFor((l) => l.msg === 'joined group', 60_000);
    const cpuAtJoin = procCpuSeconds(child.child.pid!) ?? NaN;
    const deadline = now() + timeoutMs;
    let firstCommitAt: number | undefined;
    for (;;) {
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const committed = offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      if (committed > 0 && firstCommitAt === undefined) firstCommitAt = now();
      if (committed >= total) break;
      if (now() > deadline) throw new Error(`${name}: ${committed} of ${total} offsets committed after ${timeoutMs} ms`);
      await sleep(50);
    }
    const done = now();
    const cpu = procCpuSeconds(child.child.pid!) ?? NaN;
    const hwm = procStatusKb(child.child.pid!, 'VmHWM') ?? NaN;
    // idle: still in its group, polling a topic with nothing new (a warm replica between bursts)
    const idleMs = envInt('BENCH_RATIO_IDLE_MS', 5000);
    await sleep(idleMs);
    const idleCpu = (procCpuSeconds(child.child.pid!) ?? NaN) - cpu;
    const warnings = child.lines.filter((l) => l.level === 'warn' || l.level === 'error');
    ctx.log(`  ${name}: ${((done - joined.at) / 1000).toFixed(2)} s, ${((cpu * 1e6) / total).toFixed(0)} ms CPU per 1 000${warnings.length ? `, ${warnings.length} warnings, first: ${JSON.stringify(warnings[0]).slice(0, 300)}` : ''}`);
    return {
      seconds: (done - joined.at) / 1000,
      cpuMsPer1000: ((cpu - cpuAtJoin) * 1e6) / total,
      cpuWithStartMsPer1000: (cpu * 1e6) / total,
      startToJoinSeconds: (joined.at - started) / 1000,
      startToFirstCommitSeconds: ((firstCommitAt ?? done) - started) / 1000,
      peakRssMiB: mib(hwm * 1024),
      idleCpuMsPerSecond: (idleCpu * 1e6) / idleMs,
    };
  } finally {
    await stopProcess(child.child, 'SIGTERM', 10_000);
    await admin.disconnect();
  }
}

function loop(command: string, args: string[]): LoopRun {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`${path.basename(command)} ${args[0]} failed (${run.status ?? run.signal}): ${run.stderr.slice(0, 500)}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as LoopRun;
}

/** Adds median figures of `runs` under `key`, with every run in the details. */
function addDrains(r: ResultBuilder, key: string, label: string, runs: readonly Drain[]): Drain {
  const m: Drain = {
    seconds: median(runs.map((d) => d.seconds)),
    cpuMsPer1000: median(runs.map((d) => d.cpuMsPer1000)),
    cpuWithStartMsPer1000: median(runs.map((d) => d.cpuWithStartMsPer1000)),
    startToJoinSeconds: median(runs.map((d) => d.startToJoinSeconds)),
    startToFirstCommitSeconds: median(runs.map((d) => d.startToFirstCommitSeconds)),
    peakRssMiB: median(runs.map((d) => d.peakRssMiB)),
    idleCpuMsPerSecond: median(runs.map((d) => d.idleCpuMsPerSecond)),
  };
  r.add(`${key}.drainSeconds`, `${label}: drain wall time (median)`, m.seconds, 's', runs.map((d) => d.seconds.toFixed(2)).join(', '));
  r.add(`${key}.cpuMsPer1000`, `${label}: CPU per 1 000 records, group joined → drained (median)`, m.cpuMsPer1000, 'ms', runs.map((d) => d.cpuMsPer1000.toFixed(0)).join(', '));
  r.add(`${key}.cpuWithStartMsPer1000`, `${label}: CPU per 1 000 records, process start included (median)`, m.cpuWithStartMsPer1000, 'ms');
  r.add(`${key}.peakRssMiB`, `${label}: peak RSS (median)`, m.peakRssMiB, 'MiB');
  r.add(`${key}.idleCpuMsPerSecond`, `${label}: CPU per second idle in its group after the drain (median)`, m.idleCpuMsPerSecond, 'ms', runs.map((d) => d.idleCpuMsPerSecond.toFixed(1)).join(', '));
  r.detail(key, runs);
  return m;
}

export const ratiosBenchmark: Benchmark = {
  name: 'ratios',
  title: 'Klaxon against baselines in the same run (kafkajs, JS loop, the seed in Go)',
  description: 'events-fanout vs a minimal kafkajs fanout, a kafkajs JSON.parse consumer, the rule engine vs a JS loop and the seed in Go; medians of interleaved rounds',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    const total = envInt('BENCH_RATIO_RECORDS', 30_000);
    const rounds = envInt('BENCH_RATIO_ROUNDS', 5);
    const timeoutMs = envInt('BENCH_RATIO_TIMEOUT_MS', 240_000);
    r.detail('node', `${workloadNode()} (${spawnSync(workloadNode(), ['--version'], { encoding: 'utf8' }).stdout.trim()})`);
    r.detail('loadAverageAtStart', os.loadavg().map((l) => Math.round(l * 100) / 100));
    r.detail('records', total);
    r.detail('rounds', rounds);
    const broker = await ctx.broker();
    const dir = ctx.tempDir('ratios');
    const [fanoutJs, alerterJs, baselineFanout, baselineConsumer, rulesLoop] = await Promise.all([
      fanoutBundle(ctx),
      alerterBundle(ctx),
      bundleBaseline('kafkajs-fanout', dir),
      bundleBaseline('kafkajs-consumer', dir),
      bundleBaseline('rules-loop', dir),
    ]);
    const goBinary = path.join(dir, 'logs-handler');
    const go = spawnSync('go', ['build', '-o', goBinary, '.'], { cwd: path.join(REPO_ROOT, 'bench', 'baselines', 'go-logs-handler'), encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' } });
    if (go.status !== 0) throw new Error(`go build failed: ${go.stderr}`);
    r.detail('go', spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim());

    const run = `klaxon-ratios-${Date.now().toString(36)}`;
    const topo = topology(run, broker.brokers);
    const receiver = await notificationManager();
    ctx.onCleanup(() => receiver.close());
    const alerterTopo = alerterTopology(`${run}-alerter`, broker.brokers, receiver.url, [...TEN_RULES] as LogAlerterProps['rules']);
    const logsTopic = alerterTopo.logs.topic;
    const alerterGroup = (round: number): string => `${alerterTopo.groupId}-${round}`;
    // each round's group parks in its own retry topics, made as the LogAlerter's KafkaTopics would be
    const retryTopics = Array.from({ length: rounds }, (_, round) => retryTopicsOf({ ...alerterTopo.env, [WorkloadEnv.GROUP_ID]: alerterGroup(round) })).flat();
    const kafka = new Kafka({ clientId: 'klaxon-bench-ratios', brokers: broker.brokers.split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    ctx.onCleanup(async () => {
      await producer.disconnect().catch(() => undefined);
      if (broker.source === 'external') await admin.deleteTopics({ topics: [...topo.topics.map((t) => t.topic), logsTopic, alerterTopo.deadLetter.topic, ...retryTopics] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    });
    const benchTopics = [...topo.topics, alerterTopo.logs, alerterTopo.deadLetter, ...retryTopics.map((topic) => ({ topic, partitions: 1 }))];
    await admin.createTopics({ waitForLeaders: true, topics: benchTopics.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })) });
    await producer.connect();
    const baseMs = Date.now();
    const events = Array.from({ length: total }, (_, i) => eventRecord(i + 1, benchNamespaces(20), baseMs));
    r.detail('eventBytesMean', Math.round(events.reduce((n, e) => n + e.value.length, 0) / total));
    await produceAll(producer, topo.source, events);
    const sparse = Array.from({ length: total }, (_, i) => logRecord(i + 1, baseMs, false, 10));
    const expectedAlerts = new Set(sparse.filter((l) => l.expected !== undefined).map((l) => l.seq));
    r.detail('alerterRecords', { bytesMean: Math.round(sparse.reduce((n, l) => n + l.value.length, 0) / total), matching: expectedAlerts.size, rules: TEN_RULES.length, partitions: alerterTopo.logs.partitions });
    await produceAll(producer, logsTopic, sparse);
    sparse.length = 0;
    const logs = Array.from({ length: total }, (_, i) => logRecord(i + 1, baseMs));
    r.detail('logBytesMean', Math.round(logs.reduce((n, l) => n + l.value.length, 0) / total));
    r.detail('logMatchingShare', logs.filter((l) => l.expected === '404 Request').length / total);
    const corpus = path.join(dir, 'logs.ndjson');
    fs.writeFileSync(corpus, Buffer.concat(logs.flatMap((l) => [l.value, Buffer.from('\n')])));
    events.length = 0;

    // 1 + 2: drains, interleaved
    const env = (extra: Record<string, string>): Record<string, string> => ({ BROKERS: broker.brokers, ...extra, ...extraNodeOptions(undefined) });
    const klaxon: Drain[] = [];
    const a: Drain[] = [];
    const b: Drain[] = [];
    const alerter: Drain[] = [];
    const alerterRequests: number[] = [];
    // Warm-up, not measured: the first drain of a topic reads it from disk into the page cache, which
    // would slow whichever side happened to run first.
    ctx.log('ratios: warm-up drains (not measured)');
    await drain(ctx, kafka, 'warm-up (a)', baselineFanout, env({ SOURCE: topo.source, GROUP: `${run}-warm-a`, PREFIX: topo.env[FanoutEnv.NAMESPACE_TOPIC_PREFIX], NAMESPACES: topo.env[FanoutEnv.NAMESPACES], UNROUTED: topo.env[FanoutEnv.UNROUTED_TOPIC], CLUSTER_SCOPED: topo.env[FanoutEnv.CLUSTER_SCOPED_TOPIC], DEAD_LETTER: topo.env[WorkloadEnv.DEAD_LETTER_TOPIC] }), `${run}-warm-a`, topo.source, total, timeoutMs);
    await drain(ctx, kafka, 'warm-up (b)', baselineConsumer, env({ SOURCE: logsTopic, GROUP: `${run}-warm-b` }), `${run}-warm-b`, logsTopic, total, timeoutMs);
    for (let round = 0; round < rounds; round++) {
      ctx.log(`ratios: round ${round + 1} of ${rounds}`);
      const fanoutGroup = `${run}-klaxon-${round}`;
      const runKlaxon = async () =>
        klaxon.push(await drain(ctx, kafka, 'events-fanout', fanoutJs, { ...topo.env, [WorkloadEnv.GROUP_ID]: fanoutGroup, ...extraNodeOptions(topo.env.NODE_OPTIONS) }, fanoutGroup, topo.source, total, timeoutMs));
      const runA = async () =>
        a.push(
          await drain(ctx, kafka, 'baseline (a)', baselineFanout, env({
            SOURCE: topo.source,
            GROUP: `${run}-a-${round}`,
            PREFIX: topo.env[FanoutEnv.NAMESPACE_TOPIC_PREFIX],
            NAMESPACES: topo.env[FanoutEnv.NAMESPACES],
            UNROUTED: topo.env[FanoutEnv.UNROUTED_TOPIC],
            CLUSTER_SCOPED: topo.env[FanoutEnv.CLUSTER_SCOPED_TOPIC],
            DEAD_LETTER: topo.env[WorkloadEnv.DEAD_LETTER_TOPIC],
          }), `${run}-a-${round}`, topo.source, total, timeoutMs),
        );
      if (round % 2 === 0) {
        await runKlaxon();
        await runA();
      } else {
        await runA();
        await runKlaxon();
      }
      const runB = async () => b.push(await drain(ctx, kafka, 'baseline (b)', baselineConsumer, env({ SOURCE: logsTopic, GROUP: `${run}-b-${round}` }), `${run}-b-${round}`, logsTopic, total, timeoutMs));
      const runAlerter = async () => {
        const from = receiver.requests.length;
        const group = alerterGroup(round);
        alerter.push(await drain(ctx, kafka, 'log-alerter', alerterJs, { ...alerterTopo.env, [WorkloadEnv.GROUP_ID]: group, ...extraNodeOptions(alerterTopo.env.NODE_OPTIONS) }, group, logsTopic, total, timeoutMs));
        const arrived = new Set(receiver.requests.slice(from).flatMap((q) => (q.status === 200 ? logSeqsOf(q.body.toString('utf8')) : [])));
        alerterRequests.push(receiver.requests.length - from);
        const missing = [...expectedAlerts].filter((seq) => !arrived.has(seq));
        if (missing.length > 0) throw new Error(`log-alerter round ${round + 1}: ${missing.length} of ${expectedAlerts.size} alerts did not arrive (first: record ${missing[0]})`);
      };
      if (round % 2 === 0) {
        await runAlerter();
        await runB();
      } else {
        await runB();
        await runAlerter();
      }
    }
    const mk = addDrains(r, 'ratios.fanout', 'events-fanout', klaxon);
    const ma = addDrains(r, 'ratios.baselineA', '(a) minimal kafkajs fanout', a);
    const mb = addDrains(r, 'ratios.baselineB', '(b) minimal kafkajs JSON.parse consumer', b);
    const ml = addDrains(r, 'ratios.alerter', 'log-alerter (10 rules, 1 % matching, each alert delivered)', alerter);
    r.add('ratios.fanout.startToJoinSeconds', 'events-fanout: process start → group joined (median)', mk.startToJoinSeconds, 's', `(a): ${ma.startToJoinSeconds.toFixed(2)} s`);
    r.add(
      'ratios.fanout.startToFirstRecordSeconds',
      'events-fanout: process start → first records handled and committed (median)',
      mk.startToFirstCommitSeconds,
      's',
      `committed offsets polled every 50 ms; (a): ${ma.startToFirstCommitSeconds.toFixed(2)} s; broker group.initial.rebalance.delay.ms=${broker.groupInitialRebalanceDelayMs ?? 'unknown'}`,
    );
    r.add('ratios.fanoutCpuVsA', 'events-fanout CPU per record ÷ (a)', mk.cpuMsPer1000 / ma.cpuMsPer1000, '×');
    r.add('ratios.fanoutThroughputVsA', 'events-fanout records/s ÷ (a)', ma.seconds / mk.seconds, '×');
    r.add('ratios.fanoutIdleCpuVsA', 'events-fanout CPU idle in its group ÷ (a)', mk.idleCpuMsPerSecond / ma.idleCpuMsPerSecond, '×', `${mk.idleCpuMsPerSecond.toFixed(1)} vs ${ma.idleCpuMsPerSecond.toFixed(1)} ms per second; (a) runs kafkajs as shipped, whose request queues re-arm a 1 ms timer while idle`);
    r.add('ratios.alerterThroughputVsB', 'log-alerter records/s ÷ (b), 10 rules, 1 % matching', mb.seconds / ml.seconds, '×', `${expectedAlerts.size} alerts delivered per drain to a receiver answering 200; alerter ${(total / ml.seconds).toFixed(0)} records/s, (b) ${(total / mb.seconds).toFixed(0)} records/s`);
    r.detail('alerterRequestsPerDrain', alerterRequests);
    r.add('ratios.alerterCpuVsB', 'log-alerter CPU per record ÷ (b)', ml.cpuMsPer1000 / mb.cpuMsPer1000, '×');

    // 3: rule engine
    const passes = String(envInt('BENCH_RATIO_RULE_PASSES', 4));
    const runs: Record<'klaxon' | 'js' | 'goPerCall' | 'goOnce', LoopRun[]> = { klaxon: [], js: [], goPerCall: [], goOnce: [] };
    for (let round = 0; round < rounds; round++) {
      const order: Array<[keyof typeof runs, () => LoopRun]> = [
        ['klaxon', () => loop(workloadNode(), [rulesLoop, 'klaxon', corpus, passes])],
        ['js', () => loop(workloadNode(), [rulesLoop, 'js', corpus, passes])],
        ['goPerCall', () => loop(goBinary, ['percall', corpus, passes])],
        ['goOnce', () => loop(goBinary, ['once', corpus, passes])],
      ];
      for (const [name, fn] of round % 2 === 0 ? order : order.reverse()) runs[name].push(fn());
    }
    const perSecond = (name: keyof typeof runs): number => median(runs[name].map((x) => x.records / x.seconds));
    const cpuPer1000 = (name: keyof typeof runs): number => median(runs[name].map((x) => (x.cpuSeconds * 1e6) / x.records));
    const labels = { klaxon: 'rule engine (prefilter + parseLogRecord + evaluate, the seed rule)', js: '(d) JSON.parse + regexps loop', goPerCall: '(c) seed LogsHandler in Go, regexps per call', goOnce: '(c) seed LogsHandler in Go, regexps compiled once' };
    for (const name of Object.keys(runs) as Array<keyof typeof runs>) {
      r.add(`ratios.rules.${name}.recordsPerSecond`, `${labels[name]}: records/s (median)`, perSecond(name), 'records/s', `matches ${runs[name][0].matches} of ${runs[name][0].records}`);
      r.add(`ratios.rules.${name}.cpuMsPer1000`, `${labels[name]}: CPU per 1 000 records (median)`, cpuPer1000(name), 'ms');
    }
    r.add('ratios.rulesVsGoPerCall', 'rule engine records/s ÷ (c) as written', perSecond('klaxon') / perSecond('goPerCall'), '×');
    r.add('ratios.rulesVsGoOnce', 'rule engine records/s ÷ (c) compiled once', perSecond('klaxon') / perSecond('goOnce'), '×');
    r.add('ratios.rulesVsJs', 'rule engine records/s ÷ (d)', perSecond('klaxon') / perSecond('js'), '×');
    r.detail('ruleRuns', runs);
    r.detail('loadAverageAtEnd', os.loadavg().map((l) => Math.round(l * 100) / 100));
  },
};
