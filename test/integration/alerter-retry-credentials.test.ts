/**
 * The alerter's retry topics under the production security model (TLS + SCRAM-SHA-512, no super
 * user for workloads): the synthesized KafkaUser's ACLs, applied as the User Operator applies them,
 * and the topics, created as the Topic Operator creates them from the rendered KafkaTopics, are
 * exactly enough for the real bundle, run with its Deployment's env, to park alerts for a sink that
 * is down, read the retry topics' offsets, and deliver the parked alerts in the retry group once
 * the sink is back.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { LogAlerter } from '../../constructs/workloads/log-alerter';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { renderedEnv } from '../../constructs/workloads/kafka-function';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, genericWebhook, notificationManager, waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';
import { AlerterProcess, FAST_RETRIES, eventually, startAlerter } from '../functions/log-alerter/support';

jest.setTimeout(240_000);

const record404 = (i: number) => ({ value: JSON.stringify({ ...CANONICAL_404_RECORD, log: CANONICAL_404_RECORD.log.replace('/notfound', `/missing-${i}`) }) });
const pathOf = (r: { json?: unknown }) => (r.json as { labels: Record<string, string> }).labels.path;

describe('the alerter parks and drains its retry topics with exactly its synthesized grants', () => {
  let broker: SecuredBroker;
  let admin: Admin;
  let superUser: Kafka;
  let nm: Receiver;
  let hook: Receiver;
  let env: Record<string, string>;
  let acls: unknown[];
  const running: AlerterProcess[] = [];

  beforeAll(async () => {
    [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
    // GIVEN a cluster whose workloads connect over TLS with SCRAM, and the log-alerter as its KafkaUser
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', {
      listeners: [{ name: 'plain', port: 9092 }, { name: 'tls', port: 9093, tls: true, authentication: 'scram-sha-512' }],
      workloadListener: 'tls',
    });
    const topics = new KlaxonTopics(cluster, 'Topics', { logsPartitions: 1 });
    const user = new KafkaUser(cluster, 'AlerterUser', { userName: 'log-alerter' });
    const alerter = new LogAlerter(chart, 'LogAlerter', {
      source: topics.logs,
      deadLetter: topics.deadLetter,
      code: FunctionCode.fromBundle('//'),
      rules: [EXAMPLE_404_RULE],
      sinks: [AlertSink.notificationManager({ url: nm.url }), AlertSink.webhook({ url: hook.url })],
      user,
    });
    const manifests = Testing.synth(chart);
    acls = manifests.find((m) => m.kind === 'KafkaUser' && m.metadata.name === 'log-alerter').spec.authorization.acls;

    broker = await startSecuredBroker(['log-alerter']);
    superUser = new Kafka({ clientId: 'retry-credentials-test', brokers: [broker.superUser], logLevel: logLevel.NOTHING });
    admin = superUser.admin();
    await admin.connect();
    // AND the synthesized topics and user, as the Topic and User Operators would apply them
    const kafkaTopics = manifests.filter((m) => m.kind === 'KafkaTopic').map((t) => ({ topic: t.spec.topicName ?? t.metadata.name, numPartitions: t.spec.partitions }));
    await admin.createTopics({ topics: kafkaTopics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: false });
    await waitForLeaders(admin, kafkaTopics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })));
    await applyKafkaUser(admin, manifests.find((m) => m.kind === 'KafkaUser' && m.metadata.name === 'log-alerter'));
    const passwordFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-secret-')), 'password');
    fs.writeFileSync(passwordFile, broker.password, { mode: 0o440 });
    env = renderedEnv(alerter.function, { KAFKA_BROKERS: broker.scramTls, HTTP_PORT: '0', KAFKA_SASL_PASSWORD_FILE: passwordFile, KAFKA_SSL_CA_FILE: broker.caFile, ...FAST_RETRIES });
  }, 180_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
    await Promise.all([nm?.close(), hook?.close()]);
    await admin?.disconnect();
    await broker?.stop();
  });

  test('the user holds Read and Write on its two retry topics and Read on their groups, beside its source and dead-letter grants', () => {
    expect(acls).toEqual([
      { resource: { type: 'topic', name: 'logs', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'group', name: 'klaxon-log-alerter', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'topic', name: 'klaxon.dead-letter', patternType: 'literal' }, operations: ['Write', 'Describe'] },
      { resource: { type: 'topic', name: 'klaxon-log-alerter.retry.notification-manager', patternType: 'literal' }, operations: ['Read', 'Write', 'Describe'] },
      { resource: { type: 'group', name: 'klaxon-log-alerter.retry.notification-manager', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'topic', name: 'klaxon-log-alerter.retry.webhook', patternType: 'literal' }, operations: ['Read', 'Write', 'Describe'] },
      { resource: { type: 'group', name: 'klaxon-log-alerter.retry.webhook', patternType: 'literal' }, operations: ['Read', 'Describe'] },
    ]);
    expect(env).toMatchObject({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'log-alerter', ALERTER_SINK_RETRY: 'topics' });
  });

  test('the webhook down: its alerts are parked and the records committed; back up: it gets them in order from the retry group', async () => {
    // GIVEN the alerter running as its user, the webhook down, three matching records
    const alerter = await startAlerter(env, { createRetryTopics: false });
    running.push(alerter);
    await alerter.waitForLine((l) => l.msg === 'started');
    await hook.goDown();
    const producer = superUser.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'logs', acks: -1, messages: [0, 1, 2].map(record404) });
    await producer.disconnect();

    // THEN Notification Manager gets them, the webhook's are parked, and the logs records are committed
    await nm.waitForAlerts(3, 60_000);
    await eventually(async () => (await alerter.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 3, 'three alerts parked');
    await eventually(async () => Number((await admin.fetchOffsets({ groupId: 'klaxon-log-alerter', topics: ['logs'] }))[0].partitions[0].offset) === 3, 'logs committed');

    // WHEN the webhook is back
    await hook.comeBack();

    // THEN it gets the three in order, and the retry group committed them
    await eventually(() => new Set(hook.accepted.map(pathOf)).size === 3, 'the webhook took all three', 120_000);
    expect(hook.accepted.map(pathOf).filter((p, i, all) => all.indexOf(p) === i)).toEqual(['/missing-0', '/missing-1', '/missing-2']);
    await eventually(
      async () => Number((await admin.fetchOffsets({ groupId: 'klaxon-log-alerter.retry.webhook', topics: ['klaxon-log-alerter.retry.webhook'] }))[0].partitions[0].offset) === 3,
      'retry group committed',
    );
    // AND no request was refused for authorization
    expect(JSON.stringify(alerter.lines)).not.toMatch(/AUTHORIZATION_FAILED|[Nn]ot authorized/);
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });
});
