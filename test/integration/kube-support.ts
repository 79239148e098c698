/**
 * Support for the tests on the real kube-apiserver (test/harness/kube-apiserver.ts): the upstream
 * CRDs installed as a cluster admin would, and the objects of a manifest file read back.
 */
import * as fs from 'fs';
import * as path from 'path';
import { KubeApiserver } from '../harness/kube-apiserver';

/** The upstream CRD copies (../shared/crds, or KLAXON_CRDS), or undefined when this clone has none. */
export function crdsDir(): string | undefined {
  const dir = process.env.KLAXON_CRDS ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'crds');
  return fs.existsSync(path.join(dir, 'SHA256SUMS')) ? dir : undefined;
}

/** The Strimzi CRD sets Klaxon's manifests must apply against. */
export const STRIMZI_VERSIONS = ['0.51.0', '1.2.0'] as const;

/** The CRD folders a Klaxon cluster needs: one Strimzi set, KEDA (all six), Notification Manager, fluent-operator. */
export function crdFolders(strimzi: string): string[] {
  const dir = crdsDir();
  if (!dir) throw new Error('no CRDs: clone beside shared/ or set KLAXON_CRDS');
  return [`strimzi-${strimzi}`, 'keda-2.20.2', 'notification-manager-2.6.0', 'fluent-operator-3.10.0'].map((f) => path.join(dir, f));
}

/**
 * Installs the CRDs of `folders` (server-side: Strimzi's Kafka CRD is larger than the annotation
 * client-side apply would write) and waits until every one is Established.
 */
export function installCrds(api: KubeApiserver, folders: readonly string[]): string[] {
  const names: string[] = [];
  for (const folder of folders) {
    for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.yaml')).sort()) {
      const out = api.kubectlOrThrow(['apply', '--server-side', '--field-manager=klaxon-test-crds', '-o', 'name', '-f', path.join(folder, file)]);
      names.push(...out.split('\n').filter((l) => l.trim()));
    }
  }
  api.kubectlOrThrow(['wait', '--for=condition=Established', '--timeout=60s', ...names]);
  return names;
}

/** `kind/namespace/name` → resourceVersion of every object a manifest file holds (read from the API). */
export function resourceVersions(api: KubeApiserver, file: string): Map<string, string> {
  const list = JSON.parse(api.kubectlOrThrow(['get', '-f', file, '-o', 'json'])) as {
    items?: Array<{ kind: string; metadata: { name: string; namespace?: string; resourceVersion: string } }>;
    kind: string;
    metadata: { name: string; namespace?: string; resourceVersion: string };
  };
  const items = list.items ?? [list];
  return new Map(items.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion]));
}

/** The `Warning:` lines kubectl printed (deprecations, unknown fields, Pod Security, …). */
export function warningsIn(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s*Warning:/i.test(l));
}
