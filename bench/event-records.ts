/**
 * Realistic eventrouter records for the fanout benchmark: `{"verb":"ADDED"|"UPDATED","event":{...}}`
 * with a full core/v1 Event as the API server serves it (managedFields included), 1-2.5 KB each,
 * spread over `namespaces` (plus a few Node events, which are cluster-scoped). Field order follows
 * k8s.io/api's Go structs, as eventrouter's encoding/json writes them.
 *
 * Each record carries its sequence number in the Event uid (`be000000-0000-4000-8000-<12 digits>`),
 * so an output record can be matched to its source record (`seqOf`).
 */

const UID_PREFIX = 'be000000-0000-4000-8000-';
const UID_PATTERN = /be000000-0000-4000-8000-(\d{12})/;

/** The Event uid of record `seq`. */
export function benchEventUid(seq: number): string {
  return `${UID_PREFIX}${String(seq).padStart(12, '0')}`;
}

/** The sequence number in a record value, or undefined. */
export function seqOf(value: Buffer | string | null): number | undefined {
  if (value === null) return undefined;
  const m = UID_PATTERN.exec(typeof value === 'string' ? value : value.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** What the benchmark needs to know about a generated record. */
export interface GeneratedRecord {
  readonly seq: number;
  readonly key: string;
  readonly value: Buffer;
  /** Namespace of the involved object; undefined for Node events. */
  readonly namespace?: string;
}

interface Template {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly component: string;
  readonly message: (pod: string, ns: string, node: string, container: string, i: number) => string;
  readonly fieldPath: boolean;
}

const POD_TEMPLATES: readonly Template[] = [
  { type: 'Normal', reason: 'Scheduled', component: 'default-scheduler', fieldPath: false, message: (p, ns, n) => `Successfully assigned ${ns}/${p} to ${n}` },
  { type: 'Normal', reason: 'Pulling', component: 'kubelet', fieldPath: true, message: (_p, ns, _n, c, i) => `Pulling image "registry.example.com/${ns}/${c}:1.${i % 50}.${i % 7}"` },
  {
    type: 'Normal',
    reason: 'Pulled',
    component: 'kubelet',
    fieldPath: true,
    message: (_p, ns, _n, c, i) =>
      `Successfully pulled image "registry.example.com/${ns}/${c}:1.${i % 50}.${i % 7}" in 1.${i % 1000}s (1.${i % 1000}s including waiting). Image size: ${52_000_000 + i} bytes.`,
  },
  { type: 'Normal', reason: 'Created', component: 'kubelet', fieldPath: true, message: (_p, _ns, _n, c) => `Created container ${c}` },
  { type: 'Normal', reason: 'Started', component: 'kubelet', fieldPath: true, message: (_p, _ns, _n, c) => `Started container ${c}` },
  { type: 'Warning', reason: 'BackOff', component: 'kubelet', fieldPath: true, message: (p, ns, _n, c) => `Back-off restarting failed container ${c} in pod ${p}_${ns}(${podUid(ns, p)})` },
  {
    type: 'Warning',
    reason: 'Unhealthy',
    component: 'kubelet',
    fieldPath: true,
    message: (_p, _ns, _n, _c, i) => `Readiness probe failed: Get "http://10.244.${i % 250}.${(i * 7) % 250}:8080/readyz": dial tcp 10.244.${i % 250}.${(i * 7) % 250}:8080: connect: connection refused`,
  },
  { type: 'Normal', reason: 'Killing', component: 'kubelet', fieldPath: true, message: (_p, _ns, _n, c) => `Stopping container ${c}` },
];

const CONTAINERS = ['web', 'api', 'worker', 'sidecar', 'db'];

function podUid(ns: string, pod: string): string {
  let h = 2166136261;
  for (const ch of `${ns}/${pod}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(4, 7)}-${hex}${hex.slice(0, 4)}`;
}

function managedFields(manager: string, time: string): unknown[] {
  return [
    {
      manager,
      operation: 'Update',
      apiVersion: 'v1',
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:count': {},
        'f:firstTimestamp': {},
        'f:involvedObject': {},
        'f:lastTimestamp': {},
        'f:message': {},
        'f:reason': {},
        'f:reportingComponent': {},
        'f:reportingInstance': {},
        'f:source': { 'f:component': {}, 'f:host': {} },
        'f:type': {},
      },
    },
  ];
}

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** One core/v1 Event object. */
function event(seq: number, i: number, namespace: string | undefined, count: number, resourceVersion: number, baseMs: number): Record<string, unknown> {
  const first = iso(baseMs - 60_000 * count);
  const last = iso(baseMs);
  const node = `node-${(i % 12) + 1}`;
  if (namespace === undefined) {
    const name = `${node}.${(0x17a000000000 + seq).toString(16)}`;
    return {
      metadata: { name, namespace: 'default', uid: benchEventUid(seq), resourceVersion: String(resourceVersion), creationTimestamp: first, managedFields: managedFields('node-controller', last) },
      involvedObject: { kind: 'Node', name: node, uid: node, apiVersion: 'v1' },
      reason: 'NodeNotReady',
      message: `Node ${node} status is now: NodeNotReady`,
      source: { component: 'node-controller' },
      firstTimestamp: first,
      lastTimestamp: last,
      count,
      type: 'Normal',
      eventTime: null,
      reportingComponent: 'node-controller',
      reportingInstance: '',
    };
  }
  const t = POD_TEMPLATES[i % POD_TEMPLATES.length];
  const container = CONTAINERS[i % CONTAINERS.length];
  const pod = `${container}-${((i * 2654435761) >>> 0).toString(36).slice(0, 6)}-${(i % 97).toString(36)}x${(i % 31).toString(36)}z`;
  const name = `${pod}.${(0x17a000000000 + seq).toString(16)}`;
  return {
    metadata: { name, namespace, uid: benchEventUid(seq), resourceVersion: String(resourceVersion), creationTimestamp: first, managedFields: managedFields(t.component === 'kubelet' ? 'kubelet' : 'kube-scheduler', last) },
    involvedObject: {
      kind: 'Pod',
      namespace,
      name: pod,
      uid: podUid(namespace, pod),
      apiVersion: 'v1',
      resourceVersion: String(100_000 + (i % 50_000)),
      ...(t.fieldPath ? { fieldPath: `spec.containers{${container}}` } : {}),
    },
    reason: t.reason,
    message: t.message(pod, namespace, node, container, i),
    source: t.component === 'kubelet' ? { component: 'kubelet', host: node } : { component: t.component },
    firstTimestamp: first,
    lastTimestamp: last,
    count,
    type: t.type,
    eventTime: null,
    reportingComponent: t.component,
    reportingInstance: t.component === 'kubelet' ? node : '',
  };
}

/**
 * Record `seq` (from 1): 5 % Node events (cluster-scoped), else a Pod event in a namespace of
 * `namespaces` (hashed from seq); one Pod event in five is an UPDATED count bump (carrying
 * `old_event`, so about 2.3 KB), the rest ADDED (about 1.2 KB).
 */
export function eventRecord(seq: number, namespaces: readonly string[], baseMs: number): GeneratedRecord {
  const i = seq * 7919;
  if (seq % 20 === 0) {
    const ev = event(seq, i, undefined, 1, 5_000_000 + seq, baseMs);
    return { seq, key: String((ev.metadata as { name: string }).name), value: Buffer.from(JSON.stringify({ verb: 'ADDED', event: ev })) };
  }
  const h = Math.imul(seq, 2654435761) >>> 0; // spreads namespaces and verbs independently of seq
  const namespace = namespaces[h % namespaces.length];
  if ((h >>> 11) % 5 === 0) {
    const count = 2 + (seq % 9);
    const ev = event(seq, i, namespace, count, 5_000_000 + seq, baseMs);
    const old = event(seq, i, namespace, count - 1, 4_000_000 + seq, baseMs - 60_000);
    return { seq, key: String((ev.metadata as { name: string }).name), value: Buffer.from(JSON.stringify({ verb: 'UPDATED', event: ev, old_event: old })), namespace };
  }
  const ev = event(seq, i, namespace, 1, 5_000_000 + seq, baseMs);
  return { seq, key: String((ev.metadata as { name: string }).name), value: Buffer.from(JSON.stringify({ verb: 'ADDED', event: ev })), namespace };
}

/** `count` namespace names: a realistic mix of system and tenant namespaces. */
export function benchNamespaces(count: number): string[] {
  const base = ['default', 'kube-system', 'monitoring', 'ingress-nginx', 'cert-manager', 'shop', 'billing', 'search', 'checkout', 'payments', 'ads', 'ml-serving', 'data-pipeline', 'auth', 'notifications', 'cms', 'reporting', 'staging', 'qa', 'ops'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(i < base.length ? base[i] : `tenant-${i}`);
  return out;
}
