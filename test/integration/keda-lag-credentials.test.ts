/**
 * KafkaLagScaler on a TLS + SCRAM-SHA-512 workload listener: the credentials the synthesized
 * TriggerAuthentication points KEDA at (the user name from the workload container's env, the
 * password from the KafkaUser's Secret, the CA from the cluster CA Secret), resolved the way KEDA
 * resolves them, connect to a real SASL_SSL broker, and the synthesized KafkaUser's ACLs are enough
 * for the reads KEDA's lag needs (the group's committed offsets, the topic's latest offsets):
 * lag above 0 while events wait, 0 after the real events-fanout bundle consumed them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { KafkaLagScaler } from '../../constructs/scaling/kafka-lag-scaler';
import { EventsFanout } from '../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';
import { eventBytes, fanoutBundle, FanoutProcess, pod, startFanout, waitForRecords } from '../functions/support/fanout';
import { kedaLag } from './keda-lag-support';

jest.setTimeout(180_000);

/** `read()`, retried while the broker is still electing the coordinator of a fresh __consumer_offsets (KEDA retries on its next poll too). */
async function retrying<T>(read: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (e) {
      if (Date.now() > deadline || !/coordinator/i.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('KafkaLagScaler on a TLS + SCRAM-SHA-512 listener', () => {
  let broker: SecuredBroker;
  let superUser: Kafka;
  let setup: Admin;
  const running: FanoutProcess[] = [];

  beforeAll(async () => {
    broker = await startSecuredBroker(['events-fanout']);
    superUser = new Kafka({ clientId: 'keda-credentials-test', brokers: [broker.superUser], logLevel: logLevel.NOTHING });
    setup = superUser.admin();
    await setup.connect();
  }, 180_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
    await setup?.disconnect();
    await broker?.stop();
  });

  test('KEDA, with the TriggerAuthentication resolved, reads the lag as the function\'s KafkaUser: above 0 before the fanout runs, 0 after', async () => {
    // GIVEN the fanout as KafkaUser 'events-fanout' on a TLS + SCRAM workload listener, and its scaler
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', {
      listeners: [{ name: 'plain', port: 9092 }, { name: 'tls', port: 9093, tls: true, authentication: 'scram-sha-512' }],
      workloadListener: 'tls',
    });
    const topics = new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop'], eventsPartitions: 2 });
    const user = new KafkaUser(cluster, 'FanoutUser', { userName: 'events-fanout' });
    const fanout = new EventsFanout(chart, 'EventsFanout', { topics, user, code: FunctionCode.fromBundle(fs.readFileSync(await fanoutBundle())) });
    new KafkaLagScaler(chart, 'FanoutScaler', { function: fanout.function });
    const manifests = Testing.synth(chart);
    const so = manifests.find((m) => m.kind === 'ScaledObject');
    const auth = manifests.find((m) => m.kind === 'TriggerAuthentication');
    const deployment = manifests.find((m) => m.kind === 'Deployment');
    const trigger = so.spec.triggers[0];
    expect(trigger.authenticationRef).toEqual({ name: auth.metadata.name });
    expect(trigger.metadata).toMatchObject({ tls: 'enable', sasl: 'scram_sha512' });

    // AND the topics and the user's ACLs applied as the Topic and User Operators would
    const kafkaTopics = manifests.filter((m) => m.kind === 'KafkaTopic').map((t) => ({ topic: t.spec.topicName ?? t.metadata.name, numPartitions: t.spec.partitions }));
    await setup.createTopics({ topics: kafkaTopics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: false });
    await waitForLeaders(setup, kafkaTopics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })));
    await applyKafkaUser(setup, manifests.find((m) => m.kind === 'KafkaUser' && m.metadata.name === 'events-fanout'));

    // AND the TriggerAuthentication resolved as KEDA does: env parameters from the scale target's
    // container env, secretTargetRef parameters from the Secrets (here: what Strimzi would write)
    const container = deployment.spec.template.spec.containers.find((c: any) => c.name === auth.spec.env[0].containerName);
    const secrets: Record<string, Record<string, string>> = {
      [user.secretName]: { password: broker.password },
      'klaxon-cluster-ca-cert': { 'ca.crt': fs.readFileSync(broker.caFile, 'utf8') },
    };
    const params: Record<string, string> = {};
    for (const e of auth.spec.env) params[e.parameter] = container.env.find((v: any) => v.name === e.name).value;
    for (const s of auth.spec.secretTargetRef) params[s.parameter] = secrets[s.name][s.key];
    expect(Object.keys(params).sort()).toEqual(['ca', 'password', 'username']);
    expect(params.username).toBe('events-fanout');
    const keda = new Kafka({
      clientId: 'keda-operator',
      brokers: [broker.scramTls],
      ssl: trigger.metadata.tls === 'enable' ? { ca: [params.ca] } : false,
      sasl: { mechanism: 'scram-sha-512', username: params.username, password: params.password },
      logLevel: logLevel.NOTHING,
    });
    const kedaAdmin = keda.admin();
    await kedaAdmin.connect();
    try {
      // WHEN 8 events wait on the source topic
      const producer = superUser.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({
        topic: trigger.metadata.topic,
        acks: -1,
        messages: Array.from({ length: 8 }, (_, i) => ({ partition: i % 2, value: eventBytes('core-v1', pod('shop', i), 100 + i) })),
      });
      await producer.disconnect();

      // THEN KEDA, as the function's user, reads every waiting record as lag
      const before = await retrying(() => kedaLag(kedaAdmin, trigger.metadata));
      expect(before.total).toBe(8);
      expect(before.active).toBe(true);

      // WHEN the real bundle runs with the pod's env (the kubelet filling the Secret and the CA file)
      const env: Record<string, string> = {};
      for (const e of container.env) if (e.value !== undefined) env[e.name] = e.value;
      const passwordFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-secret-')), 'password');
      fs.writeFileSync(passwordFile, broker.password, { mode: 0o440 });
      expect(env.KAFKA_SASL_PASSWORD_FILE).toBe('/etc/klaxon/kafka/sasl/password');
      const fanoutProcess = await startFanout({ ...env, KAFKA_BROKERS: broker.scramTls, HTTP_PORT: '0', KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_SSL_CA_FILE: broker.caFile });
      running.push(fanoutProcess);
      await waitForRecords(superUser, ['events.shop'], 8, 60_000);

      // THEN the lag KEDA reads drops to 0
      const deadline = Date.now() + 60_000;
      let after = await retrying(() => kedaLag(kedaAdmin, trigger.metadata));
      while (after.total !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        after = await retrying(() => kedaLag(kedaAdmin, trigger.metadata));
      }
      expect(after.total).toBe(0);
      fanoutProcess.kill('SIGTERM');
      expect((await fanoutProcess.exit).code).toBe(0);
    } finally {
      await kedaAdmin.disconnect();
    }
  });
});
