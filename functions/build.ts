/**
 * `npm run build:functions`: bundles every workload `functions/<name>/main.ts` into
 * `.build/functions/<name>/index.js` with esbuild, plus `manifest.json` (bytes, gzip bytes, sha256).
 *
 * A workload is a folder of functions/ holding a `main.ts`; `runtime/` and `contracts/` are libraries,
 * not workloads. A workload folder without `main.ts` yet is reported and skipped, never an error.
 *
 * The bundle is CommonJS for Node 24 (the pods' image, DEFAULT_NODE_IMAGE), minified, without a source map, and byte-for-byte the same for
 * the same sources (no timestamps, no absolute paths): its sha256 is the content hash that rolls pods.
 *
 * main.ts reads the bundle with `fs.readFileSync(bundlePath('events-fanout'))` and hands the bytes to
 * `FunctionCode.fromBundle(...)`; this module's path helpers are pure so main.ts can import them
 * without loading esbuild.
 *
 *   npx ts-node --transpile-only functions/build.ts [--out DIR] [workload ...]
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';

/** Folders of functions/ that are libraries, not workloads. */
export const NON_WORKLOAD_FOLDERS: readonly string[] = ['runtime', 'contracts'];

/** The entry point every workload folder holds. */
export const WORKLOAD_ENTRY = 'main.ts';

/** Where bundles land, relative to the project root. */
export const BUILD_DIR = path.join('.build', 'functions');

/** The esbuild target of every bundle (the pod's node image runs Node 24, see DEFAULT_NODE_IMAGE). */
export const BUNDLE_TARGET = 'node24';

/** `.build/functions/<workload>/index.js`, relative to `root` (default: the project root). */
export function bundlePath(workload: string, root: string = PROJECT_ROOT): string {
  return path.join(root, BUILD_DIR, workload, 'index.js');
}

/** `.build/functions/<workload>/manifest.json`, relative to `root` (default: the project root). */
export function manifestPath(workload: string, root: string = PROJECT_ROOT): string {
  return path.join(root, BUILD_DIR, workload, 'manifest.json');
}

/**
 * Bundle-size rules for @kubernetes/client-node (event-exporter only; no other bundle imports these
 * packages, so their bytes do not change): the client's modules are treated as free of side
 * effects, so esbuild drops what is not used (its generated models alone are 330 KB), and three
 * dependencies the exporter never needs are replaced by shims in functions/event-exporter/bundle-shims/ (see each file).
 */
const SIDE_EFFECT_FREE = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const SHIMS: Readonly<Record<string, string>> = {
  'whatwg-url': 'functions/event-exporter/bundle-shims/whatwg-url.js',
  'socks-proxy-agent': 'functions/event-exporter/bundle-shims/socks-proxy-agent.js',
  'jsonpath-plus': 'functions/event-exporter/bundle-shims/jsonpath-plus.js',
};

function bundleSizePlugin(root: string): import('esbuild').Plugin {
  return {
    name: 'klaxon-bundle-size',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'klaxon-bundle-size') return undefined;
        const shim = SHIMS[args.path];
        if (shim && SHIMS_FOR.test(args.importer)) return { path: path.join(root, shim) };
        if (!SIDE_EFFECT_FREE.test(args.importer) && !args.path.includes('@kubernetes/client-node')) return undefined;
        const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'klaxon-bundle-size' });
        if (resolved.errors.length > 0 || !SIDE_EFFECT_FREE.test(resolved.path)) return undefined;
        return { ...resolved, sideEffects: false };
      });
    },
  };
}

/** The importers whose `whatwg-url` / `socks-proxy-agent` imports the shims replace. */
const SHIMS_FOR = /[\\/]node_modules[\\/](node-fetch|@kubernetes[\\/]client-node)[\\/]/;

/** The project root (this file lives in `<root>/functions/`). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** What `manifest.json` says about one bundle. Deterministic: no timestamps. */
export interface BundleManifest {
  /** The workload folder name, e.g. `events-fanout`. */
  readonly workload: string;
  /** The entry point, relative to the project root, with forward slashes. */
  readonly entry: string;
  /** The bundle file name, beside the manifest. */
  readonly bundle: 'index.js';
  /** Bundle size in bytes. */
  readonly bytes: number;
  /** Size of the bundle gzip-compressed at level 9 (what the code ConfigMap carries). */
  readonly gzipBytes: number;
  /** sha256 of the bundle bytes, hex. */
  readonly sha256: string;
  /** esbuild target and format. */
  readonly target: string;
  readonly format: 'cjs';
  /** The esbuild version that produced the bundle. */
  readonly esbuild: string;
  /** npm packages inside the bundle (their licenses travel with the code), sorted by name. */
  readonly packages: readonly BundledPackage[];
}

/** One npm package bundled into a workload. */
export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
}

/** The outcome for one workload folder. */
export type WorkloadResult =
  | { readonly workload: string; readonly status: 'built'; readonly outfile: string; readonly manifest: BundleManifest; readonly millis: number }
  | { readonly workload: string; readonly status: 'skipped'; readonly reason: string };

export interface BuildOptions {
  /** The project root holding functions/. @default - the folder above this file */
  readonly root?: string;
  /** Output folder for `<workload>/index.js`. @default `<root>/.build/functions` */
  readonly outDir?: string;
  /** Build only these workloads. @default - every workload folder */
  readonly workloads?: readonly string[];
}

/** Workload folders of `<root>/functions`, sorted, whether or not they have a main.ts yet. */
export function discoverWorkloads(root: string = PROJECT_ROOT): string[] {
  const functionsDir = path.join(root, 'functions');
  return fs
    .readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !d.name.startsWith('_'))
    .map((d) => d.name)
    .filter((name) => !NON_WORKLOAD_FOLDERS.includes(name))
    .sort();
}

/** The bytes and manifest of one bundle, built in memory. Throws on esbuild errors. */
export async function bundleWorkload(workload: string, root: string = PROJECT_ROOT): Promise<{ code: Buffer; manifest: BundleManifest }> {
  // Loaded here so that importing the path helpers above does not load esbuild.
  const esbuild: typeof import('esbuild') = require('esbuild');
  const entry = path.posix.join('functions', workload, WORKLOAD_ENTRY);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'cjs',
    minify: true,
    // No keepNames: it wraps every closure made per record in a naming call. Error names in logs and
    // dead-letter headers come from the `name` the runtime's error classes set themselves.
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    tsconfig: fs.existsSync(path.join(root, 'tsconfig.json')) ? path.join(root, 'tsconfig.json') : undefined,
    write: false,
    outfile: 'index.js',
    logLevel: 'silent',
    metafile: true,
    plugins: [bundleSizePlugin(root)],
  });
  if (result.errors.length > 0) {
    throw new Error(result.errors.map((e) => e.text).join('\n'));
  }
  const code = Buffer.from(result.outputFiles[0].contents);
  const manifest: BundleManifest = {
    workload,
    entry,
    bundle: 'index.js',
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    sha256: createHash('sha256').update(code).digest('hex'),
    target: BUNDLE_TARGET,
    format: 'cjs',
    esbuild: esbuild.version,
    packages: bundledPackages(Object.keys(result.metafile?.inputs ?? {}), root),
  };
  return { code, manifest };
}

/** The npm packages that esbuild inputs (`node_modules/<name>/...`) come from, with version and license. */
function bundledPackages(inputs: readonly string[], root: string): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.split(path.sep).join('/'));
    if (m) dirs.add(input.slice(0, m.index + m[0].length));
  }
  const packages = new Map<string, BundledPackage>();
  for (const dir of dirs) {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    const license = typeof pkg.license === 'string' ? pkg.license : 'UNKNOWN';
    packages.set(`${pkg.name}@${pkg.version}`, { name: pkg.name, version: pkg.version, license });
  }
  return [...packages.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name)));
}

/**
 * Bundles every workload that has a main.ts into `<outDir>/<workload>/index.js` + `manifest.json`,
 * skips the others, and removes bundles of workloads that no longer exist.
 */
export async function buildFunctions(options: BuildOptions = {}): Promise<WorkloadResult[]> {
  const root = options.root ?? PROJECT_ROOT;
  const outDir = options.outDir ?? path.join(root, BUILD_DIR);
  const known = discoverWorkloads(root);
  const requested = options.workloads ?? known;
  const results: WorkloadResult[] = [];
  for (const workload of requested) {
    if (!known.includes(workload)) {
      results.push({ workload, status: 'skipped', reason: `no folder functions/${workload}/` });
      continue;
    }
    if (!fs.existsSync(path.join(root, 'functions', workload, WORKLOAD_ENTRY))) {
      results.push({ workload, status: 'skipped', reason: `no functions/${workload}/${WORKLOAD_ENTRY} yet` });
      continue;
    }
    const started = Date.now();
    const { code, manifest } = await bundleWorkload(workload, root);
    const dir = path.join(outDir, workload);
    fs.mkdirSync(dir, { recursive: true });
    const outfile = path.join(dir, 'index.js');
    writeIfChanged(outfile, code);
    writeIfChanged(path.join(dir, 'manifest.json'), Buffer.from(JSON.stringify(manifest, undefined, 2) + '\n'));
    results.push({ workload, status: 'built', outfile, manifest, millis: Date.now() - started });
  }
  if (!options.workloads) removeStaleBundles(outDir, results);
  return results;
}

/** Leaves the file (and its mtime) alone when the bytes are the same. */
function writeIfChanged(file: string, bytes: Buffer): void {
  if (fs.existsSync(file) && fs.readFileSync(file).equals(bytes)) return;
  fs.writeFileSync(file, bytes);
}

/** Deletes `<outDir>/<name>/` folders this script wrote for workloads that were not built now. */
function removeStaleBundles(outDir: string, results: readonly WorkloadResult[]): void {
  if (!fs.existsSync(outDir)) return;
  const built = new Set(results.filter((r) => r.status === 'built').map((r) => r.workload));
  for (const d of fs.readdirSync(outDir, { withFileTypes: true })) {
    if (!d.isDirectory() || built.has(d.name)) continue;
    const dir = path.join(outDir, d.name);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per workload, e.g. `built events-fanout -> .build/functions/events-fanout/index.js (270.1 KiB, gzip 70.3 KiB, sha256 1a2b…) in 180 ms`. */
export function describeResult(result: WorkloadResult, root: string = PROJECT_ROOT): string {
  if (result.status === 'skipped') return `skipped ${result.workload}: ${result.reason}`;
  const m = result.manifest;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  return (
    `built ${m.workload} -> ${path.relative(root, result.outfile)} ` +
    `(${kib(m.bytes)}, gzip ${kib(m.gzipBytes)}, sha256 ${m.sha256.slice(0, 12)}) in ${result.millis} ms`
  );
}

async function cli(argv: readonly string[]): Promise<number> {
  let outDir: string | undefined;
  const workloads: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') outDir = path.resolve(argv[++i] ?? '');
    else workloads.push(argv[i]);
  }
  const results = await buildFunctions({ outDir, workloads: workloads.length > 0 ? workloads : undefined });
  if (results.length === 0) console.log('build:functions: no workload folders under functions/ (expected functions/<name>/main.ts); nothing built.');
  for (const r of results) console.log(`build:functions: ${describeResult(r)}`);
  return 0;
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`build:functions: failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
