/**
 * What dist/dev/ holds runs for real, as a cluster would run it: every KafkaTopic of dist/dev created
 * on the real broker as Strimzi's topic operator would, both Deployments of 0003-workloads started from
 * their own code ConfigMap (unpacked by their own init container, sha256 checked) with their own env,
 * then an eventrouter Event and the canonical 404 log line, produced byte-exact with kcat, come out as
 * an `events.demo-project` record and a Notification Manager alert. The KEDA ScaledObjects watch
 * exactly these Deployments, topics and groups.
 *
 * Only what a cluster would set differently is changed: KAFKA_BROKERS (the harness broker), HTTP_PORT
 * (any free port), the Notification Manager URL (a local receiver), and every topic and group name,
 * all under one per-run prefix (`<run>.<name>`), the same in the topics and in the env.
 */
import { createHash } from 'crypto';
import { gunzipSync } from 'zlib';
import { AlerterEnv, FanoutEnv, RuntimeTuningEnv, WorkloadEnv } from '../../functions/contracts/workload-env';
import { AlertSinkSpec } from '../../functions/contracts/alert-sinks';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, brokers, createTopics, kafka, kcatConsume, kcatProduce, notificationManager, uniqueName } from '../harness';
import { Subject, eventBytes } from '../functions/support/fanout';
import { EnvVar, KubeObject, PodProcess, PodRunner, eventually, readDist } from './e2e-support';

jest.setTimeout(180_000); // every wait polls (up to 60 s each): a pass takes as long as the machine needs, typically 10-20 s

const dist = readDist('dev');
const all = [...dist.values()].flat();
const workloads = dist.get('0003-workloads.k8s.yaml') ?? [];
const deployments = workloads.filter((o) => o.kind === 'Deployment');
const kafkaCluster = all.filter((o) => o.kind === 'Kafka');
const kafkaTopics = all.filter((o) => o.kind === 'KafkaTopic');
const scaledObjects = all.filter((o) => o.kind === 'ScaledObject');

/** The Kafka topic a KafkaTopic makes (Strimzi: spec.topicName, else metadata.name). */
const topicNameOf = (t: KubeObject): string => t.spec.topicName ?? t.metadata.name;
const topicNames = new Set(kafkaTopics.map(topicNameOf));
const deploymentOf = (workload: string): KubeObject => {
  const found = deployments.filter((d) => d.metadata.labels?.['app.kubernetes.io/name'] === workload);
  if (found.length !== 1) throw new Error(`dist/dev/0003-workloads.k8s.yaml: ${found.length} Deployments of ${workload}`);
  return found[0];
};
const declaredEnv = (d: KubeObject): Record<string, string | undefined> =>
  Object.fromEntries((d.spec.template.spec.containers[0].env as EnvVar[]).map((e) => [e.name, e.value]));

/** Env keys naming a topic (their value is mapped like the KafkaTopics), a topic prefix, or a group. */
const TOPIC_KEYS: readonly string[] = [WorkloadEnv.SOURCE_TOPIC, WorkloadEnv.DEAD_LETTER_TOPIC, FanoutEnv.CLUSTER_SCOPED_TOPIC, FanoutEnv.UNROUTED_TOPIC];
/** Env keys passed as the Deployment declares them. */
const AS_DECLARED: readonly string[] = [
  WorkloadEnv.CLIENT_ID,
  WorkloadEnv.LOG_LEVEL,
  FanoutEnv.NAMESPACES,
  AlerterEnv.RULES,
  AlerterEnv.MAX_RECORD_BYTES,
  AlerterEnv.GENERATOR_URL,
  AlerterEnv.SINK_RETRY,
  'NODE_OPTIONS',
  ...Object.values(RuntimeTuningEnv),
];

describe('dist/dev runs as a cluster would run it', () => {
  const pods = new PodRunner(workloads.filter((o) => o.kind === 'ConfigMap'));
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await pods.cleanUp();
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('the KEDA ScaledObjects scale exactly the Deployments that run, on their source topics, groups and bootstrap servers', () => {
    // GIVEN the Deployments of dist/dev/0003-workloads and the ScaledObjects of dist/dev
    expect(deployments.map((d) => d.metadata.labels?.['app.kubernetes.io/name']).sort()).toEqual(['event-alerter', 'events-fanout', 'log-alerter']);
    // (event-alerter runs one fixed replica: its timer resolves alerts, so it must not scale to zero)
    expect(deploymentOf('event-alerter').spec.replicas).toBe(1);
    // THEN one ScaledObject per scaled Deployment, targeting it by name, on the topic and group its env names
    const watched = scaledObjects.map((s) => ({
      target: `${s.spec.scaleTargetRef.apiVersion}/${s.spec.scaleTargetRef.kind}/${s.spec.scaleTargetRef.name}`,
      triggers: (s.spec.triggers as any[]).map((t) => ({ type: t.type, topic: t.metadata.topic, consumerGroup: t.metadata.consumerGroup, bootstrapServers: t.metadata.bootstrapServers })),
    }));
    const running = deployments.filter((d) => d.metadata.labels?.['app.kubernetes.io/name'] !== 'event-alerter').map((d) => {
      const env = declaredEnv(d);
      return {
        target: `apps/v1/Deployment/${d.metadata.name}`,
        triggers: [{ type: 'kafka', topic: env[WorkloadEnv.SOURCE_TOPIC], consumerGroup: env[WorkloadEnv.GROUP_ID], bootstrapServers: env[WorkloadEnv.BROKERS] }],
      };
    });
    const byTarget = (a: { target: string }, b: { target: string }): number => a.target.localeCompare(b.target);
    expect(watched.sort(byTarget)).toEqual(running.sort(byTarget));
    // AND each scaled topic is a KafkaTopic of dist/dev with at least as many partitions as replicas may run
    for (const s of scaledObjects) {
      const topic = kafkaTopics.find((t) => topicNameOf(t) === s.spec.triggers[0].metadata.topic);
      expect({ scaler: s.metadata.name, topic: topic && topicNameOf(topic) }).toEqual({ scaler: s.metadata.name, topic: s.spec.triggers[0].metadata.topic });
      expect(s.spec.maxReplicaCount).toBeLessThanOrEqual(topic!.spec.partitions);
    }
  });

  test('an Event in demo-project reaches events.demo-project and the 404 log line reaches Notification Manager, run from the code, topics and env of dist/dev', async () => {
    // GIVEN every KafkaTopic of dist/dev created on the broker as Strimzi's topic operator would make it
    // (its cluster's label, spec.topicName ?? metadata.name, partitions, config; one replica on the one-broker harness),
    // each name under a per-run prefix
    const run = uniqueName('e2e');
    const renamed = (name: string): string => `${run}.${name}`;
    expect(kafkaCluster).toHaveLength(1);
    const cluster = kafkaCluster[0];
    for (const t of kafkaTopics) expect({ topic: t.metadata.name, cluster: t.metadata.labels?.['strimzi.io/cluster'], namespace: t.metadata.namespace }).toEqual({ topic: t.metadata.name, cluster: cluster.metadata.name, namespace: cluster.metadata.namespace });
    await createTopics(
      kafkaTopics.map((t) => ({
        topic: renamed(topicNameOf(t)),
        partitions: t.spec.partitions,
        config: Object.fromEntries(Object.entries((t.spec.config ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
      })),
    );
    // AND a Notification Manager stand-in
    const nm = await notificationManager();
    receivers.push(nm);

    // AND each Deployment's code: its ConfigMap's bundle, gunzipped, has the sha256 its init container checks
    const fanoutDeployment = deploymentOf('events-fanout');
    const alerterDeployment = deploymentOf('log-alerter');
    for (const d of [fanoutDeployment, alerterDeployment]) {
      const spec = d.spec.template.spec;
      const configMapName = (spec.volumes as any[]).find((v) => v.configMap)?.configMap.name;
      const configMap = workloads.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMapName);
      const bundle = gunzipSync(Buffer.from(configMap?.binaryData?.['index.js.gz'] ?? '', 'base64'));
      const expected = (spec.initContainers[0].args ?? spec.initContainers[0].command).filter((a: string) => /^[0-9a-f]{64}$/.test(a));
      expect(expected).toHaveLength(1);
      expect({ deployment: d.metadata.name, sha256: createHash('sha256').update(bundle).digest('hex') }).toEqual({ deployment: d.metadata.name, sha256: expected[0] });
    }

    // AND the env of each Deployment, as declared, with only the cluster-specific values swapped
    const bootstrap = `${cluster.metadata.name}-kafka-bootstrap.${cluster.metadata.namespace}.svc:${(cluster.spec.kafka.listeners as any[]).find((l) => l.tls === false).port}`;
    const envFor =
      (deployment: string) =>
      (declared: readonly EnvVar[]): Record<string, string> => {
        const env: Record<string, string> = {};
        for (const e of declared) {
          if (e.value === undefined) throw new Error(`${deployment}: env ${e.name} is not a plain value (${JSON.stringify(e.valueFrom)}); teach the e2e test how to provide it`);
          const v = e.value;
          if (e.name === WorkloadEnv.BROKERS) {
            if (v !== bootstrap) throw new Error(`${deployment}: ${e.name} is ${v}, not the bootstrap of Kafka ${cluster.metadata.name} (${bootstrap})`);
            env[e.name] = brokers().join(',');
          } else if (e.name === WorkloadEnv.HTTP_PORT) env[e.name] = '0';
          else if (TOPIC_KEYS.includes(e.name)) {
            if (!topicNames.has(v)) throw new Error(`${deployment}: ${e.name} names topic ${v}, which no KafkaTopic of dist/dev makes`);
            env[e.name] = renamed(v);
          } else if (e.name === FanoutEnv.NAMESPACE_TOPIC_PREFIX || e.name === WorkloadEnv.GROUP_ID) env[e.name] = renamed(v);
          else if (e.name === AlerterEnv.SINKS) {
            env[e.name] = JSON.stringify(
              (JSON.parse(v) as AlertSinkSpec[]).map((sink) => {
                if (sink.type !== 'notification-manager') throw new Error(`${deployment}: sink ${JSON.stringify(sink)} is not Notification Manager; teach the e2e test a receiver for it`);
                return { ...sink, url: nm.url };
              }),
            );
          } else if (AS_DECLARED.includes(e.name)) env[e.name] = v;
          else throw new Error(`${deployment}: env ${e.name}=${v} is unknown to the e2e test; teach it whether the value names a topic, a group or a URL`);
        }
        return env;
      };
    const fanoutEnv = declaredEnv(fanoutDeployment);
    const alerterEnv = declaredEnv(alerterDeployment);
    // every declared namespace has its KafkaTopic: the fanout writes nowhere the topic operator did not create
    for (const ns of fanoutEnv[FanoutEnv.NAMESPACES]!.split(',')) expect(topicNames).toContain(`${fanoutEnv[FanoutEnv.NAMESPACE_TOPIC_PREFIX]}${ns}`);

    // WHEN both pods start: volumes, the init container unpacking the bundle, then `node index.js`
    const fanout = await pods.startPod(fanoutDeployment, envFor(fanoutDeployment.metadata.name));
    const alerter = await pods.startPod(alerterDeployment, envFor(alerterDeployment.metadata.name));
    expect(fanout.initOutput.join('\n')).toMatch(/^klaxon unpack: \d+ bytes, sha256 [0-9a-f]{64}, to /);
    expect(alerter.initOutput.join('\n')).toMatch(/^klaxon unpack: \d+ bytes, sha256 [0-9a-f]{64}, to /);
    // AND both are ready (group joined), as their readiness probes would see it
    await Promise.all([fanout, alerter].map((p) => eventually(async () => (await p.get('/readyz')).status === 200, `${p.deployment} /readyz 200`)));

    // AND kcat writes an eventrouter record of a Pod's Event in demo-project to cluster-events (keyed by
    // the object's name, as eventrouter does) and the canonical 404 line to logs, byte for byte
    const wordpress: Subject = { kind: 'Pod', namespace: 'demo-project', name: CANONICAL_404_RECORD.kubernetes.pod_name, uid: '7c6d9a4e-0b1f-4e55-9a3c-3f2d6e0a9b11' };
    const event = eventBytes('eventrouter', wordpress, 404);
    const logLine = Buffer.from(JSON.stringify(CANONICAL_404_RECORD));
    const clusterEvents = renamed(fanoutEnv[WorkloadEnv.SOURCE_TOPIC]!);
    const logs = renamed(alerterEnv[WorkloadEnv.SOURCE_TOPIC]!);
    await kcatProduce(clusterEvents, [{ key: wordpress.name, value: event }]);
    await kcatProduce(logs, [{ value: logLine }]);

    // THEN the event is in events.demo-project, byte for byte, keyed by the involved object's uid
    const demoProject = renamed(`${fanoutEnv[FanoutEnv.NAMESPACE_TOPIC_PREFIX]}demo-project`);
    let routed: Awaited<ReturnType<typeof kcatConsume>> = [];
    await eventually(async () => (routed = await kcatConsume(demoProject)).length > 0, `a record in ${demoProject}`);
    expect(routed).toHaveLength(1);
    expect(routed[0].value).toEqual(event);
    expect(routed[0].key?.toString()).toBe(wordpress.uid);
    expect(routed[0].headers).toEqual([['klaxon.format', 'eventrouter']]);

    // AND Notification Manager got one Alertmanager webhook message with the 404 alert
    await nm.waitForAccepted(1, 60_000);
    expect(nm.requests).toHaveLength(1);
    expect(nm.requests[0]).toMatchObject({ method: 'POST', path: '/api/v2/alerts' });
    const message = nm.requests[0].json as any;
    expect(message).toMatchObject({ version: '4', status: 'firing', receiver: 'klaxon-log-alerter', groupLabels: { alertname: '404 Request' } });
    expect(message.alerts).toHaveLength(1);
    expect(message.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: '404 Request', namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-hdn2z', method: 'GET', path: '/notfound' },
      startsAt: '2021-08-25T01:54:37.227Z',
    });

    // AND SIGTERM stops both with exit code 0, each with its record's offset committed for its group
    const admin = kafka().admin();
    await admin.connect();
    try {
      const committed = async (group: string, topic: string): Promise<number> =>
        (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      for (const [pod, env, source] of [
        [fanout, fanoutEnv, clusterEvents],
        [alerter, alerterEnv, logs],
      ] as Array<[PodProcess, Record<string, string | undefined>, string]>) {
        pod.kill('SIGTERM');
        expect({ deployment: pod.deployment, exit: (await pod.exit).code }).toEqual({ deployment: pod.deployment, exit: 0 });
        expect({ group: env[WorkloadEnv.GROUP_ID], committed: await committed(renamed(env[WorkloadEnv.GROUP_ID]!), source) }).toEqual({ group: env[WorkloadEnv.GROUP_ID], committed: 1 });
      }
    } finally {
      await admin.disconnect();
    }
    // AND nothing was dead-lettered
    expect(await kcatConsume(renamed(fanoutEnv[WorkloadEnv.DEAD_LETTER_TOPIC]!))).toEqual([]);
  });
});
