import * as fs from 'fs';
import * as path from 'path';
import { compactCrd, stripDescriptions } from './compact-schemas';
import { DEFAULT_CRDS_DIR, SchemaValidator } from './validator';

describe('compact schemas', () => {
  test('drop every description of a schema node and keep data and a property named description', () => {
    // GIVEN a schema with descriptions, a property called "description" and data that holds one
    const schema = {
      description: 'A thing.',
      type: 'object',
      properties: {
        description: { type: 'string', description: 'The text.' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a', description: 'Mode.' },
        meta: { type: 'object', default: { description: 'kept: data' } },
      },
      items: { description: 'x', type: 'string' },
    };
    // WHEN
    const out = stripDescriptions(schema);
    // THEN
    expect(out).toEqual({
      type: 'object',
      properties: {
        description: { type: 'string' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        meta: { type: 'object', default: { description: 'kept: data' } },
      },
      items: { type: 'string' },
    });
  });

  test('a compact CRD keeps group, kind and only the served versions', () => {
    // GIVEN
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      spec: {
        group: 'example.io',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [
          { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', description: 'W.' } } },
          { name: 'v0', served: false, storage: false, schema: { openAPIV3Schema: { type: 'object' } } },
        ],
      },
    };
    // WHEN / THEN
    expect(compactCrd(crd, 'w.yaml')).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      spec: {
        group: 'example.io',
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    });
  });

  test('fails on a document that is not a CRD, naming the file', () => {
    expect(() => compactCrd({ kind: 'ConfigMap' }, 'cm.yaml')).toThrow('cm.yaml: not a CustomResourceDefinition with spec.group, spec.names.kind and spec.versions');
  });

  test('the validator reads the committed schemas/ by default, with the checksum of every upstream file', () => {
    const validator = SchemaValidator.shared();
    expect(validator.crdsDir).toBe(path.resolve(__dirname, '..', '..', 'schemas'));
    expect(validator.sources).toEqual(['dapr-1.18.3', 'fluent-operator-3.10.0', 'k8s-1.27.0', 'keda-2.20.2', 'notification-manager-2.6.0', 'strimzi-0.51.0', 'strimzi-1.2.0']);
    const sums = fs.readFileSync(path.join(DEFAULT_CRDS_DIR, 'UPSTREAM.sha256'), 'utf-8').trim().split('\n');
    const files = validator.sources.flatMap((s) => fs.readdirSync(path.join(DEFAULT_CRDS_DIR, s)).map((f) => `${s}/${f.replace(/\.json$/, f === '_definitions.json' ? '.json' : '.yaml')}`));
    expect(sums.map((l) => l.split(/\s+/)[1]).sort()).toEqual(files.sort());
    for (const line of sums) expect(line).toMatch(/^[0-9a-f]{64} {2}\S+$/);
  });
});
