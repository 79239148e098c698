/**
 * `npm run import`: regenerates what the repository keeps from the pinned upstream CRDs, offline:
 *
 * - `imports/`: the typed CRD classes (`cdk8s import` of the files `cdk8s.yaml` lists);
 * - `schemas/`: compact JSON schemas (descriptions removed) of every CRD and of the Kubernetes 1.27
 *   API, which `npm run validate` and the unit tests read, plus `schemas/UPSTREAM.sha256`, the
 *   checksum of every upstream file they were made from.
 *
 * The CRDs are read from `KLAXON_CRDS_DIR`, default `../shared/crds` (a folder per source:
 * `strimzi-0.51.0/`, `k8s-1.27.0/_definitions.json`, ...). Only regenerating needs them; a clone
 * validates and tests with what is committed. CI regenerates both and fails on a difference.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { compactCrd, compactDefinitions } from '../test/schema/compact-schemas';

const ROOT = path.resolve(__dirname, '..');
/** How cdk8s.yaml names the CRD folder; replaced by KLAXON_CRDS_DIR when it is set. */
const CONFIG_PREFIX = '../shared/crds/';

function main(): void {
  const crdsDir = path.resolve(ROOT, process.env.KLAXON_CRDS_DIR ?? CONFIG_PREFIX);
  if (!fs.existsSync(crdsDir)) {
    throw new Error(`CRD folder ${crdsDir} does not exist: set KLAXON_CRDS_DIR to the folder holding strimzi-0.51.0/, k8s-1.27.0/, ... (only regenerating imports/ and schemas/ needs it).`);
  }
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('imports')) importClasses(crdsDir);
  if (only.length === 0 || only.includes('schemas')) writeSchemas(crdsDir, path.join(ROOT, 'schemas'));
}

/** `cdk8s import` of every file cdk8s.yaml lists, read from crdsDir. */
function importClasses(crdsDir: string): void {
  const config = YAML.parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf-8')) as { imports: string[] };
  const specs = config.imports.map((spec) => {
    const [name, file] = spec.split(':=');
    if (!file.startsWith(CONFIG_PREFIX)) throw new Error(`cdk8s.yaml import ${spec}: expected a file under ${CONFIG_PREFIX}`);
    return `${name}:=${path.join(crdsDir, file.slice(CONFIG_PREFIX.length))}`;
  });
  const cli = path.join(ROOT, 'node_modules', '.bin', 'cdk8s');
  execFileSync(cli, ['import', '--no-check-upgrade', '--no-save', '-l', 'typescript', '-o', 'imports', ...specs], { cwd: ROOT, stdio: 'inherit' });
}

/** schemas/<source>/<file>.json for every CRD and the Kubernetes schema, and UPSTREAM.sha256. */
function writeSchemas(crdsDir: string, outDir: string): void {
  fs.rmSync(outDir, { recursive: true, force: true });
  const sums: string[] = [];
  const sources = fs.readdirSync(crdsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const source of sources) {
    fs.mkdirSync(path.join(outDir, source), { recursive: true });
    for (const name of fs.readdirSync(path.join(crdsDir, source)).sort()) {
      const file = path.join(crdsDir, source, name);
      const text = fs.readFileSync(file, 'utf-8');
      let out: unknown;
      if (name === '_definitions.json') out = compactDefinitions(JSON.parse(text));
      else if (/\.ya?ml$/.test(name)) {
        const crds = YAML.parseAllDocuments(text).map((d) => d.toJS({ maxAliasCount: -1 })).filter((d) => d?.kind === 'CustomResourceDefinition');
        if (crds.length !== 1) throw new Error(`${file}: expected one CustomResourceDefinition, found ${crds.length}`);
        out = compactCrd(crds[0], file);
      } else continue;
      sums.push(`${createHash('sha256').update(text).digest('hex')}  ${source}/${name}`);
      fs.writeFileSync(path.join(outDir, source, name.replace(/\.ya?ml$/, '.json')), `${JSON.stringify(out)}\n`);
    }
  }
  fs.writeFileSync(path.join(outDir, 'UPSTREAM.sha256'), `${sums.join('\n')}\n`);
  console.log(`schemas/: ${sums.length} schemas from ${crdsDir}`);
}

main();
