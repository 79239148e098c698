/**
 * The compact JSON schemas under `schemas/` that the validator reads, made from the upstream CRDs and
 * the Kubernetes schema by `npm run import`: the same schemas with every `description` of a schema
 * node removed (validation never reads one) and, for CRDs, only the served versions.
 *
 * A compact CRD keeps the shape of a CustomResourceDefinition (`spec.group`, `spec.names.kind`,
 * `spec.versions[].schema.openAPIV3Schema`), so one reader handles both the upstream YAML and this.
 */

/** Keys whose values are data, not schemas (kept as they are). */
const DATA_KEYS = new Set(['default', 'enum', 'example', 'examples', 'const', 'required', 'x-kubernetes-list-map-keys']);
/** Keys whose values map names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);

/** A copy of a JSON schema node without `description` on any schema node; data (defaults, enums) unchanged. */
export function stripDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripDescriptions);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' && typeof value === 'string') continue;
    if (DATA_KEYS.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && isRecord(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripDescriptions(sub)]));
    } else out[key] = stripDescriptions(value);
  }
  return out;
}

/** The compact form of one CustomResourceDefinition document: group, kind, served versions' schemas. */
export function compactCrd(crd: unknown, file: string): Record<string, unknown> {
  const c = crd as { kind?: unknown; spec?: { group?: unknown; names?: { kind?: unknown; plural?: unknown }; scope?: unknown; versions?: unknown } };
  if (c?.kind !== 'CustomResourceDefinition' || typeof c.spec?.group !== 'string' || typeof c.spec?.names?.kind !== 'string' || !Array.isArray(c.spec.versions)) {
    throw new Error(`${file}: not a CustomResourceDefinition with spec.group, spec.names.kind and spec.versions`);
  }
  const versions = (c.spec.versions as { name: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: unknown } }[])
    .filter((v) => v.served !== false)
    .map((v) => {
      if (!v.schema?.openAPIV3Schema) throw new Error(`${file}: version ${v.name} has no openAPIV3Schema`);
      return { name: v.name, served: true, storage: v.storage === true, schema: { openAPIV3Schema: stripDescriptions(v.schema.openAPIV3Schema) } };
    });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    spec: { group: c.spec.group, names: { kind: c.spec.names.kind, plural: c.spec.names.plural }, scope: c.spec.scope, versions },
  };
}

/** The compact form of the Kubernetes `_definitions.json` (every definition, descriptions removed). */
export function compactDefinitions(definitions: unknown): unknown {
  return stripDescriptions(definitions);
}

function isRecord(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
