/**
 * Support for the event exporter's tests on the real kube-apiserver and broker: the exporter pod
 * of dist/dev run from its own code ConfigMap, Events created through the API, cluster-events read
 * back, the Lease's checkpoint.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { EXPORTER_HEADERS } from '../../functions/contracts/event-formats';
import { EXPORTER_CHECKPOINT_ANNOTATION, ExporterEnv, RuntimeTuningEnv, WorkloadEnv } from '../../functions/contracts/workload-env';
import { KubeApiserver } from '../harness/kube-apiserver';
import { EnvVar, KubeObject, PodProcess, PodRunner, readDist } from './e2e-support';

const dist = readDist('dev');
const sources = dist.get('0001-sources.k8s.yaml') ?? [];
/** The exporter's Deployment and Lease as dist/dev carries them. */
export const exporterDeployment = sources.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'event-exporter') as KubeObject;
export const exporterLease = sources.find((o) => o.kind === 'Lease') as KubeObject;
export const fanoutDeployment = (dist.get('0003-workloads.k8s.yaml') ?? []).find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'events-fanout') as KubeObject;
export const codeConfigMaps = [...dist.values()].flat().filter((o) => o.kind === 'ConfigMap');

/**
 * The settings a test changes from the Deployment's env, and why: the local broker and API server,
 * a per-test topic and Lease, any free port, and a short Lease (4 s, renew deadline 3 s, retry 1 s)
 * so failover fits a test.
 */
export interface ExporterRun {
  readonly api: KubeApiserver;
  readonly brokers: string;
  readonly topic: string;
  readonly lease: string;
  readonly identity: string;
}

export function exporterEnv(declared: readonly EnvVar[], run: ExporterRun & { readonly kubeconfig?: string; readonly extra?: Record<string, string> }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of declared) if (e.value !== undefined) env[e.name] = e.value;
  return {
    ...env,
    [WorkloadEnv.BROKERS]: run.brokers,
    [WorkloadEnv.HTTP_PORT]: '0',
    [ExporterEnv.TOPIC]: run.topic,
    [ExporterEnv.LEASE_NAME]: run.lease,
    [ExporterEnv.IDENTITY]: run.identity,
    [ExporterEnv.KUBECONFIG]: run.kubeconfig ?? run.api.kubeconfig,
    [ExporterEnv.LEASE_DURATION_SECONDS]: '4',
    [ExporterEnv.RENEW_DEADLINE_SECONDS]: '3',
    [ExporterEnv.RETRY_PERIOD_SECONDS]: '1',
    [RuntimeTuningEnv.RETRY_MAX_MS]: '2000',
    ...run.extra,
  };
}

/** Starts one exporter replica (the pod of dist/dev's Deployment). */
export function startExporter(pods: PodRunner, run: ExporterRun & { readonly kubeconfig?: string; readonly extra?: Record<string, string> }): Promise<PodProcess> {
  return pods.startPod(exporterDeployment, (declared) => exporterEnv(declared, run));
}

/** Creates the Lease as dist/dev renders it (no holder), under `name`, in the Deployment's namespace. */
export async function createLease(api: KubeApiserver, name: string): Promise<void> {
  const namespace = exporterLease.metadata.namespace ?? 'klaxon';
  const res = await api.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, {
    ...exporterLease,
    metadata: { ...exporterLease.metadata, name, namespace },
  });
  if (res.status !== 201) throw new Error(`Lease ${name}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The Lease's holder and checkpoint. */
export async function readLease(api: KubeApiserver, name: string): Promise<{ holder?: string; checkpoint: Record<string, string> }> {
  const namespace = exporterLease.metadata.namespace ?? 'klaxon';
  const res = await api.request<any>('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`);
  const text = res.body?.metadata?.annotations?.[EXPORTER_CHECKPOINT_ANNOTATION];
  return { holder: res.body?.spec?.holderIdentity || undefined, checkpoint: text ? JSON.parse(text) : {} };
}

export async function createNamespace(api: KubeApiserver, name: string): Promise<void> {
  const res = await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`namespace ${name}: ${res.status}`);
}

/** What an events.k8s.io/v1 Event is about. */
export interface Regarding {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly uid: string;
}

let serial = 0;

/** Creates an events.k8s.io/v1 Event through the API; returns its name and resourceVersion. */
export async function createEvent(api: KubeApiserver, namespace: string, regarding: Regarding, reason: string, note: string, type = 'Normal'): Promise<{ name: string; rv: string }> {
  const name = `${regarding.name}.${process.pid}.${++serial}`;
  const res = await api.request<any>('POST', `/apis/events.k8s.io/v1/namespaces/${namespace}/events`, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace },
    eventTime: new Date().toISOString().replace('Z', '000Z'),
    reportingController: 'klaxon.io/test',
    reportingInstance: 'test-1',
    action: 'Testing',
    reason,
    note,
    type,
    regarding: { apiVersion: regarding.kind === 'Node' ? 'v1' : 'v1', ...regarding },
  });
  if (res.status !== 201) throw new Error(`Event ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return { name, rv: res.body.metadata.resourceVersion };
}

/** Raises a repeating Event's series count (as the event recorder does); returns the new resourceVersion. */
export async function bumpSeries(api: KubeApiserver, namespace: string, name: string, count: number): Promise<string> {
  const res = await api.request<any>('PATCH', `/apis/events.k8s.io/v1/namespaces/${namespace}/events/${name}`, {
    series: { count, lastObservedTime: new Date().toISOString().replace('Z', '000Z') },
  });
  if (res.status !== 200) throw new Error(`bump ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.metadata.resourceVersion;
}

/** One record read back. */
export interface Shipped {
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
  readonly verb: string;
  readonly rv: string;
  readonly cluster: string;
  readonly event: any;
}

export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'exporter-test', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 8000 } });
}

/** Every record of `topic` now (all partitions, from the start). */
export async function readTopic(kafka: Kafka, topic: string): Promise<Shipped[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const out: Shipped[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${process.pid}-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const header = (h: any, name: string): string => (h?.[name] === undefined ? '' : String(h[name]));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${total} records of ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({
          key: message.key?.toString() ?? '',
          partition,
          offset: Number(message.offset),
          verb: header(message.headers, EXPORTER_HEADERS.VERB),
          rv: header(message.headers, EXPORTER_HEADERS.RESOURCE_VERSION),
          cluster: header(message.headers, EXPORTER_HEADERS.CLUSTER),
          event: JSON.parse(message.value?.toString() ?? 'null'),
        });
        if (out.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return out;
}

/** The Prometheus value of `name` (summed over labels matching `labels`) from a pod's /metrics. */
export async function metric(pod: PodProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { body } = await pod.get('/metrics');
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/**
 * Applies the exporter's ServiceAccount, RBAC and Lease exactly as dist/dev renders them, and
 * writes a kubeconfig holding a token of that ServiceAccount (TokenRequest API): the exporter then
 * runs with the synthesized permissions and nothing else.
 */
export function applyExporterRbac(api: KubeApiserver, dir: string): string {
  const kinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Lease'];
  const objects = sources.filter((o) => kinds.includes(o.kind) && o.metadata.labels?.['app.kubernetes.io/name'] === 'event-exporter');
  api.kubectlOrThrow(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  const sa = objects.find((o) => o.kind === 'ServiceAccount')!;
  const token = api.kubectlOrThrow(['create', 'token', sa.metadata.name, '-n', sa.metadata.namespace ?? 'klaxon', '--duration=1h']).trim();
  const kubeconfig = JSON.parse(fs.readFileSync(api.kubeconfig, 'utf8'));
  kubeconfig.users = [{ name: 'admin', user: { token } }];
  const file = path.join(dir, 'exporter.kubeconfig');
  fs.writeFileSync(file, JSON.stringify(kubeconfig));
  return file;
}
