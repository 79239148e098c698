/**
 * synth: `npm run build:functions` (esbuild bundles, written to a temp dir with `--out`) and
 * `cdk8s synth` of every environment (written to a temp dir with `-o`; the repo's dist/ is not
 * touched), each as a child process: wall time, CPU seconds and peak RSS (GNU time).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Benchmark, BenchContext, REPO_ROOT, ResultBuilder, tailText, timedRun } from './lib';

/** Every file under `dir` (relative paths), sorted. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export const synthBenchmark: Benchmark = {
  name: 'synth',
  title: 'Synthesis and function bundles',
  description: '`npm run build:functions` and `cdk8s synth` of all environments (temp output dirs)',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

    // 1. build:functions into a temp dir (the repo's .build/ may be in use by running tests)
    const buildOut = ctx.tempDir('functions');
    ctx.log(`synth: npm run build:functions -- --out ${buildOut}`);
    const build = await timedRun(npm, ['run', '-s', 'build:functions', '--', '--out', buildOut], { timeoutMs: 120_000, tempDir: ctx.tempDir('time') });
    if (build.code !== 0) throw new Error(`npm run build:functions failed (exit ${build.code}):\n${tailText(build.output)}`);
    r.add('buildFunctions.wallSeconds', '`npm run build:functions` wall time', build.wallSeconds, 's', 'npm + ts-node + esbuild, all workloads');
    r.add('buildFunctions.cpuSeconds', '`npm run build:functions` CPU time (user+sys, whole tree)', build.cpuSeconds ?? null, 's');
    r.add('buildFunctions.peakRssMiB', '`npm run build:functions` peak RSS (largest process)', build.peakRssMiB ?? null, 'MiB');
    const bundles = filesUnder(buildOut).filter((f) => f.endsWith('index.js'));
    r.detail('bundles', bundles.map((f) => ({ file: f, bytes: fs.statSync(path.join(buildOut, f)).size })));

    // 2. cdk8s synth of every environment; main.ts reads the bundles from .build/functions, so they must exist
    const fanoutBundle = path.join(REPO_ROOT, '.build', 'functions', 'events-fanout', 'index.js');
    if (!fs.existsSync(fanoutBundle)) {
      ctx.log('synth: .build/functions missing, building it first (npm run build:functions)');
      const b = await timedRun(npm, ['run', '-s', 'build:functions'], { timeoutMs: 120_000, tempDir: ctx.tempDir('time') });
      if (b.code !== 0) throw new Error(`npm run build:functions failed (exit ${b.code}):\n${tailText(b.output)}`);
    }
    const outDir = ctx.tempDir('synth');
    ctx.log(`synth: npx cdk8s synth --no-check-upgrade -o ${outDir}`);
    const synth = await timedRun(npx, ['cdk8s', 'synth', '--no-check-upgrade', '-o', outDir], { timeoutMs: 180_000, tempDir: ctx.tempDir('time') });
    if (synth.code !== 0) throw new Error(`cdk8s synth failed (exit ${synth.code}):\n${tailText(synth.output)}`);
    const files = filesUnder(outDir).filter((f) => /\.ya?ml$/.test(f));
    let objects = 0;
    let bytes = 0;
    for (const f of files) {
      const text = fs.readFileSync(path.join(outDir, f), 'utf8');
      bytes += text.length;
      objects += (text.match(/^apiVersion:/gm) ?? []).length;
    }
    r.add('synth.wallSeconds', '`cdk8s synth` of all environments, wall time', synth.wallSeconds, 's', 'cdk8s-cli + ts-node --transpile-only main.ts');
    r.add('synth.cpuSeconds', '`cdk8s synth` CPU time (user+sys, whole tree)', synth.cpuSeconds ?? null, 's');
    r.add('synth.peakRssMiB', '`cdk8s synth` peak RSS (largest process)', synth.peakRssMiB ?? null, 'MiB', synth.peakRssMiB === undefined ? 'GNU time (/usr/bin/time) not installed' : undefined);
    r.add('synth.objects', 'objects synthesized', objects, 'objects');
    r.detail('synthFiles', files);
    r.detail('synthBytes', bytes);
    r.detail('synthOutDir', 'temp dir (removed after the run)');
  },
};
