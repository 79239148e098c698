/**
 * validate: schema validation of every YAML file in dist/ (or BENCH_VALIDATE_DIR) with
 * test/schema/validator.ts, in process:
 * - cold: a new SchemaValidator with an empty parsed-CRD cache (load, parse and compile schemas, validate);
 * - cold, disk cache warm: a new SchemaValidator reusing that cache (what a second `npm run validate` pays);
 * - warm: the same validator again (compiled schemas; median of 3).
 * Plus the wall time of the `npm run validate` CLI as a child process (its own shared cache).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Benchmark, BenchContext, now, REPO_ROOT, ResultBuilder, tailText, timedRun } from './lib';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const validateBenchmark: Benchmark = {
  name: 'validate',
  title: 'Schema validation of dist/',
  description: 'test/schema/validator.ts over dist/ (cold compile, warm re-validation) and the `npm run validate` CLI',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    const dir = path.resolve(process.env.BENCH_VALIDATE_DIR ?? path.join(REPO_ROOT, 'dist'));
    r.detail('dir', path.relative(REPO_ROOT, dir) || '.');

    let t = now();
    const dist = await import('../test/schema/validate-dist');
    const { SchemaValidator } = await import('../test/schema/validator');
    const loadMs = now() - t;

    const files = dist.findYamlFiles(dir);
    if (files.length === 0) throw new Error(`no YAML under ${dir}: run 'npm run synth' first`);
    t = now();
    const parsed = dist.parseFiles(files);
    const parseMs = now() - t;

    const cacheDir = ctx.tempDir('schema-cache');
    ctx.log(`validate: ${files.length} files under ${dir}, cold (empty schema cache)`);
    t = now();
    const cold = dist.validateParsed(parsed, new SchemaValidator({ cacheDir }));
    const coldMs = now() - t;

    t = now();
    const second = new SchemaValidator({ cacheDir });
    dist.validateParsed(parsed, second);
    const cachedMs = now() - t;

    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = now();
      dist.validateParsed(parsed, second);
      warm.push(now() - t);
    }

    const objects = cold.reduce((n, f) => n + f.objects, 0);
    const problems = cold.reduce((n, f) => n + f.problems.length, 0);
    r.add('validate.coldSeconds', 'cold: new validator, empty schema cache (load + compile + validate)', coldMs / 1000, 's');
    r.add('validate.cachedSeconds', 'new validator, parsed-CRD disk cache warm', cachedMs / 1000, 's');
    r.add('validate.warmSeconds', 'warm: compiled validator, validate only (median of 3)', median(warm) / 1000, 's');
    r.add('validate.parseSeconds', 'YAML parsing of the files', parseMs / 1000, 's');
    r.add('validate.moduleLoadSeconds', 'loading the validator modules (ts-node transpile, ajv, yaml)', loadMs / 1000, 's');
    r.add('validate.objects', 'objects validated', objects, 'objects');
    r.detail('files', files.length);
    r.detail('problems', problems);
    r.detail('warmMs', warm.map((w) => Math.round(w)));

    ctx.log('validate: npm run validate (CLI, child process)');
    const cli = await timedRun(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'validate', '--', dir], { timeoutMs: 180_000, tempDir: ctx.tempDir('time') });
    r.add('validate.cliWallSeconds', '`npm run validate` wall time (process start to exit, shared schema cache)', cli.wallSeconds, 's');
    r.add('validate.cliPeakRssMiB', '`npm run validate` peak RSS', cli.peakRssMiB ?? null, 'MiB');
    r.detail('cliExitCode', cli.code);
    r.detail('cliSummary', tailText(cli.output, 1));
    if (!fs.existsSync(dir)) throw new Error(`${dir} vanished during the run`);
  },
};
