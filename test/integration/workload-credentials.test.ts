/**
 * A workload on a cluster whose workload listener is TLS with SCRAM-SHA-512 (Strimzi's `tls: true`,
 * `authentication: scram-sha-512`): the synthesized KafkaUser's ACLs, applied as the User Operator
 * applies them, and the security env the synthesized Deployment renders (the password as the
 * user's Secret would fill it, the CA file as the cluster CA Secret would mount it) let the real
 * events-fanout bundle consume and produce over SASL_SSL; a wrong password stops it with exit 1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { EventsFanout } from '../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { renderedEnv } from '../../constructs/workloads/kafka-function';
import { waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';
import { eventBytes, FanoutProcess, pod, readSeqs, startFanout, waitForRecords } from '../functions/support/fanout';

jest.setTimeout(120_000);

describe('a workload on a TLS + SCRAM-SHA-512 listener', () => {
  // GIVEN a cluster whose workloads connect over TLS with SCRAM, and the fanout as its KafkaUser
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka', {
    listeners: [{ name: 'plain', port: 9092 }, { name: 'tls', port: 9093, tls: true, authentication: 'scram-sha-512' }],
    workloadListener: 'tls',
  });
  const topics = new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop'], logsPartitions: 1 });
  const user = new KafkaUser(cluster, 'FanoutUser', { userName: 'events-fanout' });
  const fanout = new EventsFanout(chart, 'EventsFanout', { topics, code: FunctionCode.fromBundle('//'), user });
  const manifests = Testing.synth(chart);

  let broker: SecuredBroker;
  let admin: Admin;
  let superUser: Kafka;
  const running: FanoutProcess[] = [];

  beforeAll(async () => {
    broker = await startSecuredBroker(['events-fanout']);
    superUser = new Kafka({ clientId: 'credentials-test', brokers: [broker.superUser], logLevel: logLevel.NOTHING });
    admin = superUser.admin();
    await admin.connect();
    // AND the synthesized topics and user, as the Topic and User Operators would apply them
    const kafkaTopics = manifests.filter((m) => m.kind === 'KafkaTopic').map((t) => ({ topic: t.spec.topicName ?? t.metadata.name, numPartitions: t.spec.partitions }));
    await admin.createTopics({ topics: kafkaTopics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: false });
    await waitForLeaders(admin, kafkaTopics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })));
    await applyKafkaUser(admin, manifests.find((m) => m.kind === 'KafkaUser' && m.metadata.name === 'events-fanout'));
  }, 180_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null) p.kill('SIGKILL');
    await admin?.disconnect();
    await broker?.stop();
  });

  /** A file holding `value`, as a Secret volume would (the runtime reads KAFKA_SASL_PASSWORD_FILE). */
  const secretFile = (value: string): string => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-secret-')), 'password');
    fs.writeFileSync(file, value, { mode: 0o440 });
    return file;
  };

  /** The env the synthesized pod gets, pointed at the test broker's SASL_SSL listener. */
  const podEnv = (password: string): Record<string, string> => {
    const env = renderedEnv(fanout.function, {
      KAFKA_BROKERS: broker.scramTls,
      HTTP_PORT: '0',
      // What the kubelet does with the Secret volumes: the password file, and the CA file.
      KAFKA_SASL_PASSWORD_FILE: secretFile(password),
      KAFKA_SSL_CA_FILE: broker.caFile,
    });
    return env;
  };

  test('the rendered env asks for SASL_SSL with SCRAM-SHA-512 as the synthesized user', () => {
    expect(podEnv('x')).toMatchObject({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'events-fanout' });
  });

  test('the real bundle consumes and produces over SASL_SSL with exactly its grants', async () => {
    // WHEN an event of namespace 'shop' is written to cluster-events and the fanout runs with the pod's env
    const producer = superUser.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'cluster-events', acks: -1, messages: [{ key: 'pod-shop-0', value: eventBytes('core-v1', pod('shop', 0), 1) }] });
    await producer.disconnect();
    const process = await startFanout(podEnv(broker.password));
    running.push(process);
    // THEN the event reaches events.shop, and the process logs a TLS + SCRAM start
    expect(await waitForRecords(superUser, ['events.shop'], 1, 60_000)).toBe(1);
    expect((await readSeqs(superUser, ['events.shop'])).map((r) => r.seq)).toEqual([1]);
    expect(process.lines.find((l) => l.msg === 'starting')).toMatchObject({ tls: true, sasl: 'scram-sha-512' });
    process.kill('SIGTERM');
    expect((await process.exit).code).toBe(0);
  });

  test('a wrong password stops the workload with exit 1 and an authentication error in its log', async () => {
    const process = await startFanout(podEnv('not-the-password'));
    running.push(process);
    const { code } = await process.exit;
    expect(code).toBe(1);
    expect(JSON.stringify(process.lines)).toMatch(/SASL|[Aa]uthentication/);
  });
});
