/**
 * The demo's Kubernetes side: a real etcd + kube-apiserver (test/harness/kube-apiserver.ts, the
 * binaries `.ci/k8s/build.sh` built), dist/dev's event exporter running against it with exactly its
 * ServiceAccount, RBAC and Lease, and the crash-looping pod's Events created through the API as the
 * kubelet's event recorder would: one `Started`, one `BackOff` whose series count rises to 3.
 *
 * When the control plane is not built (`bash .ci/k8s/build.sh` not run yet), `startDemoCluster`
 * says so and returns undefined; the demo then replays the Events with kcat in eventrouter's format.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExporterEnv } from '../functions/contracts/workload-env';
import { KubeApiserver, builtTool, startKubeApiserver } from '../test/harness/kube-apiserver';
import { REPO_ROOT } from '../test/harness/processes';
import { EnvVar, KubeObject } from '../test/integration/e2e-support';
import { CRASHING_POD, StoryRecord } from './story';
import type { DemoSource } from './run';

/** The running control plane and what the exporter pod needs from it. */
export interface DemoCluster {
  readonly api: KubeApiserver;
  /** A kubeconfig holding a token of the exporter's ServiceAccount. */
  readonly exporterKubeconfig: string;
  /** The Events source of the story. */
  readonly source: DemoSource;
  /** The exporter's env: the Deployment's, with the kubeconfig and the downward API's pod name. */
  exporterEnv(deployment: string, declared: readonly EnvVar[], base: (e: EnvVar) => string): Record<string, string>;
  stop(): Promise<void>;
}

/** Whether `d` is the event exporter's Deployment. */
export const isExporter = (d: KubeObject): boolean => d.metadata.labels?.['app.kubernetes.io/name'] === 'event-exporter';

/** Why the control plane cannot run here, or undefined when it can. */
export function controlPlaneMissing(): string | undefined {
  try {
    builtTool('kubernetes');
    builtTool('etcd');
    return undefined;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** Starts etcd + kube-apiserver and applies the exporter's namespace, ServiceAccount, RBAC and Lease from dist/dev. */
export async function startDemoCluster(objects: readonly KubeObject[]): Promise<DemoCluster> {
  const api = await startKubeApiserver();
  // A directory of its own for the exporter's kubeconfig (the pod runner passes it as given).
  fs.mkdirSync(path.join(REPO_ROOT, '.build'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.build', 'demo-cluster-'));
  const stop = async (): Promise<void> => {
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const exporterObjects = objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/name'] === 'event-exporter' && ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Lease'].includes(o.kind));
    const sa = exporterObjects.find((o) => o.kind === 'ServiceAccount');
    if (!sa) throw new Error("dist/dev has no ServiceAccount labelled app.kubernetes.io/name=event-exporter");
    const namespaces = [...new Set([sa.metadata.namespace ?? 'klaxon', CRASHING_POD.namespace])];
    api.kubectlOrThrow(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })) }) });
    api.kubectlOrThrow(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: exporterObjects }) });
    const token = api.kubectlOrThrow(['create', 'token', sa.metadata.name, '-n', sa.metadata.namespace ?? 'klaxon', '--duration=2h']).trim();
    const kubeconfig = JSON.parse(fs.readFileSync(api.kubeconfig, 'utf8'));
    kubeconfig.users = [{ name: 'admin', user: { token } }];
    const exporterKubeconfig = path.join(dir, 'event-exporter.kubeconfig');
    fs.writeFileSync(exporterKubeconfig, JSON.stringify(kubeconfig));
    return {
      api,
      exporterKubeconfig,
      source: kubeletEvents(api),
      exporterEnv(deployment, declared, base) {
        const env: Record<string, string> = {};
        for (const e of declared) {
          if (e.value !== undefined) env[e.name] = base(e);
          else if ((e.valueFrom as { fieldRef?: { fieldPath?: string } } | undefined)?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = `${deployment}-demo`;
          else throw new Error(`${deployment}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}, which the demo cannot provide`);
        }
        return { ...env, [ExporterEnv.KUBECONFIG]: exporterKubeconfig };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The crash-looping pod's Events, created through the API as the kubelet's event recorder does. */
function kubeletEvents(api: KubeApiserver): DemoSource {
  return {
    name: `Events of the crash-looping pod created in kube-apiserver, shipped by dist/dev's event exporter`,
    async play(ctx) {
      const base = `/apis/events.k8s.io/v1/namespaces/${CRASHING_POD.namespace}/events`;
      const microTime = () => new Date().toISOString().replace('Z', '000Z');
      const regarding = { apiVersion: 'v1', kind: 'Pod', namespace: CRASHING_POD.namespace, name: CRASHING_POD.name, uid: CRASHING_POD.uid, fieldPath: `spec.containers{${CRASHING_POD.container}}` };
      const create = async (suffix: string, reason: string, type: string, note: string): Promise<string> => {
        const name = `${CRASHING_POD.name}.${suffix}`;
        const res = await api.request('POST', base, {
          apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name, namespace: CRASHING_POD.namespace },
          eventTime: microTime(), reportingController: 'kubelet', reportingInstance: 'node-1', action: reason, reason, note, type, regarding,
        });
        if (res.status !== 201) throw new Error(`Event ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        ctx.progress(`  → kube-apiserver: ${type} ${reason} of Pod ${CRASHING_POD.namespace}/${CRASHING_POD.name}`);
        return name;
      };
      await create('17f1a3c5d2e1b0a9', 'Started', 'Normal', `Started container ${CRASHING_POD.container}`);
      const backOff = await create('17f2a3c5d2e1b0a9', 'BackOff', 'Warning', `Back-off restarting failed container ${CRASHING_POD.container} in pod ${CRASHING_POD.name}_${CRASHING_POD.namespace}(${CRASHING_POD.uid})`);
      for (const count of [2, 3]) {
        const res = await api.request('PATCH', `${base}/${backOff}`, { series: { count, lastObservedTime: microTime() } });
        if (res.status !== 200) throw new Error(`Event ${backOff} series ${count}: ${res.status} ${JSON.stringify(res.body)}`);
        ctx.progress(`  → kube-apiserver: Warning BackOff of Pod ${CRASHING_POD.namespace}/${CRASHING_POD.name} repeats (series count ${count})`);
      }
      return [] as StoryRecord[];
    },
  };
}
