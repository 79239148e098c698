/**
 * The exporter's Kubernetes calls. Authentication, TLS and the kubeconfig / in-cluster service
 * account come from the official @kubernetes/client-node (`KubeConfig`), the watch is its `Watch`;
 * the four plain JSON calls (list Events, get/create/replace the Lease) go through the same
 * client's fetch options (`applyToFetchOptions`) and node-fetch, the transport its Watch uses.
 *
 * Why not its generated `EventsV1Api`/`CoordinationV1Api`: they pull in the client's object
 * serializer and with it every generated model (330 KB), which would not fit the bundle into its
 * ConfigMap (functions/build.ts); and they turn times into `Date`s, losing the microseconds of
 * `eventTime` that the raw JSON keeps, so a relisted Event is shipped byte for byte as the API has it.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import fetch from 'node-fetch';
import { EXPORTER_CHECKPOINT_ANNOTATION } from '../contracts/workload-env';
import { LeaseRecord, LeaseStore } from './leader';
import { ApiEvent } from './record';
import { EventPage, EventsApi, WatchCallback } from './scope';

/** A KubeConfig from a kubeconfig file, or the pod's service account when `file` is empty. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromCluster();
  return kc;
}

/** An API answer that is not 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Json = Record<string, unknown>;

/** One authenticated JSON request to the API server. */
async function request(kc: KubeConfig, method: string, path: string, body?: unknown): Promise<Json> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const init = await kc.applyToFetchOptions({ method, headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) } });
  const res = await fetch(`${cluster.server}${path}`, { ...init, method, body: body === undefined ? undefined : JSON.stringify(body), timeout: 30_000 } as Parameters<typeof fetch>[1]);
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    let message = text.slice(0, 500);
    try {
      message = String((JSON.parse(text) as Json).message ?? message);
    } catch {
      // not a Status object
    }
    throw new ApiError(res.status, `${method} ${path}: ${res.status} ${message}`);
  }
  return JSON.parse(text) as Json;
}

const LIST_PAGE = 500;

function eventsPath(namespace: string | undefined): string {
  return namespace ? `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/apis/events.k8s.io/v1/events';
}

/** events.k8s.io/v1 Events: paginated list, watch with bookmarks. */
export function eventsApi(kc: KubeConfig): EventsApi {
  const watcher = new Watch(kc);
  return {
    async list(namespace, continueToken): Promise<EventPage> {
      const query = new URLSearchParams({ limit: String(LIST_PAGE), ...(continueToken ? { continue: continueToken } : {}) });
      const page = await request(kc, 'GET', `${eventsPath(namespace)}?${query}`);
      const meta = (page.metadata ?? {}) as { resourceVersion?: string; continue?: string };
      return { items: (page.items ?? []) as ApiEvent[], resourceVersion: meta.resourceVersion ?? '', continueToken: meta.continue || undefined };
    },
    async watch(namespace, resourceVersion, timeoutSeconds, onEvent: WatchCallback) {
      let settle: (e: Error | undefined) => void = () => undefined;
      const done = new Promise<Error | undefined>((resolve) => (settle = resolve));
      let failed: (Error & { statusCode?: number }) | undefined;
      const controller = await watcher.watch(
        eventsPath(namespace),
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        (type: string, object: Json) => onEvent(type, object),
        (err: unknown) => {
          failed = err ? (err instanceof Error ? err : new Error(String(err))) : undefined;
          settle(failed);
        },
      );
      // A request answered 410 outright means the same as the in-stream ERROR 410.
      if (failed?.statusCode === 410) onEvent('ERROR', { code: 410, message: 'Gone' });
      return { abort: () => controller.abort(), done };
    },
  };
}

/** The one Lease of leader election and checkpoint (get, create, replace; nothing else). */
export function leaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const one = `${collection}/${encodeURIComponent(name)}`;
  let last: Json | undefined;
  const toRecord = (lease: Json): LeaseRecord => {
    const spec = (lease.spec ?? {}) as Json;
    const meta = (lease.metadata ?? {}) as { resourceVersion?: string; annotations?: Record<string, string> };
    return {
      holderIdentity: spec.holderIdentity as string | undefined,
      leaseDurationSeconds: spec.leaseDurationSeconds as number | undefined,
      acquireTime: spec.acquireTime as string | undefined,
      renewTime: spec.renewTime as string | undefined,
      leaseTransitions: spec.leaseTransitions as number | undefined,
      checkpoint: meta.annotations?.[EXPORTER_CHECKPOINT_ANNOTATION],
      resourceVersion: meta.resourceVersion,
    };
  };
  const toLease = (r: LeaseRecord, base: Json | undefined): Json => {
    const meta = (base?.metadata ?? {}) as Json & { annotations?: Record<string, string> };
    const annotations = { ...meta.annotations, ...(r.checkpoint !== undefined ? { [EXPORTER_CHECKPOINT_ANNOTATION]: r.checkpoint } : {}) };
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...meta, name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}), annotations },
      spec: {
        ...((base?.spec ?? {}) as Json),
        holderIdentity: r.holderIdentity,
        leaseDurationSeconds: r.leaseDurationSeconds,
        acquireTime: r.acquireTime,
        renewTime: r.renewTime,
        leaseTransitions: r.leaseTransitions,
      },
    };
  };
  const write = async (method: 'POST' | 'PUT', path: string, body: Json): Promise<LeaseRecord | 'conflict'> => {
    try {
      last = await request(kc, method, path, body);
      return toRecord(last);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 422)) return 'conflict';
      throw e;
    }
  };
  return {
    async get() {
      try {
        last = await request(kc, 'GET', one);
        return toRecord(last);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      }
    },
    create: (r) => write('POST', collection, toLease(r, undefined)),
    update: (r) => write('PUT', one, toLease(r, last)),
  };
}
