/**
 * Schema validation of synthesized manifests against the pinned schemas in `schemas/` (compact JSON
 * made by `npm run import` from the upstream files; the upstream folder itself, e.g. `../shared/crds`,
 * works too): the Kubernetes 1.27 JSON schema (`k8s-1.27.0/_definitions.json`) and every CRD's
 * `openAPIV3Schema`, closed with `additionalProperties: false` so misspelt or unknown fields fail
 * the way the API server's strict field validation rejects them.
 *
 * - Objects are matched by `apiVersion`/`kind`. A kind with no schema is an error, not a pass.
 * - An API group served by several schema sources (Strimzi 0.51.0 and 1.2.0) must validate against
 *   every one of them; each failure names its source (`strimzi-1.2.0 Kafka v1`).
 * - CRD objects' `metadata` is validated against Kubernetes `ObjectMeta` (CRDs only say `type: object`).
 * - Every object's JSON must fit the 256 KiB annotation limit of client-side `kubectl apply`.
 *
 * Schema files are parsed on first use of their kind, and validators are compiled once and cached.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import * as YAML from 'yaml';

/** `kubectl apply` (client-side) stores the object in an annotation; all annotations share this limit. */
export const MAX_ANNOTATIONS_BYTES = 262144;
const LAST_APPLIED_KEY = 'kubectl.kubernetes.io/last-applied-configuration';

const SCHEMA_BASE = 'https://schemas.klaxon.invalid/';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The compact schemas committed in the repository: `<repo>/schemas`. */
export const DEFAULT_CRDS_DIR = path.resolve(__dirname, '..', '..', 'schemas');

export interface SchemaValidatorOptions {
  /** Folder with `k8s-<version>/_definitions.json` and one folder of CRD files (upstream YAML or compact JSON) per source. @default DEFAULT_CRDS_DIR (`<repo>/schemas`) */
  readonly crdsDir?: string;
  /** Limit for the bytes of all annotations once `kubectl apply` adds the last-applied one. @default MAX_ANNOTATIONS_BYTES (262144) */
  readonly maxAnnotationsBytes?: number;
  /** Where parsed CRD files are cached as JSON, keyed by content hash (YAML parsing is the slow part of loading); `false` to disable. @default - `klaxon-schema-cache` in the OS temp folder */
  readonly cacheDir?: string | false;
}

/** One reason why an object would not be accepted. */
export interface SchemaProblem {
  /** The file the object came from, when known. */
  readonly file?: string;
  /** `Kind/name` of the object (`?` for what is missing). */
  readonly object: string;
  /** What judged it: `strimzi-1.2.0 Kafka v1`, `k8s-1.27.0 Deployment apps/v1`, `size`, `kind`, `metadata`. */
  readonly schema: string;
  /** JSON pointer into the object (`/spec/replicas`); `/` for the whole object. */
  readonly path: string;
  /** What is wrong, e.g. `must be integer`. */
  readonly message: string;
}

/** `file: Kind/name: schema: /path: message` — one line per problem. */
export function formatProblem(p: SchemaProblem): string {
  return `${p.file ? `${p.file}: ` : ''}${p.object}: ${p.schema}: ${p.path}: ${p.message}`;
}

/** A schema for one (apiVersion, kind) from one source. */
interface SchemaEntry {
  readonly source: string; // 'strimzi-1.2.0', 'k8s-1.27.0'
  readonly label: string; // 'strimzi-1.2.0 Kafka v1'
  readonly ref: string; // absolute ajv reference
  readonly load: () => void; // registers the schema with ajv (idempotent)
}

/** A CRD file found on disk, parsed on first use. */
interface CrdFile {
  readonly source: string;
  readonly file: string;
  readonly group: string;
  readonly kind: string;
  loaded?: { versions: string[] };
}

/** Validates Kubernetes objects by apiVersion/kind against the pinned schemas. */
export class SchemaValidator {
  private static readonly instances = new Map<string, SchemaValidator>();

  /** A validator shared by every caller with the same options (schemas load and compile once). */
  public static shared(options: SchemaValidatorOptions = {}): SchemaValidator {
    const key = JSON.stringify([path.resolve(options.crdsDir ?? DEFAULT_CRDS_DIR), options.maxAnnotationsBytes, options.cacheDir]);
    let v = SchemaValidator.instances.get(key);
    if (!v) {
      v = new SchemaValidator(options);
      SchemaValidator.instances.set(key, v);
    }
    return v;
  }

  public readonly crdsDir: string;
  public readonly maxAnnotationsBytes: number;
  public readonly cacheDir: string | false;
  /** Sources found under crdsDir, e.g. `k8s-1.27.0`, `strimzi-0.51.0`. */
  public readonly sources: string[];

  private readonly ajv: Ajv;
  private readonly k8sSource: string;
  private readonly k8sId: string;
  private k8sLoaded = false;
  private readonly k8sFile: string;
  private k8sKinds?: Map<string, string>; // 'group/version/Kind' -> definition name
  private readonly crdFiles: CrdFile[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly knownFormats = new Set<string>();

  constructor(options: SchemaValidatorOptions = {}) {
    this.crdsDir = path.resolve(options.crdsDir ?? DEFAULT_CRDS_DIR);
    this.maxAnnotationsBytes = options.maxAnnotationsBytes ?? MAX_ANNOTATIONS_BYTES;
    this.cacheDir = options.cacheDir === undefined ? path.join(os.tmpdir(), 'klaxon-schema-cache') : options.cacheDir;
    if (!fs.existsSync(this.crdsDir)) {
      throw new Error(`schema folder ${this.crdsDir} does not exist; 'npm run import' writes schemas/ (or pass 'crdsDir').`);
    }
    this.ajv = new Ajv({
      strict: false, // x-kubernetes-* keywords and OpenAPI formats are not standard JSON Schema
      allErrors: true,
      validateSchema: false,
      addUsedSchema: false,
      unicodeRegExp: false, // patterns are Go regular expressions, not always valid with the u flag
      code: { optimize: false }, // halves compile time of the big CRDs; validation stays fast
      logger: { log: () => undefined, warn: () => undefined, error: (...args: unknown[]) => console.error(...args) },
    });
    this.addFormats();
    this.ajv.addKeyword({ keyword: UNIQUE_KEYS, type: 'array', schemaType: 'array', errors: true, validate: uniqueListMapKeys });
    this.ajv.addKeyword({ keyword: EXACTLY_ONE_OF, type: 'object', schemaType: 'array', errors: true, validate: exactlyOneOf });

    const dirs = fs.readdirSync(this.crdsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const k8s = dirs.filter((d) => /^k8s-/.test(d));
    if (k8s.length !== 1) throw new Error(`expected exactly one k8s-<version> folder in ${this.crdsDir}, found ${k8s.length}`);
    this.k8sSource = k8s[0];
    this.k8sFile = path.join(this.crdsDir, this.k8sSource, '_definitions.json');
    this.k8sId = `${SCHEMA_BASE}${this.k8sSource}.json`;
    this.sources = dirs;
    for (const dir of dirs.filter((d) => d !== this.k8sSource)) {
      for (const name of fs.readdirSync(path.join(this.crdsDir, dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
        const file = path.join(this.crdsDir, dir, name);
        this.crdFiles.push({ source: dir, file, ...crdHeader(file) });
      }
    }
  }

  /** Problems of one object; `[]` when it would be accepted. */
  public validateObject(obj: unknown, file?: string): SchemaProblem[] {
    if (obj === null || obj === undefined) return []; // an empty YAML document
    if (typeof obj !== 'object' || Array.isArray(obj)) {
      return [{ file, object: '?', schema: 'kind', path: '/', message: `not a Kubernetes object (a ${Array.isArray(obj) ? 'list' : typeof obj})` }];
    }
    const o = obj as Record<string, any>;
    const object = `${typeof o.kind === 'string' ? o.kind : '?'}/${typeof o.metadata?.name === 'string' ? o.metadata.name : '?'}`;
    const problems: SchemaProblem[] = [];
    const add = (schema: string, p: string, message: string) => problems.push({ file, object, schema, path: p, message });

    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      add('kind', '/', `has no ${typeof o.apiVersion !== 'string' ? 'apiVersion' : 'kind'}; every object needs apiVersion and kind`);
      return problems;
    }
    if (!o.metadata?.name && !o.metadata?.generateName) add('metadata', '/metadata/name', 'is required (the API server rejects an object without metadata.name)');

    const { entries, missing } = this.entriesFor(o.apiVersion, o.kind);
    if (entries.length === 0 && missing.length === 0) {
      add('kind', '/', `no schema for apiVersion ${o.apiVersion} kind ${o.kind} in ${this.k8sSource} or the CRDs under ${this.crdsDir}`);
    }
    for (const m of missing) add(m.source, '/apiVersion', m.message);
    for (const entry of entries) {
      const validate = this.validatorFor(entry);
      if (!validate(obj)) {
        for (const e of summarize(validate.errors ?? [])) add(entry.label, e.path, e.message);
      }
    }

    const size = annotationBytes(o);
    if (size > this.maxAnnotationsBytes) {
      add('size', '/', `serialized size ${size} bytes (with its annotations) exceeds the ${this.maxAnnotationsBytes}-byte (${Math.round(this.maxAnnotationsBytes / 1024)} KiB) annotation limit: client-side 'kubectl apply' stores the whole object in the ${LAST_APPLIED_KEY} annotation. Make the object smaller (split it) or apply it server-side.`);
    }
    return problems;
  }

  /** Problems of every object, in order. */
  public validateObjects(objs: readonly unknown[], file?: string): SchemaProblem[] {
    return objs.flatMap((o) => this.validateObject(o, file));
  }

  /** Schema sources that define `apiVersion`/`kind` (and, in `missing`, sources of the group that lack it). */
  private entriesFor(apiVersion: string, kind: string): { entries: SchemaEntry[]; missing: { source: string; message: string }[] } {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const entries: SchemaEntry[] = [];
    const missing: { source: string; message: string }[] = [];

    const def = this.k8sDefinitions().get(`${group}/${version}/${kind}`);
    if (def) {
      const ref = `${this.k8sId}#/definitions/${def}`;
      entries.push({ source: this.k8sSource, label: `${this.k8sSource} ${kind} ${apiVersion}`, ref, load: () => this.loadK8s() });
    }

    const groupFiles = this.crdFiles.filter((f) => f.group === group);
    for (const source of [...new Set(groupFiles.map((f) => f.source))]) {
      const file = groupFiles.find((f) => f.source === source && f.kind === kind);
      if (!file) {
        const kinds = groupFiles.filter((f) => f.source === source).map((f) => f.kind).join(', ');
        missing.push({ source, message: `${source} has no kind ${kind} in group ${group} (it has ${kinds})` });
        continue;
      }
      const versions = this.loadCrd(file);
      if (!versions.includes(version)) {
        missing.push({ source, message: `${source} does not serve ${apiVersion} ${kind} (it serves ${versions.map((v) => `${group}/${v}`).join(', ')})` });
        continue;
      }
      entries.push({ source, label: `${source} ${kind} ${version}`, ref: crdId(source, group, version, kind), load: () => undefined });
    }
    return { entries, missing };
  }

  private validatorFor(entry: SchemaEntry): ValidateFunction {
    let v = this.validators.get(entry.ref);
    if (!v) {
      entry.load();
      this.loadK8s(); // CRD metadata refers to ObjectMeta
      v = this.ajv.compile({ $ref: entry.ref });
      this.validators.set(entry.ref, v);
    }
    return v;
  }

  /** `group/version/Kind` -> definition name, from `x-kubernetes-group-version-kind`. */
  private k8sDefinitions(): Map<string, string> {
    if (!this.k8sKinds) {
      this.k8sKinds = new Map();
      for (const [name, def] of Object.entries<any>(this.k8sSchema().definitions)) {
        for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
          this.k8sKinds.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
        }
      }
    }
    return this.k8sKinds;
  }

  private k8sRaw?: any;
  private k8sSchema(): any {
    if (!this.k8sRaw) this.k8sRaw = JSON.parse(fs.readFileSync(this.k8sFile, 'utf-8'));
    return this.k8sRaw;
  }

  private loadK8s(): void {
    if (this.k8sLoaded) return;
    const schema = this.k8sSchema();
    for (const def of Object.values<any>(schema.definitions)) this.close(def, false, false);
    this.ajv.addSchema({ ...schema, $id: this.k8sId });
    this.k8sLoaded = true;
  }

  /** Parses a CRD file, registers each version's closed schema, returns the versions. */
  private loadCrd(file: CrdFile): string[] {
    if (file.loaded) return file.loaded.versions;
    const docs = this.readYamlCached(file.file).filter((d) => d);
    const crd: any = docs.find((d: any) => d.kind === 'CustomResourceDefinition');
    if (!crd || crd.spec?.group !== file.group || crd.spec?.names?.kind !== file.kind) {
      throw new Error(`${file.file}: expected a CustomResourceDefinition of ${file.kind}.${file.group}`);
    }
    const versions: string[] = [];
    for (const v of crd.spec.versions ?? []) {
      if (v.served === false) continue;
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) throw new Error(`${file.file}: version ${v.name} has no openAPIV3Schema`);
      this.close(schema, false, true);
      const props = schema.properties ?? (schema.properties = {});
      const meta = props.metadata;
      const metaRef = { $ref: `${this.k8sId}#/definitions/${OBJECT_META}` };
      const bare = !meta || Object.keys(meta).every((k) => k === 'type' || k === 'description');
      props.metadata = bare ? metaRef : { allOf: [metaRef, meta] };
      this.ajv.addSchema({ ...schema, $id: crdId(file.source, file.group, v.name, file.kind) });
      versions.push(v.name);
    }
    file.loaded = { versions };
    return versions;
  }

  /** The documents of a YAML file, from a JSON copy keyed by the file's content hash when there is one. */
  private readYamlCached(file: string): unknown[] {
    const text = fs.readFileSync(file, 'utf-8');
    if (file.endsWith('.json')) return [JSON.parse(text)]; // a compact CRD from schemas/: no YAML to parse
    if (this.cacheDir === false) return parseYamlDocuments(text, file);
    const hash = createHash('sha256').update('klaxon-crd-json-v1\n').update(text).digest('hex');
    const cached = path.join(this.cacheDir, `${hash}.json`);
    try {
      return JSON.parse(fs.readFileSync(cached, 'utf-8'));
    } catch {
      // not cached yet (or unreadable): parse and cache
    }
    const docs = parseYamlDocuments(text, file);
    try {
      fs.mkdirSync(this.cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(docs));
      fs.renameSync(tmp, cached); // atomic: parallel jest workers never read half a file
    } catch {
      // a read-only temp folder only costs speed
    }
    return docs;
  }

  /**
   * Closes object schemas in place: `additionalProperties: false` on every schema that lists
   * `properties` (unless it has `additionalProperties` or preserves unknown fields), keeping the
   * properties that `allOf`/`anyOf`/`oneOf` branches name; int-or-string becomes `integer | string`.
   * Branches themselves stay open (they only add constraints to the closed parent).
   * In CRDs, `x-kubernetes-list-type` `set` and `map` lists must not repeat items or keys (the API
   * server enforces this for custom resources).
   */
  private close(schema: any, branch: boolean, crd: boolean): void {
    if (!isRecord(schema)) return;
    if (crd && schema.type === 'array' && schema['x-kubernetes-list-type'] === 'set') schema.uniqueItems = true;
    if (crd && schema.type === 'array' && schema['x-kubernetes-list-type'] === 'map' && Array.isArray(schema['x-kubernetes-list-map-keys'])) {
      // keys with a default count as set to it (the API server defaults before it validates)
      schema[UNIQUE_KEYS] = schema['x-kubernetes-list-map-keys'].map((k: string) => [k, schema.items?.properties?.[k]?.default]);
    }
    if (schema['x-kubernetes-int-or-string'] === true || schema.format === 'int-or-string') {
      delete schema.type;
      if (schema.format === 'int-or-string') delete schema.format;
      if (!schema.anyOf && !schema.oneOf) schema.anyOf = [{ type: 'integer' }, { type: 'string' }];
    }
    if (typeof schema.format === 'string' && !this.knownFormats.has(schema.format)) {
      this.ajv.addFormat(schema.format, true); // unknown formats are tolerated
      this.knownFormats.add(schema.format);
    }
    if (Array.isArray(schema.oneOf) && schema.oneOf.length > 1 && schema.oneOf.every(isRequireOne)) {
      // Strimzi's "exactly one of" unions, [{ properties: { value: {} }, required: ['value'] }, ...],
      // checked by one keyword whose message names the fields (ajv's oneOf message does not)
      schema[EXACTLY_ONE_OF] = schema.oneOf.map((b: any) => b.required[0]);
      for (const name of schema[EXACTLY_ONE_OF]) if (isRecord(schema.properties) && !(name in schema.properties)) schema.properties[name] = {};
      delete schema.oneOf;
    }
    const combinators = ['allOf', 'anyOf', 'oneOf'].flatMap((k) => (Array.isArray(schema[k]) ? schema[k] : []));
    if (isRecord(schema.properties) && !branch) {
      for (const b of combinators) {
        for (const name of Object.keys(isRecord(b?.properties) ? b.properties : {})) {
          if (!(name in schema.properties)) schema.properties[name] = {};
        }
      }
      const objectType = schema.type === undefined || schema.type === 'object';
      if (objectType && !('additionalProperties' in schema) && schema['x-kubernetes-preserve-unknown-fields'] !== true) {
        schema.additionalProperties = false;
      }
    }
    for (const key of ['properties', 'patternProperties']) {
      if (isRecord(schema[key])) for (const sub of Object.values(schema[key])) this.close(sub, false, crd);
    }
    if (Array.isArray(schema.items)) schema.items.forEach((s: unknown) => this.close(s, false, crd));
    else this.close(schema.items, false, crd);
    this.close(schema.additionalProperties, false, crd);
    for (const b of combinators) this.close(b, true, crd);
    this.close(schema.not, true, crd);
  }

  private addFormats(): void {
    const formats: Record<string, Parameters<Ajv['addFormat']>[1]> = {
      'int32': { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 },
      'int64': { type: 'number', validate: (n: number) => Number.isInteger(n) },
      'double': { type: 'number', validate: () => true },
      'float': { type: 'number', validate: () => true },
      'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
      'byte': /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
    };
    for (const [name, format] of Object.entries(formats)) {
      this.ajv.addFormat(name, format);
      this.knownFormats.add(name);
    }
  }
}

/** Validates with the shared validator for `options` (schemas load once per process). */
export function validateObjects(objs: readonly unknown[], options: SchemaValidatorOptions & { readonly file?: string } = {}): SchemaProblem[] {
  const { file, ...rest } = options;
  return SchemaValidator.shared(rest).validateObjects(objs, file);
}

/** All YAML documents of a file (multi-document), as plain objects. Throws on YAML syntax errors. */
export function parseYamlDocuments(text: string, file = '<yaml>'): unknown[] {
  return YAML.parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
    return doc.toJS({ maxAliasCount: -1 });
  });
}

/**
 * Bytes of all annotations once client-side `kubectl apply` adds last-applied-configuration:
 * the object's JSON as Go marshals it (`<`, `>`, `&` escaped as `\u003c`...), plus the key,
 * plus the object's other annotations.
 */
export function annotationBytes(obj: Record<string, any>): number {
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  delete annotations[LAST_APPLIED_KEY];
  const stored = { ...obj, metadata: { ...obj.metadata, annotations: Object.keys(annotations).length ? annotations : undefined } };
  const json = JSON.stringify(stored);
  const escapes = (json.match(/[<>&\u2028\u2029]/g) ?? []).length;
  let total = Buffer.byteLength(json, 'utf-8') + escapes * 5 + LAST_APPLIED_KEY.length;
  for (const [k, v] of Object.entries(annotations)) total += k.length + Buffer.byteLength(String(v), 'utf-8');
  return total;
}

const UNIQUE_KEYS = 'x-klaxon-unique-list-map-keys';
const EXACTLY_ONE_OF = 'x-klaxon-exactly-one-of';

/** A oneOf branch that only requires one property: `{ properties: { x: {} }, required: ['x'] }`. */
function isRequireOne(b: unknown): boolean {
  if (!isRecord(b) || !Array.isArray(b.required) || b.required.length !== 1 || typeof b.required[0] !== 'string') return false;
  if (!Object.keys(b).every((k) => k === 'required' || k === 'properties' || k === 'description')) return false;
  return !isRecord(b.properties) || Object.values(b.properties).every((p) => isRecord(p) && Object.keys(p).length === 0);
}

/** Exactly one of the named properties is set. */
function exactlyOneOf(this: unknown, names: string[], data: Record<string, unknown>): boolean {
  const set = names.filter((n) => data[n] !== undefined);
  const ok = set.length === 1;
  (exactlyOneOf as any).errors = ok ? [] : [{
    keyword: EXACTLY_ONE_OF,
    params: { names, set },
    message: `must set exactly one of ${names.map((n) => `'${n}'`).join(', ')} (sets ${set.length ? set.map((n) => `'${n}'`).join(' and ') : 'none'})`,
  }];
  return ok;
}

/** `x-kubernetes-list-type: map`: no two items may have the same values of the list-map keys. */
function uniqueListMapKeys(this: unknown, keys: [string, unknown][], data: unknown[]): boolean {
  const seen = new Map<string, number>();
  const errors: Partial<ErrorObject>[] = [];
  data.forEach((item, i) => {
    if (!isRecord(item)) return;
    const values = keys.map(([k, dflt]) => item[k] ?? dflt);
    const key = JSON.stringify(values);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else {
      const shown = keys.map(([k], j) => `${k}=${JSON.stringify(values[j])}`).join(', ');
      errors.push({ keyword: UNIQUE_KEYS, params: { keys: keys.map(([k]) => k), i, first }, message: `must NOT have duplicate keys: items ${first} and ${i} both have ${shown}` });
    }
  });
  (uniqueListMapKeys as any).errors = errors;
  return errors.length === 0;
}

function crdId(source: string, group: string, version: string, kind: string): string {
  return `${SCHEMA_BASE}${source}/${group}/${version}/${kind}.json`;
}

/** group and kind of a CRD file without parsing all of it (`spec.group`, `spec.names.kind`). */
function crdHeader(file: string): { group: string; kind: string } {
  const text = fs.readFileSync(file, 'utf-8');
  if (file.endsWith('.json')) {
    const spec = JSON.parse(text)?.spec;
    if (typeof spec?.group !== 'string' || typeof spec?.names?.kind !== 'string') throw new Error(`${file} is not a compact CustomResourceDefinition`);
    return { group: spec.group, kind: spec.names.kind };
  }
  const spec = text.search(/^spec:\s*$/m);
  const tail = spec >= 0 ? text.slice(spec) : '';
  const group = /^ {2}group: *["']?([^"'\s]+)/m.exec(tail)?.[1];
  const names = tail.search(/^ {2}names:\s*$/m);
  const kind = names >= 0 ? /^ {4}kind: *["']?([^"'\s]+)/m.exec(tail.slice(names))?.[1] : undefined;
  if (group && kind) return { group, kind };
  const crd: any = YAML.parseAllDocuments(text).map((d) => d.toJS()).find((d: any) => d?.kind === 'CustomResourceDefinition');
  if (!crd?.spec?.group || !crd?.spec?.names?.kind) throw new Error(`${file} is not a CustomResourceDefinition`);
  return { group: crd.spec.group, kind: crd.spec.names.kind };
}

function isRecord(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Turns ajv errors into one message per problem: `anyOf`/`oneOf` failures become one line
 * (`must be integer or string`) instead of one per branch; an unknown property's path ends with it.
 */
function summarize(errors: ErrorObject[]): { path: string; message: string }[] {
  const combos = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const under = (e: ErrorObject, c: ErrorObject) => e !== c && e.schemaPath.startsWith(`${c.schemaPath}/`);
  const out: { path: string; message: string }[] = [];
  for (const e of errors) {
    if (combos.some((c) => under(e, c))) continue; // reported by its anyOf/oneOf
    out.push(describe(e, errors.filter((x) => under(x, e))));
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject, branchErrors: ErrorObject[]): { path: string; message: string } {
  const at = e.instancePath || '/';
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(e.params.additionalProperty);
      return { path: `${e.instancePath}/${escapePointer(prop)}`, message: `must NOT have additional properties '${prop}'` };
    }
    case 'enum':
      return { path: at, message: `must be equal to one of the allowed values: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'anyOf':
    case 'oneOf': {
      if (e.keyword === 'oneOf' && Array.isArray(e.params.passingSchemas)) {
        return { path: at, message: `must match exactly one schema in oneOf, but matches branches ${e.params.passingSchemas.join(' and ')}` };
      }
      const types = branchErrors.filter((b) => b.keyword === 'type').map((b) => String(b.params.type));
      if (types.length > 0 && types.length === branchErrors.length) return { path: at, message: `must be ${types.join(' or ')}` };
      const reasons = [...new Set(branchErrors.map((b) => `${b.instancePath === e.instancePath ? '' : `${b.instancePath}: `}${describe(b, []).message}`))];
      return { path: at, message: `must match ${e.keyword === 'oneOf' ? 'exactly one' : 'at least one'} of its alternatives (${reasons.join(' | ')})` };
    }
    default:
      return { path: at, message: e.message ?? e.keyword };
  }
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
