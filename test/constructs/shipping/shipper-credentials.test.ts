/**
 * The log shippers on a TLS + SCRAM-SHA-512 listener: each logs in as its own KafkaUser (Write on
 * its topic only), with librdkafka's security properties rendered and the password only as a
 * `${KLAXON_KAFKA_SASL_PASSWORD}` reference filled from the user's Secret.
 */
import { App, Chart, Testing } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { FluentBit } from '../../../constructs/shipping/fluent-bit';
import { FluentOperatorKafkaOutput } from '../../../constructs/shipping/fluent-operator-output';
import { messageOf, schemaProblems } from '../sources/support';

function secured(): { app: App; kafkaChart: Chart; logging: Chart; cluster: KafkaCluster; logs: KafkaTopic; user: KafkaUser } {
  const app = Testing.app();
  const kafkaChart = new Chart(app, 'kafka', { namespace: 'klaxon' });
  const logging = new Chart(app, 'logging', { namespace: 'klaxon-logging' });
  const cluster = new KafkaCluster(kafkaChart, 'Kafka', {
    listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512', restricted: true }],
  });
  const logs = new KafkaTopic(cluster, 'Logs', { topicName: 'logs', partitions: 3 });
  const user = new KafkaUser(cluster, 'Shipper', { userName: 'klaxon-log-shipper' });
  return { app, kafkaChart, logging, cluster, logs, user };
}

const SECURITY = {
  'security.protocol': 'SASL_SSL',
  'sasl.mechanisms': 'SCRAM-SHA-512',
  'sasl.username': 'klaxon-log-shipper',
  'sasl.password': '${KLAXON_KAFKA_SASL_PASSWORD}',
  'ssl.ca.location': '/fluent-bit/klaxon/kafka-ca/ca.crt',
};

describe('log shippers with a KafkaUser', () => {
  test('FluentBit renders the security properties, gets the password env by Secret reference and the CA as a file, and its user Write on logs only', () => {
    // GIVEN
    const { kafkaChart, logging, cluster, logs, user } = secured();
    // WHEN
    const fb = new FluentBit(logging, 'FluentBit', { topic: logs, user });
    // THEN
    const conf = fb.configuration().replace(/ +/g, ' ');
    for (const [k, v] of Object.entries(SECURITY)) expect(conf).toContain(`\n rdkafka.${k} ${v}\n`);
    expect(conf).toContain('\n brokers klaxon-kafka-bootstrap.klaxon.svc:9094\n');
    const pod = logging.toJson().find((o: any) => o.kind === 'DaemonSet').spec.template.spec;
    expect(pod.containers[0].env).toEqual([{ name: 'KLAXON_KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'klaxon-log-shipper', key: 'password' } } }]);
    expect(pod.volumes).toContainEqual({ name: 'kafka-ca', secret: { secretName: 'klaxon-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'kafka-ca', mountPath: '/fluent-bit/klaxon/kafka-ca', readOnly: true });
    expect(user.aclRules).toEqual([{ resourceType: 'topic', name: 'logs', patternType: 'literal', operations: ['Write', 'Describe'] }]);
    // AND its pods are the restricted listener's clients
    expect(cluster.clientsOf('scram')).toEqual([{ namespace: 'klaxon-logging', podLabels: logging.toJson().find((o: any) => o.kind === 'DaemonSet').spec.selector.matchLabels }]);
    expect(schemaProblems([...kafkaChart.toJson(), ...logging.toJson()])).toEqual([]);
  });

  test('fluent-operator\'s output renders the same properties and says what the operator\'s pods need', () => {
    const { logging, logs, user } = secured();
    const out = new FluentOperatorKafkaOutput(logging, 'Operator', { topic: logs, user, fluentBitNamespace: 'kubesphere-logging-system' });
    expect(logging.toJson().find((o: any) => o.kind === 'ClusterOutput').spec.kafka.rdkafka).toMatchObject(SECURITY);
    expect(out.podRequirements).toEqual({
      env: [{ name: 'KLAXON_KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'klaxon-log-shipper', key: 'password' } } }],
      volumes: [{ name: 'klaxon-kafka-ca', secret: { secretName: 'klaxon-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
      volumeMounts: [{ name: 'klaxon-kafka-ca', mountPath: '/fluent-bit/klaxon/kafka-ca', readOnly: true }],
    });
  });

  test('fails if a shipper without a user is pointed at the SCRAM listener', () => {
    const { logging, logs } = secured();
    expect(messageOf(() => new FluentBit(logging, 'FluentBit', { topic: logs }))).toBe(
      "'workloadListener' (\"scram\") of KafkaCluster 'klaxon' needs TLS and scram-sha-512 authentication, which FluentBit 'FluentBit' cannot give: it has no 'user', so it carries no CA and no credentials. " +
      "Point 'workloadListener' at a listener with 'tls: false' and authentication 'none' (the default 'plain').",
    );
  });

  test('fails if the user authenticates with TLS certificates, or the listener does not authenticate', () => {
    const { logging, cluster, logs } = secured();
    const tlsUser = new KafkaUser(cluster, 'TlsUser', { userName: 'tls-shipper', authentication: 'tls' });
    expect(messageOf(() => new FluentBit(logging, 'FluentBit', { topic: logs, user: tlsUser }))).toBe(
      "'user' (\"tls-shipper\") of FluentBit 'FluentBit' authenticates with 'tls'; Klaxon's Fluent Bit output logs in with SCRAM-SHA-512 only (a client key would sit in the pod as a file librdkafka reads, which Klaxon does not render). Give a KafkaUser with authentication 'scram-sha-512'.",
    );
    const app = Testing.app();
    const chart = new Chart(app, 'kafka', { namespace: 'klaxon' });
    const plain = new KafkaCluster(chart, 'Kafka');
    const topic = new KafkaTopic(plain, 'Logs', { topicName: 'logs', partitions: 1 });
    const user = new KafkaUser(plain, 'User', { userName: 'shipper' });
    expect(messageOf(() => new FluentBit(chart, 'FluentBit', { topic, user }))).toBe(
      "'user' (\"shipper\") of FluentBit 'FluentBit' would never be used: listener 'plain' has no authentication. Remove 'user', or point 'listener' at a 'scram-sha-512' listener.",
    );
  });

  test('fails if security properties are given in rdkafka: they come from the listener and the user', () => {
    const { logging, logs, user } = secured();
    expect(messageOf(() => new FluentBit(logging, 'FluentBit', { topic: logs, user, rdkafka: { 'security.protocol': 'PLAINTEXT' } }))).toBe(
      "'rdkafka' (\"security.protocol\") of FluentBit 'FluentBit' is set from the listener and 'user'; remove it.",
    );
  });

  test('ANONYMOUS as super user fails synth without the explicit opt-in', () => {
    expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', {
      listeners: [{ name: 'plain', port: 9092, restricted: true }, { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }],
      workloadListener: 'scram',
      superUsers: ['ANONYMOUS'],
    }))).toBe(
      "'superUsers' ([\"ANONYMOUS\"]) of KafkaCluster 'klaxon' include ANONYMOUS: every client that does not authenticate could read every log, delete topics and change ACLs. " +
      "Give each client its own KafkaUser on an authenticated listener, or set 'allowAnonymousSuperUser: true' to accept the risk (README, Security model).",
    );
  });
});
