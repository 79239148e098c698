/**
 * Validates synthesized Strimzi objects against the v1 openAPIV3Schema of the pinned CRDs
 * (Strimzi 0.51.0 and 1.2.0), closed with additionalProperties:false like the API server's strict
 * field validation.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as YAML from 'yaml';

export const STRIMZI_VERSIONS = ['0.51.0', '1.2.0'] as const;
const CRD_FILES: Record<string, string> = {
  Kafka: '040-Crd-kafka.yaml',
  KafkaTopic: '043-Crd-kafkatopic.yaml',
  KafkaUser: '044-Crd-kafkauser.yaml',
  KafkaNodePool: '045-Crd-kafkanodepool.yaml',
};
const CRD_DIR = path.resolve(__dirname, '../../../../shared/crds');

function close(schema: any): any {
  if (Array.isArray(schema)) return schema.map(close);
  if (!schema || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, close(s)])) : close(v);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  return out;
}

const cache = new Map<string, ValidateFunction>();

function validator(version: string, kind: string, apiVersion: string): ValidateFunction {
  const key = `${version}/${kind}/${apiVersion}`;
  let fn = cache.get(key);
  if (!fn) {
    const crd = YAML.parse(fs.readFileSync(path.join(CRD_DIR, `strimzi-${version}`, CRD_FILES[kind]), 'utf8'));
    const served = crd.spec.versions.find((v: any) => `${crd.spec.group}/${v.name}` === apiVersion && v.served);
    if (!served) throw new Error(`Strimzi ${version} does not serve ${apiVersion} ${kind}`);
    fn = new Ajv({ strict: false, allErrors: true }).compile(close(served.schema.openAPIV3Schema));
    cache.set(key, fn);
  }
  return fn;
}

/** Problems of `manifest` against every pinned Strimzi version ([] when valid everywhere). */
export function strimziProblems(manifests: any[]): string[] {
  const problems: string[] = [];
  for (const m of manifests) {
    if (!CRD_FILES[m.kind] || !String(m.apiVersion).startsWith('kafka.strimzi.io/')) continue;
    for (const version of STRIMZI_VERSIONS) {
      const fn = validator(version, m.kind, m.apiVersion);
      if (!fn(m)) {
        for (const e of fn.errors ?? []) problems.push(`${version} ${m.kind}/${m.metadata?.name} ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
      }
    }
  }
  return problems;
}
