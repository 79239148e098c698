/**
 * The real KEDA operator (2.20.2, built from Go modules) reads a ScaledObject of dist/ from a real
 * kube-apiserver and scales the synthesized events-fanout Deployment on real consumer lag in the real
 * broker: 0 while the topic is empty, 0 → 1 when a backlog appears, back to 0 after the cooldown once
 * the function's own bundle (run as its pod would be: the test plays the kubelet) has drained it.
 *
 * What the test changes in the copies it applies, and why:
 * - the bootstrap servers (trigger and KAFKA_BROKERS): the harness broker instead of the in-cluster
 *   Service;
 * - dev: topic, group and namespace-topic prefix names under a per-run prefix, the same in the
 *   trigger, the env and the topics, so runs on the shared harness broker never share offsets (prod
 *   runs on a broker of its own and keeps every name, so the KafkaUser's ACLs apply unchanged);
 * - `pollingInterval` 1 s (was 30) and `cooldownPeriod` 5 s (was 300): the test waits seconds, not minutes;
 * - prod: `minReplicaCount` 0 (prod keeps one warm pod, 1): scaling between 1 and N is the HPA's job
 *   (kube-controller-manager, not run here), so the cycle KEDA does alone, 0 → 1 → 0, is the one shown;
 * - prod: the Secrets Strimzi would write (the user's password, the cluster CA) are created with the
 *   secured test broker's values.
 */
import * as fs from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import { FanoutEnv, WorkloadEnv } from '../../functions/contracts/workload-env';
import { brokers, uniqueName, waitForLeaders } from '../harness';
import { startKedaOperator, KedaOperator } from '../harness/keda-operator';
import { KubeApiserver, startKubeApiserver } from '../harness/kube-apiserver';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';
import { eventBytes, pod as podSubject } from '../functions/support/fanout';
import { EnvVar, KubeObject, PodRunner, eventually, readDist } from './e2e-support';
import { crdFolders, crdsDir, installCrds } from './kube-support';

jest.setTimeout(420_000);

const TOPIC_KEYS: readonly string[] = [
  WorkloadEnv.SOURCE_TOPIC, WorkloadEnv.DEAD_LETTER_TOPIC, FanoutEnv.CLUSTER_SCOPED_TOPIC, FanoutEnv.UNROUTED_TOPIC, FanoutEnv.NAMESPACE_TOPIC_PREFIX, WorkloadEnv.GROUP_ID,
];

/** What one environment's events-fanout needs: its Deployment, ScaledObject and the rest of dist/<env>. */
function fanoutOf(env: string) {
  const all = [...readDist(env).values()].flat();
  const deployment = all.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'events-fanout')!;
  const scaledObject = all.find((o) => o.kind === 'ScaledObject' && o.spec.scaleTargetRef.name === deployment.metadata.name)!;
  const auth = all.find((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === scaledObject.spec.triggers[0].authenticationRef?.name);
  const namespace = all.find((o) => o.kind === 'Namespace' && o.metadata.name === deployment.metadata.namespace)!;
  const configMaps = all.filter((o) => o.kind === 'ConfigMap' && o.metadata.namespace === deployment.metadata.namespace);
  const topics = all.filter((o) => o.kind === 'KafkaTopic');
  const users = all.filter((o) => o.kind === 'KafkaUser');
  return { deployment, scaledObject, auth, namespace, configMaps, topics, users };
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** The Deployment's `spec.replicas` as KEDA set it (read through the scale subresource). */
async function replicasOf(api: KubeApiserver, d: KubeObject): Promise<number> {
  const scale = await api.request<{ spec: { replicas?: number } }>('GET', `/apis/apps/v1/namespaces/${d.metadata.namespace}/deployments/${d.metadata.name}/scale`);
  if (scale.status !== 200) throw new Error(`GET scale of ${d.metadata.name}: ${scale.status} ${JSON.stringify(scale.body)}`);
  return scale.body.spec.replicas ?? 0;
}

/** The ScaledObject's condition `type` ('Ready', 'Active', …) as KEDA reports it. */
async function conditionOf(api: KubeApiserver, so: KubeObject, type: string): Promise<string | undefined> {
  const got = await api.request<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('GET', `/apis/keda.sh/v1alpha1/namespaces/${so.metadata.namespace}/scaledobjects/${so.metadata.name}`);
  return got.body.status?.conditions?.find((c) => c.type === type)?.status;
}

const describeWithCrds = crdsDir() ? describe : describe.skip;

describeWithCrds('the real KEDA operator scales events-fanout of dist/ on real lag', () => {
  let api: KubeApiserver;
  let keda: KedaOperator;
  let secured: SecuredBroker | undefined;
  const pods: PodRunner[] = [];

  beforeAll(async () => {
    const log = (l: string): void => void process.stdout.write(`${l}\n`);
    api = await startKubeApiserver({ log });
    // all six KEDA CRDs: the operator exits when the eventing ones are missing
    installCrds(api, crdFolders('1.2.0').filter((f) => f.includes('keda-')));
    keda = await startKedaOperator(api, { log });
  });
  afterAll(async () => {
    for (const p of pods) await p.cleanUp();
    await keda?.stop();
    await api?.stop();
    await secured?.stop();
  });

  /**
   * Applies `env`'s fanout (with the changes listed at the top) and walks it through 0 → 1 → 0.
   * `connection` says how the test reaches the broker and what the kubelet would resolve from Secrets.
   */
  async function scaleCycle(env: string, connection: { bootstrap: string; kafka: Kafka; secrets: Record<string, Record<string, string>>; rename: boolean }): Promise<void> {
    const f = fanoutOf(env);
    const run = uniqueName(`keda-${env}`);
    const renamed = (name: string): string => (connection.rename ? `${run}.${name}` : name);

    // GIVEN the topics of dist/<env> on the broker (renamed), as the topic operator would make them
    const admin = connection.kafka.admin();
    await admin.connect();
    const topics = f.topics.map((t) => ({ topic: renamed(t.spec.topicName ?? t.metadata.name), numPartitions: t.spec.partitions, replicationFactor: 1 }));
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitForLeaders(admin, topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })));
    await admin.disconnect();

    // AND the Deployment and ScaledObject of dist/<env>, changed only as the header says
    const deployment = clone(f.deployment);
    const container = deployment.spec.template.spec.containers[0];
    for (const e of container.env as Array<{ name: string; value?: string }>) {
      if (e.name === WorkloadEnv.BROKERS) e.value = connection.bootstrap;
      else if (TOPIC_KEYS.includes(e.name) && e.value !== undefined) e.value = renamed(e.value);
    }
    const so = clone(f.scaledObject);
    const trigger = so.spec.triggers[0];
    expect(trigger.metadata).toMatchObject({ topic: f.topics.map((t) => t.spec.topicName ?? t.metadata.name).find((n) => n === trigger.metadata.topic) });
    trigger.metadata.bootstrapServers = connection.bootstrap;
    trigger.metadata.topic = renamed(trigger.metadata.topic);
    trigger.metadata.consumerGroup = renamed(trigger.metadata.consumerGroup);
    so.spec.pollingInterval = 1;
    so.spec.cooldownPeriod = 5;
    so.spec.minReplicaCount = 0;
    const envOf = (e: EnvVar[]): Record<string, string> => Object.fromEntries(e.filter((v) => v.value !== undefined).map((v) => [v.name, v.value!]));
    expect(trigger.metadata.consumerGroup).toBe(envOf(container.env)[WorkloadEnv.GROUP_ID]);
    expect(trigger.metadata.topic).toBe(envOf(container.env)[WorkloadEnv.SOURCE_TOPIC]);

    const secrets = Object.entries(connection.secrets).map(([name, data]) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: deployment.metadata.namespace },
      stringData: data,
    }));
    const objects = [f.namespace, ...secrets, ...f.configMaps, deployment, ...(f.auth ? [f.auth] : []), so];
    api.kubectlOrThrow(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });

    // THEN KEDA takes the ScaledObject (Ready) and, with nothing to read, scales the Deployment to 0
    await eventually(async () => (await conditionOf(api, so, 'Ready')) === 'True', `ScaledObject ${so.metadata.name} Ready`, 90_000);
    await eventually(async () => (await replicasOf(api, deployment)) === 0, 'replicas 0 while the topic is empty', 90_000);
    await eventually(async () => (await conditionOf(api, so, 'Active')) === 'False', 'ScaledObject not Active: no lag', 60_000);

    // WHEN a backlog of 30 events appears on the source topic
    const producer = connection.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const namespaces = envOf(container.env)[FanoutEnv.NAMESPACES].split(',');
    await producer.send({
      topic: trigger.metadata.topic,
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ value: eventBytes('eventrouter', podSubject(namespaces[i % namespaces.length], i), 7000 + i) })),
    });
    await producer.disconnect();

    // THEN KEDA wakes the workload: replicas 0 → at least 1, the ScaledObject Active
    await eventually(async () => (await replicasOf(api, deployment)) >= 1, 'replicas >= 1 once lag appears', 90_000);
    expect(await conditionOf(api, so, 'Active')).toBe('True');

    // WHEN the kubelet (this test) starts the pod: the init container unpacks the bundle, node runs it
    const runner = new PodRunner(f.configMaps, secrets);
    pods.push(runner);
    const pod = await runner.startPod(deployment, (declared) => {
      const out: Record<string, string> = {};
      for (const e of declared) {
        const ref = (e.valueFrom as { secretKeyRef?: { name: string; key: string } } | undefined)?.secretKeyRef;
        if (e.value !== undefined) out[e.name] = e.name === WorkloadEnv.HTTP_PORT ? '0' : e.value;
        else if (ref && connection.secrets[ref.name]?.[ref.key] !== undefined) out[e.name] = connection.secrets[ref.name][ref.key];
        else throw new Error(`env ${e.name}: ${JSON.stringify(e.valueFrom)} is neither a value nor a key of the Secrets the test made`);
      }
      return out;
    });

    // THEN it drains the backlog, and KEDA scales back to 0 after the cooldown
    try {
      await eventually(async () => (await replicasOf(api, deployment)) === 0, 'replicas back to 0 after the backlog drained and the cooldown passed', 120_000);
    } catch (e) {
      const tail = (lines: string[]): string => lines.slice(-25).join('\n');
      const probe = connection.kafka.admin();
      await probe.connect();
      const offsets = JSON.stringify(await probe.fetchOffsets({ groupId: trigger.metadata.consumerGroup, topics: [trigger.metadata.topic] }));
      await probe.disconnect();
      const metrics = (await pod.get('/metrics').catch((x) => ({ body: String(x) }))).body.split('\n').filter((l) => l.startsWith('klaxon_')).join('\n');
      throw new Error(`${String(e)}\n--- committed: ${offsets}\n--- metrics:\n${metrics}\n--- pod:\n${tail(pod.lines.map((l) => JSON.stringify(l).slice(0, 300)))}\n--- keda-operator:\n${tail(keda.log().split('\n'))}`);
    }
    expect(await conditionOf(api, so, 'Active')).toBe('False');
    const check = connection.kafka.admin();
    await check.connect();
    try {
      const [committed] = await check.fetchOffsets({ groupId: trigger.metadata.consumerGroup, topics: [trigger.metadata.topic] });
      expect(committed.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(30);
    } finally {
      await check.disconnect();
    }
    // AND the kubelet stops the pod as the Deployment now asks: SIGTERM, exit 0
    pod.kill('SIGTERM');
    expect((await pod.exit).code).toBe(0);
  }

  /** Runs `cycle`; on failure, adds the operator's error lines to the message (what KEDA saw). */
  async function withKedaErrors(cycle: () => Promise<void>): Promise<void> {
    try {
      await cycle();
    } catch (e) {
      const errors = keda.log().split('\n').filter((l) => /"level":"(error|warn|dpanic)"|scaleexecutor/.test(l)).slice(-12).map((l) => l.slice(0, 600));
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keda-operator errors and scaling decisions:\n${errors.join('\n')}`);
    }
  }

  test('dev: plain listener, scale to zero and back', async () => {
    const kafka = new Kafka({ clientId: 'keda-operator-test', brokers: brokers(), logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    await withKedaErrors(() => scaleCycle('dev', { bootstrap: brokers().join(','), kafka, secrets: {}, rename: true }));
  });

  test('prod: TLS + SCRAM-SHA-512, the TriggerAuthentication reading the KafkaUser Secret and the cluster CA', async () => {
    const f = fanoutOf('prod');
    expect(f.scaledObject.spec.minReplicaCount).toBe(1); // the warm pod the test sets to 0 (see the header)
    const container = f.deployment.spec.template.spec.containers[0];
    const userName = (container.env as EnvVar[]).find((e) => e.name === 'KAFKA_SASL_USERNAME')?.value;
    expect(userName).toBe('events-fanout');
    expect(f.auth).toBeDefined();
    secured = await startSecuredBroker([userName!]);
    const superUser = new Kafka({ clientId: 'keda-operator-test', brokers: [secured.superUser], logLevel: logLevel.NOTHING });
    const setup = superUser.admin();
    await setup.connect();
    // the KafkaUser's ACLs as the User Operator would set them
    await applyKafkaUser(setup, f.users.find((u) => u.metadata.name === userName)!);
    await setup.disconnect();
    // the Secrets the TriggerAuthentication and the pod read: the user's password and the cluster CA
    const secrets: Record<string, Record<string, string>> = {};
    for (const ref of f.auth!.spec.secretTargetRef as Array<{ name: string; key: string; parameter: string }>) {
      secrets[ref.name] = { ...secrets[ref.name], [ref.key]: ref.parameter === 'ca' ? fs.readFileSync(secured.caFile, 'utf8') : secured.password };
    }
    expect(Object.keys(secrets).sort()).toEqual(['events-fanout', 'klaxon-cluster-ca-cert']);
    await withKedaErrors(() => scaleCycle('prod', { bootstrap: secured!.scramTls, kafka: superUser, secrets, rename: false }));
  });
});
