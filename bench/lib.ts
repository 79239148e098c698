/**
 * What every benchmark shares: the result shape, the run context (temp dirs, the Kafka broker,
 * progress output) and small process helpers (timed child processes, /proc readings).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The repository root (this file is bench/lib.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** One measured number. */
export interface Figure {
  /** Stable key, e.g. `fanout.recordsPerSecond`; targets.ts keys its targets by it. */
  readonly key: string;
  /** What it is, for humans. */
  readonly label: string;
  /** The value; null when it could not be measured (see `note`). */
  readonly value: number | null;
  /** Unit as printed: `s`, `ms`, `MiB`, `records/s`, ... */
  readonly unit: string;
  /** How it was measured or why it is missing. */
  readonly note?: string;
}

/** What one benchmark returns. */
export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  /** ISO time the benchmark started. */
  readonly measuredAt: string;
  /** Wall seconds the benchmark took, setup included. */
  readonly durationSeconds: number;
  readonly figures: Figure[];
  /** Anything else worth keeping (counts, settings, raw metric samples). */
  readonly details: Record<string, unknown>;
  /** Set when the benchmark failed; figures then hold what was measured before. */
  readonly error?: string;
}

/** A Kafka broker for benchmarks that need one. */
export interface BenchBroker {
  /** Bootstrap servers, comma separated. */
  readonly brokers: string;
  /** Apache Kafka version, or 'unknown' for an external broker of unknown version. */
  readonly version: string;
  /** Where it came from: `KAFKA_BROKERS` (external), or the harness (started by this run). */
  readonly source: 'external' | 'harness';
  /** `group.initial.rebalance.delay.ms` when known. */
  readonly groupInitialRebalanceDelayMs?: number;
}

/** What run.ts hands to each benchmark. */
export interface BenchContext {
  /** Progress output (stderr). */
  log(line: string): void;
  /** A fresh temp dir, removed when the run ends. */
  tempDir(prefix: string): string;
  /** The broker to run against: KAFKA_BROKERS if set, else one the run starts (once) and stops at the end. */
  broker(): Promise<BenchBroker>;
  /** Lets a benchmark hand over a broker it started, to be reused and stopped at the end. */
  adoptBroker(broker: BenchBroker, stop: () => Promise<void>): void;
  /** True when a broker is already available without starting one. */
  hasBroker(): boolean;
  /** Registers cleanup to run when the run ends (also on Ctrl-C), last registered first. */
  onCleanup(fn: () => Promise<void> | void): void;
  /** Results of benchmarks that already ran in this invocation. */
  readonly results: ReadonlyMap<string, BenchmarkResult>;
}

/** A benchmark module's export. */
export interface Benchmark {
  readonly name: string;
  readonly title: string;
  /** One line for `--help`. */
  readonly description: string;
  run(ctx: BenchContext, result: ResultBuilder): Promise<void>;
}

/** Collects figures and details while a benchmark runs (so a failure keeps what was measured). */
export class ResultBuilder {
  readonly figures: Figure[] = [];
  readonly details: Record<string, unknown> = {};

  add(key: string, label: string, value: number | null, unit: string, note?: string): void {
    this.figures.push({ key, label, value: value === null || !Number.isFinite(value) ? null : round(value), unit, ...(note ? { note } : {}) });
  }

  detail(key: string, value: unknown): void {
    this.details[key] = value;
  }
}

/** Rounds to 3 significant decimals for small numbers, whole numbers for large ones. */
export function round(n: number): number {
  if (Math.abs(n) >= 1000) return Math.round(n);
  if (Math.abs(n) >= 10) return Math.round(n * 10) / 10;
  return Math.round(n * 1000) / 1000;
}

/** Milliseconds since an arbitrary start, monotonic. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Positive integer from env `name`, else `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${JSON.stringify(raw)} must be a positive whole number`);
  return n;
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Value in kB of a `/proc/<pid>/status` line (`VmHWM`, `VmRSS`), or undefined when gone. */
export function procStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of `pid` so far (/proc/<pid>/stat), or undefined when gone. */
export function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 (utime, stime) are rest[11], rest[12]
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Linux USER_HZ; 100 on every mainstream kernel build. */
const CLOCK_TICKS = 100;

/** What a timed command used (GNU time when available). */
export interface TimedRun {
  readonly code: number | null;
  readonly wallSeconds: number;
  /** Peak RSS of the largest process in the tree (GNU time's %M), MiB. */
  readonly peakRssMiB?: number;
  /** User + system CPU seconds of the whole tree. */
  readonly cpuSeconds?: number;
  readonly output: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs `command args` and measures wall time; with GNU time (/usr/bin/time) also the peak RSS and
 * CPU seconds of the process tree (ru_maxrss and ru_utime+ru_stime of the waited-for children).
 */
export function timedRun(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; tempDir: string },
): Promise<TimedRun> {
  const useTime = fs.existsSync(GNU_TIME);
  const timeFile = path.join(options.tempDir, `time-${process.pid}-${Date.now()}.txt`);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%e %M %U %S', '-o', timeFile, command, ...args]] : [command, [...args]];
  const started = now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      const wallSeconds = (now() - started) / 1000;
      let peakRssMiB: number | undefined;
      let cpuSeconds: number | undefined;
      if (useTime && fs.existsSync(timeFile)) {
        const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const m = /^([\d.]+) (\d+) ([\d.]+) ([\d.]+)$/.exec(last);
        if (m) {
          peakRssMiB = Number(m[2]) / 1024;
          cpuSeconds = Number(m[3]) + Number(m[4]);
        }
        fs.rmSync(timeFile, { force: true });
      }
      resolve({ code, wallSeconds, peakRssMiB, cpuSeconds, output });
    });
  });
}

/** Last `n` lines of `text`. */
export function tailText(text: string, n = 20): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** Kills `child` with `signal` and resolves with the exit once it ends (SIGKILL after `graceMs`). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<{ ms: number; code: number | null; signal: string | null; killed: boolean }> {
  const started = now();
  if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, code: child.exitCode, signal: child.signalCode, killed: false };
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  child.kill(signal);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, graceMs);
  const { code, signal: sig } = await exit;
  clearTimeout(timer);
  return { ms: now() - started, code, signal: sig, killed };
}

/** Recursively removes `dir`, ignoring errors. */
export function removeDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort
  }
}

/** Makes a fresh temp dir under the OS temp folder. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `klaxon-bench-${prefix}-`));
}

/**
 * Records the milliseconds of each named phase of a benchmark in its `phaseMs` detail: call the
 * returned function with a phase's name when that phase ends.
 */
export function phaseTimer(r: ResultBuilder): (name: string) => void {
  const phases: Record<string, number> = {};
  r.detail('phaseMs', phases);
  let phaseStart = now();
  return (name) => {
    const t = now();
    phases[name] = Math.round(t - phaseStart);
    phaseStart = t;
  };
}
