/**
 * Klaxon's event exporter on a real kube-apiserver (etcd 3.6, Kubernetes 1.34 built by
 * .ci/k8s/build.sh) and the real broker, running the bundle dist/dev carries (unpacked from its
 * ConfigMap by its own init container, with the Deployment's env).
 *
 * What a test changes from the Deployment, and why: KAFKA_BROKERS and KUBECONFIG (the local broker
 * and API server), HTTP_PORT (any free port), EXPORTER_TOPIC and EXPORTER_LEASE_NAME (per test),
 * EXPORTER_IDENTITY (the downward API's pod name), a short Lease (4 s / renew deadline 3 s / retry
 * 1 s) so failover fits a test, and KLAXON_RETRY_MAX_MS 2 s. The API server runs with
 * `--watch-cache=false`, so a watch from a compacted resourceVersion reaches etcd and gets its
 * `410 Gone` (with the watch cache, the same happens once the version falls out of the cache window).
 */
import * as fs from 'fs';
import * as path from 'path';
import { brokers, createTopics, uniqueName } from '../harness';
import { KubeApiserver, startKubeApiserver } from '../harness/kube-apiserver';
import { REPO_ROOT } from '../harness/processes';
import { RestartableBroker, createRestartableBroker } from '../functions/support/restartable-broker';
import { PodRunner, eventually } from './e2e-support';
import {
  Shipped, applyExporterRbac, bumpSeries, codeConfigMaps, createEvent, createLease, createNamespace, exporterLease, fanoutDeployment, metric, readLease, readTopic, startExporter, testKafka,
} from './event-exporter-support';

jest.setTimeout(400_000);

const names = (records: readonly Shipped[]): string[] => records.map((r) => r.event.metadata.name);
const count = (records: readonly Shipped[], name: string): number => records.filter((r) => r.event.metadata.name === name).length;

describe('the event exporter on a real API server', () => {
  let api: KubeApiserver;
  const pods = new PodRunner(codeConfigMaps);
  const leaseNamespace = exporterLease.metadata.namespace ?? 'klaxon';
  // A directory of its own for the kubeconfigs the exporter pods read (passed as given, host paths).
  fs.mkdirSync(path.join(REPO_ROOT, '.build'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, '.build', 'exporter-test-'));
  let broker: RestartableBroker | undefined;

  beforeAll(async () => {
    api = await startKubeApiserver({ apiserverFlags: { 'watch-cache': 'false' } });
    for (const ns of [leaseNamespace, 'shop', 'billing']) await createNamespace(api, ns);
    fs.copyFileSync(api.kubeconfig, path.join(dir, 'admin.kubeconfig'));
  });
  afterAll(async () => {
    await pods.cleanUp();
    await broker?.destroy();
    await api?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Events created through the API reach cluster-events keyed by object, then the right events.<namespace> through the real fanout, in order per object', async () => {
    // GIVEN the exporter running with exactly dist/dev's ServiceAccount, RBAC and Lease, and the fanout of dist/dev
    const run = uniqueName('exporter-flow');
    const topic = `${run}.cluster-events`;
    const out = { shop: `${run}.events.shop`, billing: `${run}.events.billing`, clusterScoped: `${run}.cluster-scoped`, unrouted: `${run}.unrouted`, dead: `${run}.dead-letter` };
    await createTopics([{ topic, partitions: 3 }, ...Object.values(out).map((t) => ({ topic: t, partitions: 2 }))]);
    const kubeconfig = applyExporterRbac(api, dir);
    const exporter = await startExporter(pods, { api, brokers: brokers().join(','), topic, lease: exporterLease.metadata.name, identity: 'exporter-a', kubeconfig });
    await exporter.waitForLine((l) => l.msg === 'acquired the Lease: shipping');

    // WHEN Events are created: two about a Pod in shop, one about a Deployment in billing, one about a Node, and one repeating Event whose count rises to 4
    const pod = { kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'uid-pod-web-1' };
    const deployment = { kind: 'Deployment', name: 'api', namespace: 'billing', uid: 'uid-deploy-api' };
    const node = { kind: 'Node', name: 'node-1', uid: 'uid-node-1' };
    await createEvent(api, 'shop', pod, 'Scheduled', 'assigned shop/web-1 to node-1');
    await createEvent(api, 'shop', pod, 'Pulled', 'image pulled');
    await createEvent(api, 'billing', deployment, 'ScalingReplicaSet', 'scaled up to 2');
    await createEvent(api, 'default', node, 'NodeNotReady', 'node-1 is not ready', 'Warning');
    const repeating = await createEvent(api, 'shop', pod, 'BackOff', 'back-off restarting failed container', 'Warning');
    for (const n of [2, 3, 4]) await bumpSeries(api, 'shop', repeating.name, n);

    // THEN eight records (five ADDED, three MODIFIED) reach cluster-events, keyed by the object's uid, with verb, cluster and resourceVersion headers
    let shipped: Shipped[] = [];
    await eventually(async () => (shipped = await readTopic(testKafka(brokers()[0]), topic)).length >= 8, 'eight records in cluster-events');
    expect(shipped).toHaveLength(8);
    expect(shipped.filter((r) => r.verb === 'ADDED')).toHaveLength(5);
    expect(shipped.filter((r) => r.verb === 'MODIFIED').map((r) => r.event.series.count)).toEqual([2, 3, 4]);
    for (const r of shipped) {
      expect(r.key).toBe(r.event.regarding.uid);
      expect(r.rv).toBe(r.event.metadata.resourceVersion);
      expect(r.cluster).toBe('kubernetes');
      expect(r.event.apiVersion).toBe('events.k8s.io/v1');
    }
    // AND one object's events sit in one partition in the order the API server wrote them
    const ofPod = shipped.filter((r) => r.key === pod.uid).sort((a, b) => a.offset - b.offset);
    expect(new Set(ofPod.map((r) => r.partition)).size).toBe(1);
    expect(ofPod.map((r) => Number(r.rv))).toEqual([...ofPod.map((r) => Number(r.rv))].sort((a, b) => a - b));
    expect(ofPod.map((r) => r.event.reason)).toEqual(['Scheduled', 'Pulled', 'BackOff', 'BackOff', 'BackOff', 'BackOff']);

    // WHEN the fanout of dist/dev reads cluster-events
    const fanout = await pods.startPod(fanoutDeployment, (declared) => ({
      ...Object.fromEntries(declared.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!])),
      KAFKA_BROKERS: brokers().join(','),
      HTTP_PORT: '0',
      KAFKA_SOURCE_TOPIC: topic,
      KAFKA_GROUP_ID: `${run}.fanout`,
      KAFKA_DEAD_LETTER_TOPIC: out.dead,
      FANOUT_NAMESPACE_TOPIC_PREFIX: `${run}.events.`,
      FANOUT_NAMESPACES: 'shop,billing',
      FANOUT_CLUSTER_SCOPED_TOPIC: out.clusterScoped,
      FANOUT_UNROUTED_TOPIC: out.unrouted,
    }));
    // THEN the Pod's six records land in events.shop in order, the Deployment's in events.billing, the Node's in the cluster-scoped topic; nothing is dead-lettered
    const kafka = testKafka(brokers()[0]);
    let shop: Shipped[] = [];
    await eventually(async () => (shop = await readTopic(kafka, out.shop)).length >= 6, 'six records in events.shop');
    expect(shop.sort((a, b) => a.offset - b.offset).map((r) => r.event.reason)).toEqual(['Scheduled', 'Pulled', 'BackOff', 'BackOff', 'BackOff', 'BackOff']);
    expect(shop.map((r) => r.verb)).toEqual(['ADDED', 'ADDED', 'ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED']);
    await eventually(async () => (await readTopic(kafka, out.billing)).length === 1, 'one record in events.billing');
    const clusterScoped = await readTopic(kafka, out.clusterScoped);
    expect(clusterScoped.map((r) => r.event.regarding.name)).toEqual(['node-1']);
    expect(await readTopic(kafka, out.dead)).toEqual([]);
    expect(await metric(exporter, 'klaxon_exporter_events_shipped_total', { reason: 'BackOff' })).toBe(4);
    expect((await exporter.get('/readyz')).status).toBe(200);
    fanout.kill('SIGTERM');
    exporter.kill('SIGTERM');
    expect((await exporter.exit).code).toBe(0);
  });

  test('SIGKILL mid-stream, then a restart: every Event present, and only Events after the checkpoint sent twice', async () => {
    // GIVEN an exporter shipping a stream of Events
    const run = uniqueName('exporter-kill');
    const topic = `${run}.cluster-events`;
    await createTopics([{ topic, partitions: 3 }]);
    await createLease(api, run);
    const opts = { api, brokers: brokers().join(','), topic, lease: run, identity: 'exporter-a', kubeconfig: path.join(dir, 'admin.kubeconfig') };
    const first = await startExporter(pods, opts);
    await first.waitForLine((l) => l.msg === 'acquired the Lease: shipping');
    const created: string[] = [];
    const target = { kind: 'Pod', name: 'worker', namespace: 'shop', uid: 'uid-worker' };
    for (let i = 0; i < 10; i++) created.push((await createEvent(api, 'shop', target, 'Tick', `tick ${i}`)).name);
    await eventually(async () => (await readLease(api, run)).checkpoint['*'] !== undefined, 'a first checkpoint');
    for (let i = 10; i < 20; i++) created.push((await createEvent(api, 'shop', target, 'Tick', `tick ${i}`)).name);

    // WHEN it is SIGKILLed mid-stream, more Events are created while it is down, and it restarts
    first.kill('SIGKILL');
    await first.exit;
    const checkpointAtKill = Number((await readLease(api, run)).checkpoint['*']);
    for (let i = 20; i < 30; i++) created.push((await createEvent(api, 'shop', target, 'Tick', `tick ${i}`)).name);
    const second = await startExporter(pods, { ...opts, identity: 'exporter-b' });
    await second.waitForLine((l) => l.msg === 'acquired the Lease: shipping');

    // THEN every Event is in cluster-events; the ones sent twice all came after the checkpoint; no relist (resumed from the checkpoint)
    let shipped: Shipped[] = [];
    await eventually(async () => (shipped = await readTopic(testKafka(brokers()[0]), topic)) && created.every((n) => count(shipped, n) >= 1), 'all 30 Events shipped');
    // (a first start without checkpoint also ships the Events earlier tests left in the API server)
    const twice = [...new Set(names(shipped))].filter((n) => count(shipped, n) > 1);
    for (const n of twice) expect(Number(shipped.find((r) => r.event.metadata.name === n)!.rv)).toBeGreaterThan(checkpointAtKill);
    expect(names(shipped).filter((n) => count(shipped, n) > 2)).toEqual([]);
    expect(second.lines.some((l) => l.msg === 'relisted')).toBe(false);
    second.kill('SIGTERM');
    await second.exit;
  });

  test('etcd compacted past the checkpoint, then a restart: 410 Gone is handled by a relist, nothing is lost, nothing already shipped is sent again', async () => {
    // GIVEN five Events shipped, and the exporter stopped with its checkpoint in the Lease
    const run = uniqueName('exporter-gone');
    const topic = `${run}.cluster-events`;
    await createTopics([{ topic, partitions: 3 }]);
    await createLease(api, run);
    const opts = { api, brokers: brokers().join(','), topic, lease: run, identity: 'exporter-a', kubeconfig: path.join(dir, 'admin.kubeconfig') };
    const first = await startExporter(pods, opts);
    const target = { kind: 'Pod', name: 'batch', namespace: 'billing', uid: 'uid-batch' };
    const before: string[] = [];
    for (let i = 0; i < 5; i++) before.push((await createEvent(api, 'billing', target, 'Started', `run ${i}`)).name);
    let firstRun: Shipped[] = [];
    await eventually(async () => before.every((n) => count(firstRun, n) === 1) || ((firstRun = await readTopic(testKafka(brokers()[0]), topic)) && false), 'five shipped');
    first.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
    // (its first start, without checkpoint, also shipped the Events earlier tests left in the API server)
    firstRun = await readTopic(testKafka(brokers()[0]), topic);
    const checkpoint = (await readLease(api, run)).checkpoint['*'];

    // WHEN ten Events are created while it is down and etcd is compacted to its newest revision
    const after: string[] = [];
    for (let i = 0; i < 10; i++) after.push((await createEvent(api, 'billing', target, 'Started', `run ${5 + i}`)).name);
    const etcdctl = path.join(api.binaries.etcd, 'etcdctl');
    const status = JSON.parse(require('child_process').execFileSync(etcdctl, ['--endpoints', api.etcdUrl, 'endpoint', 'status', '-w', 'json'], { encoding: 'utf8' }));
    const revision = status[0].Status.header.revision;
    expect(revision).toBeGreaterThan(Number(checkpoint));
    require('child_process').execFileSync(etcdctl, ['--endpoints', api.etcdUrl, 'compact', String(revision)], { encoding: 'utf8' });
    const second = await startExporter(pods, { ...opts, identity: 'exporter-b' });

    // THEN it gets 410 Gone for its checkpoint, relists, and ships exactly the ten new Events
    await second.waitForLine((l) => l.msg === 'resourceVersion too old (410 Gone): relisting');
    const relisted = await second.waitForLine((l) => l.msg === 'relisted');
    let shipped: Shipped[] = [];
    await eventually(async () => (shipped = await readTopic(testKafka(brokers()[0]), topic)).length >= firstRun.length + 10, 'ten more records');
    await new Promise((r) => setTimeout(r, 2000)); // nothing more arrives
    shipped = await readTopic(testKafka(brokers()[0]), topic);
    expect(shipped).toHaveLength(firstRun.length + 10);
    for (const n of [...before, ...after]) expect(count(shipped, n)).toBe(1);
    expect(relisted).toMatchObject({ toShip: 10, skipped: firstRun.length });
    expect(await metric(second, 'klaxon_exporter_relists_total')).toBe(1);
    second.kill('SIGTERM');
    await second.exit;
  });

  test('two replicas: only the leader ships; the leader killed, the other takes over within the lease duration, and the totals match', async () => {
    // GIVEN two replicas on one Lease
    const run = uniqueName('exporter-ha');
    const topic = `${run}.cluster-events`;
    await createTopics([{ topic, partitions: 3 }]);
    await createLease(api, run);
    const a = await startExporter(pods, { api, brokers: brokers().join(','), topic, lease: run, identity: 'replica-a', kubeconfig: path.join(dir, 'admin.kubeconfig') });
    await a.waitForLine((l) => l.msg === 'acquired the Lease: shipping');
    const b = await startExporter(pods, { api, brokers: brokers().join(','), topic, lease: run, identity: 'replica-b', kubeconfig: path.join(dir, 'admin.kubeconfig') });
    await eventually(async () => (await b.get('/readyz')).status === 200, 'the standby is ready');
    const target = { kind: 'Pod', name: 'ha', namespace: 'shop', uid: 'uid-ha' };
    const created: string[] = [];
    for (let i = 0; i < 10; i++) created.push((await createEvent(api, 'shop', target, 'Tick', `ha ${i}`)).name);
    await eventually(async () => (await readTopic(testKafka(brokers()[0]), topic)).length >= 10, 'ten shipped');

    // THEN only the leader ships
    expect(await metric(a, 'klaxon_exporter_leader')).toBe(1);
    expect(await metric(b, 'klaxon_exporter_leader')).toBe(0);
    // (its first start, without checkpoint, also shipped the Events earlier tests left in the API server)
    expect(await metric(a, 'klaxon_exporter_events_shipped_total')).toBe((await readTopic(testKafka(brokers()[0]), topic)).length);
    expect(await metric(b, 'klaxon_exporter_events_shipped_total')).toBe(0);
    expect((await b.get('/readyz')).body).toContain('standby (leader: replica-a)');

    // WHEN the leader is SIGKILLed (after its first checkpoint) and ten more Events are created
    await eventually(async () => (await readLease(api, run)).checkpoint['*'] !== undefined, 'a first checkpoint');
    a.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exit;
    const checkpointAtKill = Number((await readLease(api, run)).checkpoint['*']);
    for (let i = 10; i < 20; i++) created.push((await createEvent(api, 'shop', target, 'Tick', `ha ${i}`)).name);

    // THEN the standby takes over within the lease duration plus one retry period (4 s + 1 s, with 2 s of slack for a busy machine)
    await b.waitForLine((l) => l.msg === 'acquired the Lease: shipping', 15_000);
    const takeover = (Date.now() - killedAt) / 1000;
    expect(takeover).toBeLessThanOrEqual(7);
    // AND all twenty are shipped; only Events after the checkpoint were sent twice
    let shipped: Shipped[] = [];
    await eventually(async () => (shipped = await readTopic(testKafka(brokers()[0]), topic)) && created.every((n) => count(shipped, n) >= 1), 'all 20 shipped');
    for (const n of [...new Set(names(shipped))].filter((x) => count(shipped, x) > 1)) expect(Number(shipped.find((r) => r.event.metadata.name === n)!.rv)).toBeGreaterThan(checkpointAtKill);
    expect((await readLease(api, run)).holder).toBe('replica-b');
    b.kill('SIGTERM');
    await b.exit;
  });

  test('broker down for 30 s: the exporter holds, its checkpoint does not advance, and it ships everything after', async () => {
    // GIVEN an exporter on a broker of its own, five Events shipped
    broker = await createRestartableBroker();
    await broker.start();
    const run = uniqueName('exporter-broker');
    const topic = `${run}.cluster-events`;
    const kafka = testKafka(broker.brokers);
    const admin = kafka.admin();
    await admin.connect();
    await createTopics([{ topic, partitions: 3 }], admin);
    await admin.disconnect();
    await createLease(api, run);
    const exporter = await startExporter(pods, { api, brokers: broker.brokers, topic, lease: run, identity: 'exporter-a', kubeconfig: path.join(dir, 'admin.kubeconfig'), extra: { KLAXON_READY_STALE_MS: '10000' } });
    const target = { kind: 'Pod', name: 'db', namespace: 'billing', uid: 'uid-db' };
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await createEvent(api, 'billing', target, 'Tick', `db ${i}`)).name);
    await eventually(async () => (await readTopic(kafka, topic)).length >= 5, 'five shipped');
    await eventually(async () => (await readLease(api, run)).checkpoint['*'] !== undefined, 'a checkpoint');
    await new Promise((r) => setTimeout(r, 1500)); // one renewal writes the checkpoint of the fifth

    // WHEN the broker is down for 30 s while ten Events are created
    await broker.stop();
    const checkpointAtStop = (await readLease(api, run)).checkpoint['*'];
    for (let i = 5; i < 15; i++) created.push((await createEvent(api, 'billing', target, 'Tick', `db ${i}`)).name);
    await new Promise((r) => setTimeout(r, 15_000));
    // THEN it holds: alive, not ready (an Event waits for Kafka), the checkpoint where it was
    expect((await exporter.get('/livez')).status).toBe(200);
    const ready = await exporter.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toContain('waited');
    await new Promise((r) => setTimeout(r, 15_000));
    expect((await readLease(api, run)).checkpoint['*']).toBe(checkpointAtStop);
    expect(await metric(exporter, 'klaxon_exporter_seconds_behind')).toBeGreaterThan(25);

    // WHEN the broker comes back
    await broker.start();
    // THEN all fifteen are shipped, the checkpoint moves past the new Events, and it is ready again
    let shipped: Shipped[] = [];
    await eventually(async () => (shipped = await readTopic(kafka, topic)) && created.every((n) => count(shipped, n) >= 1), 'all 15 shipped', 90_000);
    await eventually(async () => Number((await readLease(api, run)).checkpoint['*']) > Number(checkpointAtStop), 'the checkpoint advances');
    await eventually(async () => (await exporter.get('/readyz')).status === 200, 'ready again');
    expect(exporter.child.exitCode).toBeNull();
    exporter.kill('SIGTERM');
    await exporter.exit;
  });
});
