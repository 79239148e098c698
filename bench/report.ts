/**
 * Results: verdicts against targets.ts, bench/results/latest.json (machine-readable) and
 * bench/results/latest.md (human-readable), and the console summary.
 *
 * A run of some benchmarks (`npm run bench -- fanout`) replaces those benchmarks' results and keeps
 * the others from the previous latest.json, each with the time and load it was measured at.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BenchmarkResult, Figure, REPO_ROOT } from './lib';
import { MachineFacts } from './machine';
import { meets, Target, TARGETS } from './targets';

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
export const LATEST_JSON = path.join(RESULTS_DIR, 'latest.json');
export const LATEST_MD = path.join(RESULTS_DIR, 'latest.md');

export type Verdict = 'pass' | 'fail' | 'n/a';

/** One figure with its target and verdict. */
export interface JudgedFigure extends Figure {
  readonly target?: Target;
  readonly verdict?: Verdict;
}

/** A benchmark's result as stored, with the run facts it was measured under. */
export interface StoredResult extends Omit<BenchmarkResult, 'figures'> {
  readonly figures: JudgedFigure[];
  readonly machine: MachineFacts;
}

export interface LatestFile {
  readonly generatedAt: string;
  readonly command: string;
  /** The machine facts of the newest run. */
  readonly machine: MachineFacts;
  /** Benchmark name → result (some may come from earlier runs; see each `measuredAt` and `machine`). */
  readonly benchmarks: Record<string, StoredResult>;
}

export function judge(figure: Figure): JudgedFigure {
  const target = TARGETS[figure.key];
  if (!target) return figure;
  const verdict: Verdict = figure.value === null ? 'n/a' : meets(figure.value, target) ? 'pass' : 'fail';
  return { ...figure, target, verdict };
}

export function store(result: BenchmarkResult, machine: MachineFacts): StoredResult {
  return { ...result, figures: result.figures.map(judge), machine };
}

export function readLatest(): LatestFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(LATEST_JSON, 'utf8')) as LatestFile;
  } catch {
    return undefined;
  }
}

/** Merges this run's results over the previous file's and writes latest.json and latest.md (atomically). */
export function writeLatest(results: readonly StoredResult[], machine: MachineFacts, command: string, order: readonly string[]): LatestFile {
  const previous = readLatest();
  const benchmarks: Record<string, StoredResult> = {};
  for (const name of order) {
    const now = results.find((r) => r.name === name);
    const before = previous?.benchmarks[name];
    if (now) benchmarks[name] = now;
    else if (before) benchmarks[name] = before;
  }
  const file: LatestFile = { generatedAt: new Date().toISOString(), command, machine, benchmarks };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  writeAtomic(LATEST_JSON, `${JSON.stringify(file, null, 2)}\n`);
  writeAtomic(LATEST_MD, markdown(file, new Set(results.map((r) => r.name))));
  return file;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function fmt(value: number | null): string {
  if (value === null) return '—';
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
}

function targetText(t: Target | undefined, unit: string): string {
  if (!t) return '';
  const op = t.op === '<=' ? '≤' : t.op === '>=' ? '≥' : t.op;
  return `${op} ${fmt(t.value)} ${unit}`;
}

function verdictText(v: Verdict | undefined): string {
  return v === 'pass' ? 'PASS' : v === 'fail' ? '**FAIL**' : v === 'n/a' ? 'n/a' : '';
}

function loaded(m: MachineFacts): boolean {
  return Math.max(m.loadAverageAtStart[0] ?? 0, m.loadAverageAtEnd?.[0] ?? 0) > m.nproc;
}

function markdown(file: LatestFile, ranNow: ReadonlySet<string>): string {
  const m = file.machine;
  const lines: string[] = [
    '# Klaxon benchmarks — latest results',
    '',
    `Generated ${file.generatedAt} by \`${file.command}\` (bench/run.ts; targets in bench/targets.ts).`,
    '',
    '## Machine',
    '',
    `- CPUs (nproc): ${m.nproc} — ${m.cpuModel}`,
    `- Memory: ${m.totalMemGiB} GiB`,
    `- Node ${m.node}, kafkajs ${m.kafkajs ?? '?'}, ${m.java ?? 'java ?'}, ${m.kernel}`,
    `- Kafka broker: ${m.kafkaBroker ? `Apache Kafka ${m.kafkaBroker.version} (${m.kafkaBroker.source})` : 'none used in this run'}`,
    `- Last jest harness start (.cache/kafka/broker.json): ${m.lastHarnessStart ? `Apache Kafka ${m.lastHarnessStart.version}, ${m.lastHarnessStart.startupSeconds ?? '?'} s to serve, at ${m.lastHarnessStart.startedAt}` : 'none recorded'}`,
    `- Load average (1/5/15 min): ${m.loadAverageAtStart.join(' / ')} at start, ${m.loadAverageAtEnd?.join(' / ') ?? '?'} at end`,
    '',
  ];
  if (loaded(m)) {
    lines.push(
      `> **Measured on a loaded machine**: the load average exceeded the ${m.nproc} CPUs (other jobs were running). Wall-time`,
      '> and throughput figures are pessimistic; CPU-time figures are less affected. Re-run on an idle machine before',
      '> reading a FAIL as a regression.',
      '',
    );
  }
  const all = Object.values(file.benchmarks).flatMap((b) => b.figures.filter((f) => f.verdict));
  const failed = all.filter((f) => f.verdict === 'fail');
  lines.push('## Verdicts', '', `${all.length - failed.length} of ${all.length} targets met${failed.length ? `; missed: ${failed.map((f) => `\`${f.key}\``).join(', ')}` : ''}.`, '');

  for (const b of Object.values(file.benchmarks)) {
    lines.push(`## ${b.title} (\`${b.name}\`)`, '');
    const when = ranNow.has(b.name) ? '' : ` — **from an earlier run** (load ${b.machine.loadAverageAtStart.join(' / ')})`;
    lines.push(`Measured ${b.measuredAt}, took ${b.durationSeconds.toFixed(1)} s${when}.`, '');
    if (b.error) lines.push(`**Benchmark failed:** \`${b.error.split('\n')[0]}\``, '');
    lines.push('| figure | value | target | verdict | notes |', '|---|---:|---|---|---|');
    for (const f of b.figures) {
      const notes = [f.note, f.target?.why].filter(Boolean).join('; ');
      lines.push(`| ${f.label} | ${fmt(f.value)} ${f.unit} | ${targetText(f.target, f.unit)} | ${verdictText(f.verdict)} | ${notes.replace(/\|/g, '\\|')} |`);
    }
    const details = Object.entries(b.details).filter(([, v]) => v !== undefined);
    if (details.length) {
      lines.push('', '<details><summary>details</summary>', '', '```json', JSON.stringify(Object.fromEntries(details), null, 2), '```', '', '</details>');
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

/** Console summary of this run's figures. */
export function printSummary(results: readonly StoredResult[], write: (line: string) => void): void {
  for (const b of results) {
    write(`\n${b.title} (${b.name})${b.error ? ` — FAILED: ${b.error.split('\n')[0]}` : ''}`);
    for (const f of b.figures) {
      const t = f.target ? `  [target ${targetText(f.target, f.unit)}: ${f.verdict === 'pass' ? 'PASS' : f.verdict === 'fail' ? 'FAIL' : 'n/a'}]` : '';
      write(`  ${f.label.padEnd(78)} ${`${fmt(f.value)} ${f.unit}`.padStart(16)}${t}`);
    }
  }
}

/** Figures of this run that missed a target, and benchmarks that failed. */
export function misses(results: readonly StoredResult[]): string[] {
  const out: string[] = [];
  for (const b of results) {
    if (b.error) out.push(`${b.name}: failed: ${b.error.split('\n')[0]}`);
    for (const f of b.figures) if (f.verdict === 'fail' || f.verdict === 'n/a') out.push(`${f.key} = ${fmt(f.value)} ${f.unit}, target ${targetText(f.target, f.unit)}`);
  }
  return out;
}
