/** The committed manifests of one environment (dist/<env>/), read back for the security tests. */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import type { Pod } from './netpol';

const DIST = path.join(__dirname, '..', '..', 'dist');

/** Every object of dist/<env>/, in file order. */
export function distObjects(env: string): any[] {
  const dir = path.join(DIST, env);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON()).filter(Boolean));
}

/** A pod-owning object (Deployment, DaemonSet, StatefulSet, Job) with the namespace and labels of its pods. */
export interface Workload {
  readonly object: any;
  readonly name: string;
  readonly pod: Pod;
  readonly spec: any;
}

/** The workloads of a set of objects. */
export function workloadsOf(objects: any[]): Workload[] {
  return objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(o.kind)).map((o) => ({
    object: o,
    name: `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
    pod: { namespace: o.metadata.namespace, labels: o.spec.template.metadata?.labels ?? {} },
    spec: o.spec.template.spec,
  }));
}
