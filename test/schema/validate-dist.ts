/**
 * `npm run validate [-- [dir] [--crds <dir>]]`: validates every YAML document in `dist/**\/*.yaml`
 * (or `dir`) against the pinned schemas, prints one summary line per file and every problem, and
 * exits non-zero on any problem — or when there is no YAML to validate.
 */
import * as fs from 'fs';
import * as path from 'path';
import { formatProblem, parseYamlDocuments, SchemaProblem, SchemaValidator } from './validator';

/** The repo root (this file is test/schema/validate-dist.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface FileResult {
  /** Path relative to the repo root (or as given, when outside it). */
  readonly file: string;
  /** YAML documents that held an object. */
  readonly objects: number;
  readonly problems: SchemaProblem[];
}

/** Every `*.yaml`/`*.yml` under `dir`, sorted; `[]` when `dir` does not exist. */
export function findYamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** A YAML file's documents, or the syntax error that stopped parsing. */
export interface ParsedFile {
  /** Path relative to the repo root (or as given, when outside it). */
  readonly file: string;
  readonly docs: unknown[];
  readonly error?: string;
}

/** Reads and parses each file (multi-document YAML). */
export function parseFiles(files: readonly string[]): ParsedFile[] {
  return files.map((abs) => {
    const file = path.relative(REPO_ROOT, abs).startsWith('..') ? abs : path.relative(REPO_ROOT, abs);
    try {
      return { file, docs: parseYamlDocuments(fs.readFileSync(abs, 'utf-8'), file) };
    } catch (e) {
      return { file, docs: [], error: (e as Error).message.replace(`${file}: `, '') };
    }
  });
}

/** Validates parsed files; a YAML syntax error is a problem of its file. */
export function validateParsed(parsed: readonly ParsedFile[], validator: SchemaValidator): FileResult[] {
  return parsed.map(({ file, docs, error }) => {
    if (error !== undefined) return { file, objects: 0, problems: [{ file, object: '?', schema: 'yaml', path: '/', message: error }] };
    const objects = docs.filter((d) => d !== null && d !== undefined);
    return { file, objects: objects.length, problems: validator.validateObjects(objects, file) };
  });
}

/** Parses and validates each file. */
export function validateFiles(files: readonly string[], validator: SchemaValidator): FileResult[] {
  return validateParsed(parseFiles(files), validator);
}

function main(argv: string[]): number {
  let dir = path.join(REPO_ROOT, 'dist');
  let crdsDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--crds') crdsDir = argv[++i];
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: npm run validate -- [dir (default dist)] [--crds <schemas dir (default schemas/, or an upstream CRD folder such as ../shared/crds)>]');
      return 0;
    } else dir = path.resolve(argv[i]);
  }

  const files = findYamlFiles(dir);
  if (files.length === 0) {
    console.error(`FAIL no YAML files under ${dir}: run 'npm run synth' first (an empty dist/ is not a pass).`);
    return 1;
  }

  const t0 = process.hrtime.bigint();
  const parsed = parseFiles(files);
  const t1 = process.hrtime.bigint();
  const validator = new SchemaValidator({ crdsDir });
  const results = validateParsed(parsed, validator);
  const t2 = process.hrtime.bigint();
  validateParsed(parsed, validator); // again, warm: what validation costs once schemas are compiled
  const t3 = process.hrtime.bigint();

  let objects = 0;
  let problems = 0;
  for (const r of results) {
    objects += r.objects;
    problems += r.problems.length;
    console.log(`${r.problems.length ? 'FAIL' : 'ok  '} ${r.file}: ${r.objects} objects${r.problems.length ? `, ${r.problems.length} problems` : ''}`);
    for (const p of r.problems) console.log(`     ${formatProblem(p)}`);
  }
  const ms = (a: bigint, b: bigint) => (Number(b - a) / 1e6).toFixed(0);
  console.log(
    `${problems ? 'FAIL' : 'ok  '} ${objects} objects in ${files.length} files, ${problems} problems ` +
      `(parse ${ms(t0, t1)} ms; validate ${ms(t1, t2)} ms including loading and compiling schemas, ${ms(t2, t3)} ms warm)`,
  );
  return problems ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
