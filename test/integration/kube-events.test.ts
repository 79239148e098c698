/**
 * The ground an event source stands on, on the real kube-apiserver: a core/v1 Event about a Pod,
 * created as a kubelet would report it, reads back through `events.k8s.io/v1` (the API Klaxon's
 * exporter watches) with the same object, reason, note and count, and a watch from the listed
 * resourceVersion delivers the next change of it.
 */
import * as fs from 'fs';
import * as https from 'https';
import { KubeApiserver, startKubeApiserver } from '../harness/kube-apiserver';

jest.setTimeout(180_000);

/** The first `count` lines of a watch stream (JSON watch events), then the request is ended. */
function watchLines(api: KubeApiserver, apiPath: string, count: number, timeoutMs = 30_000): Promise<Array<{ type: string; object: any }>> {
  return new Promise((resolve, reject) => {
    const lines: Array<{ type: string; object: any }> = [];
    const req = https.get(`${api.url}${apiPath}`, { headers: { authorization: `Bearer ${api.token}` }, ca: fs.readFileSync(api.caFile) }, (res) => {
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buffer.slice(0, nl)));
          buffer = buffer.slice(nl + 1);
          if (lines.length >= count) {
            req.destroy();
            resolve(lines);
            return;
          }
        }
      });
    });
    req.on('error', (e) => (lines.length >= count ? undefined : reject(e)));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`watch ${apiPath}: ${lines.length} of ${count} events within ${timeoutMs} ms`));
    }, timeoutMs).unref();
  });
}

describe('Kubernetes Events on the real kube-apiserver', () => {
  let api: KubeApiserver;
  beforeAll(async () => {
    api = await startKubeApiserver();
    api.kubectlOrThrow(['create', 'namespace', 'shop']);
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('a core/v1 Event about a Pod reads back through events.k8s.io/v1, and a watch sees its count rise', async () => {
    // GIVEN a core/v1 Event as a kubelet reports a crash-looping container
    const core = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-0.backoff', namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-0', uid: '2f6a0c1e-7b1d-4a51-9f44-0d1c6b0e7a11', fieldPath: 'spec.containers{web}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container web in pod web-0_shop',
      type: 'Warning',
      count: 1,
      firstTimestamp: '2026-12-04T10:00:00Z',
      lastTimestamp: '2026-12-04T10:00:00Z',
      source: { component: 'kubelet', host: 'node-1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    };
    const created = await api.request<any>('POST', '/api/v1/namespaces/shop/events', core);
    expect(created.status).toBe(201);
    expect(created.warnings).toEqual([]);

    // WHEN it is read through events.k8s.io/v1
    const read = await api.request<any>('GET', '/apis/events.k8s.io/v1/namespaces/shop/events/web-0.backoff');
    expect(read.status).toBe(200);
    // THEN it is the same Event in the new shape: regarding, note, reason, type, the deprecated count
    expect(read.body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web-0.backoff', namespace: 'shop', uid: created.body.metadata.uid, resourceVersion: created.body.metadata.resourceVersion },
      regarding: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: core.involvedObject.uid, fieldPath: 'spec.containers{web}' },
      reason: 'BackOff',
      note: core.message,
      type: 'Warning',
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
      deprecatedCount: 1,
      deprecatedSource: { component: 'kubelet', host: 'node-1' },
    });

    // AND a list across namespaces gives the resourceVersion to watch from
    const list = await api.request<any>('GET', '/apis/events.k8s.io/v1/events');
    expect(list.body.items.map((e: any) => e.metadata.name)).toContain('web-0.backoff');
    const from = list.body.metadata.resourceVersion;
    const watching = watchLines(api, `/apis/events.k8s.io/v1/events?watch=true&resourceVersion=${from}`, 1);
    // WHEN the kubelet bumps the count, as it does for a repeating Event
    const bumped = await api.request<any>('PATCH', '/api/v1/namespaces/shop/events/web-0.backoff', { count: 4, lastTimestamp: '2026-12-04T10:03:00Z' });
    expect(bumped.status).toBe(200);
    // THEN the watch delivers exactly that change as MODIFIED, with the new count and resourceVersion
    const [change] = await watching;
    expect(change.type).toBe('MODIFIED');
    expect(change.object).toMatchObject({ metadata: { name: 'web-0.backoff', resourceVersion: bumped.body.metadata.resourceVersion }, deprecatedCount: 4, reason: 'BackOff' });
  });
});
