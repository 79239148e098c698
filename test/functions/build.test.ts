/**
 * functions/build.ts: bundles every functions/<workload>/main.ts into .build/functions/<workload>/.
 * Fixture projects live in a temp folder with node_modules linked from the repo, so the tests do
 * not depend on the state of the real workloads; the last tests build the real ones when present.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { BundleManifest, buildFunctions, bundlePath, describeResult, discoverWorkloads, manifestPath, PROJECT_ROOT } from '../../functions/build';
import { workloadNode } from '../harness/workload-node';

const DEMO_MAIN = `
import { Kafka } from 'kafkajs';
import { problems } from '../runtime/config';

const found = problems(process.env);
if (found.length > 0) {
  console.error('invalid configuration:\\n' + found.map((p) => '  - ' + p).join('\\n'));
  process.exitCode = 1;
} else {
  new Kafka({ clientId: 'demo', brokers: [process.env.KAFKA_BROKERS as string] });
  console.log('started as main: ' + String(require.main === module));
}
`;

const RUNTIME_CONFIG = `
export function problems(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  if (!/^[^:]+:\\d+$/.test(env.KAFKA_BROKERS ?? '')) out.push('KAFKA_BROKERS must be host:port');
  if (!/^\\d+$/.test(env.HTTP_PORT ?? '8080')) out.push('HTTP_PORT must be a whole number');
  return out;
}
`;

const roots: string[] = [];

/** A project with workloads `demo` (main.ts), `pending` (no main.ts yet) and the libraries runtime/ and contracts/. */
function fixtureProject(files: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-build-'));
  roots.push(root);
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const all: Record<string, string> = {
    'functions/demo/main.ts': DEMO_MAIN,
    'functions/runtime/config.ts': RUNTIME_CONFIG,
    'functions/contracts/names.ts': 'export const X = 1;\n',
    'functions/pending/README.md': 'not yet\n',
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

function runNode(file: string, env: Record<string, string>) {
  return spawnSync(workloadNode(), [file], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20000 });
}

afterAll(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe('build:functions', () => {
  test('workloads are the folders of functions/; runtime/ and contracts/ are libraries, not workloads', () => {
    // GIVEN
    const root = fixtureProject();
    // WHEN
    const workloads = discoverWorkloads(root);
    // THEN
    expect(workloads).toEqual(['demo', 'pending']);
  });

  test('each workload main.ts becomes one minified CommonJS file for Node 20, and a workload without main.ts yet is skipped', async () => {
    // GIVEN
    const root = fixtureProject();
    // WHEN
    const results = await buildFunctions({ root });
    // THEN
    expect(results.map((r) => `${r.workload} ${r.status}`)).toEqual(['demo built', 'pending skipped']);
    expect(describeResult(results[1], root)).toBe('skipped pending: no functions/pending/main.ts yet');
    expect(describeResult(results[0], root)).toMatch(/^built demo -> \.build\/functions\/demo\/index\.js \(\d+\.\d KiB, gzip \d+\.\d KiB, sha256 [0-9a-f]{12}\) in \d+ ms$/);
    const bundle = fs.readFileSync(bundlePath('demo', root), 'utf8');
    expect(bundlePath('demo', root)).toBe(path.join(root, '.build', 'functions', 'demo', 'index.js'));
    expect(fs.readdirSync(path.join(root, '.build', 'functions'))).toEqual(['demo']);
    expect(fs.readdirSync(path.join(root, '.build', 'functions', 'demo')).sort()).toEqual(['index.js', 'manifest.json']);
    expect(bundle).not.toMatch(/require\("kafkajs"\)/); // dependencies are inside the bundle
    expect(bundle).not.toMatch(/^\s*(import|export)\s/m); // CommonJS, not ESM
    expect(bundle).not.toContain('sourceMappingURL');
    expect(bundle).not.toContain(root); // no absolute paths
    expect(bundle.split('\n').length).toBeLessThan(50); // minified
  });

  test('the manifest gives the size, gzip size and sha256 of the bundle and the npm packages inside it', async () => {
    // GIVEN
    const root = fixtureProject();
    // WHEN
    await buildFunctions({ root });
    // THEN
    const bytes = fs.readFileSync(bundlePath('demo', root));
    const manifest: BundleManifest = JSON.parse(fs.readFileSync(manifestPath('demo', root), 'utf8'));
    expect(manifest).toEqual({
      workload: 'demo',
      entry: 'functions/demo/main.ts',
      bundle: 'index.js',
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      target: 'node24',
      format: 'cjs',
      esbuild: require('esbuild').version,
      packages: [{ name: 'kafkajs', version: '2.2.4', license: 'MIT' }],
    });
  });

  test('the same sources give the same bytes, wherever the project sits and however often it is built', async () => {
    // GIVEN
    const first = fixtureProject();
    const second = fixtureProject();
    // WHEN
    await buildFunctions({ root: first });
    const once = fs.readFileSync(bundlePath('demo', first));
    const mtime = fs.statSync(bundlePath('demo', first)).mtimeMs;
    await buildFunctions({ root: first });
    await buildFunctions({ root: second });
    // THEN
    expect(fs.readFileSync(bundlePath('demo', first)).equals(once)).toBe(true);
    expect(fs.statSync(bundlePath('demo', first)).mtimeMs).toBe(mtime); // unchanged bytes are not rewritten
    expect(fs.readFileSync(bundlePath('demo', second)).equals(once)).toBe(true);
    expect(fs.readFileSync(manifestPath('demo', second), 'utf8')).toBe(fs.readFileSync(manifestPath('demo', first), 'utf8'));
  });

  test('the bundle runs as `node index.js`: it is the main module, and an invalid env makes it exit non-zero listing every problem', async () => {
    // GIVEN
    const root = fixtureProject();
    await buildFunctions({ root });
    // WHEN
    const bad = runNode(bundlePath('demo', root), { KAFKA_BROKERS: 'no-port', HTTP_PORT: 'eighty' });
    const good = runNode(bundlePath('demo', root), { KAFKA_BROKERS: '127.0.0.1:9092' });
    // THEN
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('invalid configuration:\n  - KAFKA_BROKERS must be host:port\n  - HTTP_PORT must be a whole number\n');
    expect(good.stderr).toBe('');
    expect(good.stdout).toBe('started as main: true\n');
    expect(good.status).toBe(0);
  });

  test('building takes well under 2 seconds', async () => {
    // GIVEN a warm esbuild
    const root = fixtureProject();
    await buildFunctions({ root });
    // WHEN
    const started = Date.now();
    await buildFunctions({ root });
    // THEN
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('bundles of workloads that no longer exist are removed; other files in the output folder are kept', async () => {
    // GIVEN
    const root = fixtureProject();
    await buildFunctions({ root });
    fs.mkdirSync(path.join(root, '.build', 'functions', 'notes'));
    fs.writeFileSync(path.join(root, '.build', 'functions', 'notes', 'keep.txt'), 'mine');
    // WHEN
    fs.rmSync(path.join(root, 'functions', 'demo'), { recursive: true });
    const results = await buildFunctions({ root });
    // THEN
    expect(results.map((r) => r.status)).toEqual(['skipped']);
    expect(fs.existsSync(path.join(root, '.build', 'functions', 'demo'))).toBe(false);
    expect(fs.readFileSync(path.join(root, '.build', 'functions', 'notes', 'keep.txt'), 'utf8')).toBe('mine');
  });

  test('a named workload is built alone, into another output folder', async () => {
    // GIVEN
    const root = fixtureProject({ 'functions/other/main.ts': 'console.log("other");\n' });
    const outDir = path.join(root, 'out');
    // WHEN
    const results = await buildFunctions({ root, outDir, workloads: ['other', 'missing'] });
    // THEN
    expect(results.map((r) => (r.status === 'skipped' ? `${r.workload}: ${r.reason}` : `${r.workload} built`))).toEqual(['other built', 'missing: no folder functions/missing/']);
    expect(fs.readdirSync(outDir)).toEqual(['other']);
    expect(runNode(path.join(outDir, 'other', 'index.js'), {}).stdout).toBe('other\n');
  });

  test('fails with esbuild\'s message when a workload does not build', async () => {
    // GIVEN
    const root = fixtureProject({ 'functions/demo/main.ts': 'import { nothing } from "./missing";\nconsole.log(nothing);\n' });
    // WHEN
    const error = await buildFunctions({ root }).then(() => undefined, (e: Error) => e);
    // THEN
    expect(error?.message).toContain('Could not resolve "./missing"');
  });

  test('`npm run build:functions` prints one line per workload folder', () => {
    // GIVEN
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-build-out-'));
    roots.push(outDir);
    // WHEN
    const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'functions/build.ts', '--out', outDir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 60000,
    });
    // THEN
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const workloads = discoverWorkloads(PROJECT_ROOT);
    const lines = result.stdout.trim().split('\n');
    if (workloads.length === 0) {
      expect(lines).toEqual(['build:functions: no workload folders under functions/ (expected functions/<name>/main.ts); nothing built.']);
    } else {
      expect(lines.map((l) => l.split(' ').slice(0, 3).join(' ').replace(/:$/, ''))).toEqual(
        workloads.map((w) => `build:functions: ${fs.existsSync(path.join(PROJECT_ROOT, 'functions', w, 'main.ts')) ? 'built' : 'skipped'} ${w}`),
      );
    }
  });
});

const fanoutMain = path.join(PROJECT_ROOT, 'functions', 'events-fanout', 'main.ts');
const whenFanoutExists = fs.existsSync(fanoutMain) ? test : test.skip;

describe('the events-fanout bundle', () => {
  whenFanoutExists('started with an invalid env, it exits non-zero listing every config problem', async () => {
    // GIVEN
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-fanout-'));
    roots.push(outDir);
    await buildFunctions({ outDir, workloads: ['events-fanout'] });
    // WHEN
    const result = runNode(path.join(outDir, 'events-fanout', 'index.js'), { KAFKA_BROKERS: 'no-port', HTTP_PORT: 'eighty' });
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.status).not.toBeNull(); // exited by itself, not killed by the timeout
    const output = result.stdout + result.stderr;
    expect(output).toContain('KAFKA_BROKERS');
    expect(output).toContain('HTTP_PORT');
  });
});
