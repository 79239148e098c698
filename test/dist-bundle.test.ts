/**
 * The code dist/ ships is the code the integration tests run: each workload's ConfigMap in every
 * environment carries, gzipped, exactly the bundle esbuild makes from functions/ today.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { BUNDLE_CONFIGMAP_KEY } from '../constructs/workloads/function-code';
import { bundleWorkload, discoverWorkloads } from '../functions/build';
import { parseYamlDocuments } from './schema/validator';

const ROOT = path.resolve(__dirname, '..');
const ENVIRONMENTS = fs.readdirSync(path.join(ROOT, 'dist')).filter((d) => fs.statSync(path.join(ROOT, 'dist', d)).isDirectory());

/** Every code ConfigMap in dist/<env>/, by the workload named in its labels. */
function shippedBundles(env: string): Map<string, Buffer> {
  const bundles = new Map<string, Buffer>();
  for (const file of fs.readdirSync(path.join(ROOT, 'dist', env)).filter((f) => f.endsWith('.yaml'))) {
    for (const obj of parseYamlDocuments(fs.readFileSync(path.join(ROOT, 'dist', env, file), 'utf8')) as any[]) {
      const gz = obj?.kind === 'ConfigMap' ? obj.binaryData?.[BUNDLE_CONFIGMAP_KEY] : undefined;
      if (gz) bundles.set(obj.metadata.labels['app.kubernetes.io/name'], gunzipSync(Buffer.from(gz, 'base64')));
    }
  }
  return bundles;
}

/** Workloads that run another workload's bundle: event-alerter is log-alerter with ALERTER_INPUT=events. */
const BUNDLE_OF: Readonly<Record<string, string>> = { 'event-alerter': 'log-alerter' };

function sha256(bytes: Buffer | undefined): string | undefined {
  return bytes && createHash('sha256').update(bytes).digest('hex');
}

test('dist/ has environments', () => {
  expect(ENVIRONMENTS).toEqual(expect.arrayContaining(['dev', 'prod']));
});

describe.each(ENVIRONMENTS)('dist/%s', (env) => {
  test('ships every workload of functions/, each exactly as esbuild bundles it now', async () => {
    const shipped = shippedBundles(env);
    // The seeds' KubeSphere setting runs eventrouter instead of Klaxon's event exporter.
    const workloads = discoverWorkloads(ROOT).filter((w) => env !== 'kubesphere' || w !== 'event-exporter');
    expect([...new Set([...shipped.keys()].map((name) => BUNDLE_OF[name] ?? name))].sort()).toEqual([...workloads].sort());
    for (const [name, bytes] of shipped) {
      const workload = BUNDLE_OF[name] ?? name;
      const { code } = await bundleWorkload(workload, ROOT);
      // A mismatch means functions/ changed after the last synth: run `npm run synth` and commit dist/.
      expect({ name, sha256: sha256(bytes) }).toEqual({ name, sha256: sha256(code) });
    }
  });
});
