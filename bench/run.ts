/**
 * `npm run bench [-- [synth] [validate] [harness] [fanout] [alerter] [--check]]`
 *
 * Runs Klaxon's benchmarks (all, or those named), prints each figure with its target and verdict,
 * and writes bench/results/latest.json and latest.md. Exits 0 whatever the verdicts, unless
 * `--check` is given: then it exits 1 when a target is missed or a benchmark fails.
 *
 * Kafka: KAFKA_BROKERS if set (topics are per run and deleted afterwards); otherwise the harness
 * broker (test/harness/kafka-broker.ts) is started once and stopped at the end. Settings:
 * BENCH_RECORDS (50 000), BENCH_LATENCY_RECORDS (2 000), BENCH_LATENCY_RATE (500/s),
 * BENCH_FANOUT_TIMEOUT_MS (240 000), BENCH_FANOUT_BUNDLE (a prebuilt bundle), BENCH_VALIDATE_DIR (dist);
 * alerter: BENCH_ALERTER_RECORDS (50 000 log records, 7 % matching), BENCH_ALERTER_LATENCY_RECORDS
 * (1 000 matching records), BENCH_ALERTER_LATENCY_RATE (100/s), BENCH_ALERTER_TIMEOUT_MS (240 000),
 * BENCH_ALERTER_BUNDLE (a prebuilt log-alerter bundle); ratios: BENCH_RATIO_RECORDS (30 000),
 * BENCH_RATIO_ROUNDS (5), BENCH_RATIO_RULE_PASSES (4), BENCH_RATIO_TIMEOUT_MS (240 000).
 */
import * as os from 'os';
import { readBrokerInfo } from '../test/harness/broker-info';
import { startKafkaBroker } from '../test/harness/kafka-broker';
import { alerterBenchmark } from './alerter';
import { fanoutBenchmark } from './fanout';
import { harnessBenchmark } from './harness';
import { ratiosBenchmark } from './ratios';
import { Benchmark, BenchBroker, BenchContext, BenchmarkResult, makeTempDir, now, removeDir, ResultBuilder } from './lib';
import { machineFacts, MachineFacts } from './machine';
import { LATEST_MD, misses, printSummary, store, StoredResult, writeLatest } from './report';
import { synthBenchmark } from './synth';
import { validateBenchmark } from './validate';

/** Every benchmark, in the order they run. */
export const BENCHMARKS: readonly Benchmark[] = [synthBenchmark, validateBenchmark, harnessBenchmark, fanoutBenchmark, alerterBenchmark, ratiosBenchmark];

function usage(): string {
  return [
    'usage: npm run bench -- [benchmark ...] [--check]',
    '',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(9)} ${b.description}`),
    '',
    '  --check   exit 1 when a target is missed or a benchmark fails (default: always exit 0)',
    '',
    'env: KAFKA_BROKERS (use this broker instead of starting one), BENCH_RECORDS (50000), BENCH_LATENCY_RECORDS (2000),',
    '     BENCH_LATENCY_RATE (500), BENCH_FANOUT_TIMEOUT_MS (240000), BENCH_FANOUT_BUNDLE, BENCH_VALIDATE_DIR (dist),',
    '     BENCH_ALERTER_RECORDS (50000), BENCH_ALERTER_LATENCY_RECORDS (1000), BENCH_ALERTER_LATENCY_RATE (100),',
    '     BENCH_ALERTER_TIMEOUT_MS (240000), BENCH_ALERTER_BUNDLE, BENCH_RATIO_RECORDS (30000), BENCH_RATIO_ROUNDS (5),',
    '     BENCH_RATIO_RULE_PASSES (4), BENCH_RATIO_TIMEOUT_MS (240000)',
  ].join('\n');
}

class RunContext implements BenchContext {
  readonly results = new Map<string, BenchmarkResult>();
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private readonly dirs: string[] = [];
  private current?: { broker: BenchBroker };
  private starting?: Promise<BenchBroker>;

  log(line: string): void {
    process.stderr.write(`${line}\n`);
  }

  tempDir(prefix: string): string {
    const dir = makeTempDir(prefix);
    this.dirs.push(dir);
    return dir;
  }

  hasBroker(): boolean {
    return this.current !== undefined || Boolean(process.env.KAFKA_BROKERS);
  }

  adoptBroker(broker: BenchBroker, stop: () => Promise<void>): void {
    this.current = { broker };
    this.onCleanup(stop);
  }

  usedBroker(): BenchBroker | undefined {
    return this.current?.broker;
  }

  broker(): Promise<BenchBroker> {
    if (this.current) return Promise.resolve(this.current.broker);
    const external = process.env.KAFKA_BROKERS?.trim();
    if (external) {
      const info = readBrokerInfo();
      const version = info && info.brokers === external && info.version ? info.version : 'unknown';
      const broker: BenchBroker = { brokers: external, version, source: 'external' };
      this.current = { broker };
      return Promise.resolve(broker);
    }
    this.starting ??= (async () => {
      this.log('bench: starting the harness Kafka broker (group.initial.rebalance.delay.ms=0)');
      const b = await startKafkaBroker({ groupInitialRebalanceDelayMs: 0, log: (l) => this.log(`  ${l}`) });
      const broker: BenchBroker = { brokers: b.brokers, version: b.version, source: 'harness', groupInitialRebalanceDelayMs: 0 };
      this.adoptBroker(broker, () => b.stop());
      return broker;
    })();
    return this.starting;
  }

  onCleanup(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  /** Runs cleanups (last first), then removes temp dirs. Safe to call twice. */
  async close(): Promise<void> {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch (e) {
        this.log(`bench: cleanup failed: ${(e as Error).message}`);
      }
    }
    for (const d of this.dirs.splice(0)) removeDir(d);
  }
}

/** The broker the last harness start recorded (.cache/kafka/broker.json), when this run used none. */
function lastHarnessBroker(): MachineFacts['kafkaBroker'] {
  const info = readBrokerInfo();
  if (!info) return undefined;
  return { version: info.version, source: `last harness start ${info.startedAt}, .cache/kafka/broker.json` };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const check = argv.includes('--check');
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknownFlags = argv.filter((a) => a.startsWith('-') && a !== '--check');
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length || unknownFlags.length) {
    console.error(`unknown: ${[...unknown, ...unknownFlags].join(', ')}\n\n${usage()}`);
    return 2;
  }
  const selected = names.length ? BENCHMARKS.filter((b) => names.includes(b.name)) : [...BENCHMARKS];

  const ctx = new RunContext();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    ctx.log(`bench: ${signal}, cleaning up (results of this run are not written)`);
    void ctx.close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const machine: MachineFacts = machineFacts();
  ctx.log(`bench: ${selected.map((b) => b.name).join(', ')} on ${machine.nproc} CPUs, load ${machine.loadAverageAtStart.join(' ')}`);
  const stored: StoredResult[] = [];
  const started = now();
  let kafkaBroker: MachineFacts['kafkaBroker'];
  try {
    for (const b of selected) {
      if (interrupted) break;
      const measuredAt = new Date().toISOString();
      const t = now();
      const builder = new ResultBuilder();
      let error: string | undefined;
      ctx.log(`\n== ${b.name}: ${b.title}`);
      try {
        await b.run(ctx, builder);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        ctx.log(`bench: ${b.name} failed: ${error}`);
      }
      const result: BenchmarkResult = {
        name: b.name,
        title: b.title,
        measuredAt,
        durationSeconds: (now() - t) / 1000,
        figures: builder.figures,
        details: builder.details,
        ...(error ? { error } : {}),
      };
      ctx.results.set(b.name, result);
      stored.push(store(result, { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) }));
    }
  } finally {
    const used = ctx.usedBroker();
    await ctx.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    kafkaBroker = used
      ? { version: used.version, source: used.source === 'external' ? `KAFKA_BROKERS ${used.brokers}` : 'started by the harness for this run' }
      : lastHarnessBroker();
  }
  if (interrupted) {
    console.error('bench: interrupted; results not written');
    return 130;
  }
  const finalMachine: MachineFacts = { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100), ...(kafkaBroker ? { kafkaBroker } : {}) };
  const withBroker = stored.map((s) => ({ ...s, machine: { ...s.machine, ...(finalMachine.kafkaBroker ? { kafkaBroker: finalMachine.kafkaBroker } : {}) } }));
  writeLatest(withBroker, finalMachine, `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`, BENCHMARKS.map((b) => b.name));
  printSummary(withBroker, (l) => console.log(l));
  const missed = misses(withBroker);
  console.log(`\n${selected.length} benchmarks in ${((now() - started) / 1000).toFixed(0)} s; results in ${LATEST_MD}`);
  if (missed.length) console.log(`targets missed or not measured:\n${missed.map((m) => `  - ${m}`).join('\n')}`);
  else console.log('all targets met');
  if (Math.max(finalMachine.loadAverageAtStart[0], finalMachine.loadAverageAtEnd![0]) > finalMachine.nproc) {
    console.log(`note: load average above ${finalMachine.nproc} during the run; figures are pessimistic`);
  }
  return check && missed.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
