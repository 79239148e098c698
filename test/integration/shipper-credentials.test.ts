/**
 * The librdkafka settings Klaxon renders for fluent-operator's Fluent Bit in the committed
 * `dist/prod/` (its ClusterOutput's `rdkafka.*` properties), given to librdkafka itself exactly as
 * rendered (librdkafka 2.16 through confluent-kafka, test/harness/rdkafka-client.py; Fluent Bit 4.2
 * bundles a librdkafka 2.x too), log in to a real Kafka 4.1 broker over SASL_SSL with SCRAM-SHA-512, and the
 * ACLs of the synthesized KafkaUser 'klaxon-log-shipper' (applied as Strimzi's user operator applies
 * them) let it write to `logs` and nothing else.
 *
 * Only two things are translated from the pod to this machine, the way the pod would see them:
 * `${KLAXON_KAFKA_SASL_PASSWORD}` is expanded from the env (Fluent Bit expands `${VAR}` in its
 * configuration; in the pod the env comes from the user's Secret), and the CA file is where this
 * broker's CA lies instead of the mount path. The brokers are the secured broker's address.
 *
 * Debian's kcat is not used here: its librdkafka 2.0.2 fails every SCRAM-SHA-512 login to Kafka 4.1
 * with "invalid credentials" (the same credentials kafkajs and librdkafka 2.16 log in with), so a
 * Fluent Bit for this cluster needs a current librdkafka (any Fluent Bit 4.x).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { parseAllDocuments } from 'yaml';
import { SASL_PASSWORD_ENV } from '../../constructs/shipping/log-shipping';
import { execFileSync } from 'child_process';
import { kcatConsumeJson, waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';

const DIST = path.join(__dirname, '..', '..', 'dist', 'prod');
const PYTHON = process.env.RDKAFKA_PYTHON ?? path.join(__dirname, '..', '..', '.cache', 'rdkafka-venv', 'bin', 'python');
const CLIENT = path.join(__dirname, '..', 'harness', 'rdkafka-client.py');

interface RdkafkaResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly reason?: string;
  readonly value?: string;
}

/** librdkafka with exactly `properties` (plus bootstrap.servers) produces `value` to, or consumes one record of, `topic`. */
function rdkafka(action: 'produce' | 'consume', topic: string, properties: Record<string, string>, value = ''): RdkafkaResult {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run 'bash .ci/install.sh' (it installs confluent-kafka, librdkafka 2.16, into .cache/rdkafka-venv).`);
  const out = execFileSync(PYTHON, [CLIENT], { input: JSON.stringify({ action, topic, value, properties, timeout: 20 }), timeout: 60_000 });
  return JSON.parse(out.toString()) as RdkafkaResult;
}

function objectsOf(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(path.join(DIST, file), 'utf8')).map((d) => d.toJSON()).filter(Boolean);
}

describe('the Fluent Bit librdkafka properties of dist/prod against a secured Kafka 4 broker', () => {
  const output = objectsOf('0002-logging.k8s.yaml').find((o) => o.kind === 'ClusterOutput');
  const user = objectsOf('0000-kafka.k8s.yaml').find((o) => o.kind === 'KafkaUser' && o.metadata.name === output.spec.kafka.rdkafka['sasl.username']);
  let broker: SecuredBroker;
  let admin: Admin;

  /** The rendered properties as the pod's Fluent Bit hands them to librdkafka (see the file comment). */
  const rendered = (password: string): Record<string, string> => {
    const props: Record<string, string> = { ...output.spec.kafka.rdkafka, 'bootstrap.servers': broker.scramTls };
    props['sasl.password'] = props['sasl.password'].replace(`\${${SASL_PASSWORD_ENV}}`, password);
    props['ssl.ca.location'] = broker.caFile;
    return props;
  };

  beforeAll(async () => {
    broker = await startSecuredBroker([user.metadata.name]);
    admin = new Kafka({ clientId: 'shipper-test-admin', brokers: [broker.superUser], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = objectsOf('0000-kafka.k8s.yaml').filter((o) => o.kind === 'KafkaTopic')
      .map((t) => ({ topic: t.spec.topicName ?? t.metadata.name, numPartitions: 1, replicationFactor: 1 }));
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitForLeaders(admin, topics.map((t) => ({ topic: t.topic, partitions: 1 })));
    await applyKafkaUser(admin, user);
  }, 120_000);

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('the rendered properties are SCRAM-SHA-512 over TLS as klaxon-log-shipper, the password only as an env reference', () => {
    expect(output.spec.kafka.topics).toBe('logs');
    expect(output.spec.kafka.rdkafka).toMatchObject({
      'security.protocol': 'SASL_SSL',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'klaxon-log-shipper',
      'sasl.password': '${KLAXON_KAFKA_SASL_PASSWORD}',
    });
    expect(user.spec.authorization.acls).toEqual([{ resource: { type: 'topic', name: 'logs', patternType: 'literal' }, operations: ['Write', 'Describe'] }]);
  });

  test('librdkafka with exactly those properties writes a log record to logs', async () => {
    const line = `{"log":"shipped by the rendered librdkafka settings ${Date.now()}"}`;
    expect(rdkafka('produce', 'logs', rendered(broker.password), line)).toEqual({ ok: true });
    const records = await kcatConsumeJson('logs', { brokers: broker.superUser });
    expect(records.map((r) => r.payload)).toContain(line);
  });

  test('the same properties may not write to any other topic, nor read logs', () => {
    const props = rendered(broker.password);
    for (const topic of ['cluster-events', 'klaxon.dead-letter', 'events.default']) {
      expect(rdkafka('produce', topic, props, 'x')).toMatchObject({ ok: false, error: 'TOPIC_AUTHORIZATION_FAILED' });
    }
    expect(rdkafka('consume', 'logs', props)).toMatchObject({ ok: false, error: expect.stringMatching(/AUTHORIZATION_FAILED/) });
  });

  test('with a wrong password the broker refuses the login', () => {
    expect(rdkafka('produce', 'logs', rendered('not-the-password'), 'x')).toMatchObject({ ok: false, error: expect.stringMatching(/AUTHENTICATION/) });
  });
});
