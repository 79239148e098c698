import { KafkaClientAccess } from '../../../constructs/kafka/kafka-client';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { messageOf, namespacedChart } from './helpers';

const OWNER = "KafkaFunction 'log-alerter'";

function clusterWith(listener: { tls: boolean; authentication: 'none' | 'tls' | 'scram-sha-512' }) {
  const chart = namespacedChart('klaxon');
  const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'clients', port: 9094, ...listener }] });
  return { chart, cluster };
}

describe('KafkaClientAccess', () => {
  test('a plain listener needs nothing: no env, no volumes', () => {
    const { cluster } = clusterWith({ tls: false, authentication: 'none' });
    const access = KafkaClientAccess.of(cluster, undefined, OWNER, 'klaxon');
    expect([access.protocol, access.env, access.volumes, access.volumeMounts]).toEqual(['PLAINTEXT', [], [], []]);
  });

  test('a TLS listener with scram-sha-512: SASL_SSL, the password from the user Secret, the cluster CA mounted', () => {
    // GIVEN
    const { chart, cluster } = clusterWith({ tls: true, authentication: 'scram-sha-512' });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'log-alerter' });
    // WHEN
    const access = KafkaClientAccess.of(cluster, user, OWNER, 'klaxon');
    // THEN
    expect(access.protocol).toBe('SASL_SSL');
    expect(access.env).toEqual([
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_SSL' },
      { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
      { name: 'KAFKA_SASL_USERNAME', value: 'log-alerter' },
      // the password as a file mounted from the user's Secret; the runtime reads it (secret-files.ts)
      { name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/klaxon/kafka/sasl/password' },
      { name: 'KAFKA_SSL_CA_FILE', value: '/etc/klaxon/kafka/cluster-ca/ca.crt' },
    ]);
    expect(access.volumes).toEqual([
      { name: 'kafka-sasl', secret: { secretName: 'log-alerter', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } },
      { name: 'kafka-cluster-ca', secret: { secretName: 'klaxon-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(access.volumeMounts).toEqual([
      { name: 'kafka-sasl', mountPath: '/etc/klaxon/kafka/sasl', readOnly: true },
      { name: 'kafka-cluster-ca', mountPath: '/etc/klaxon/kafka/cluster-ca', readOnly: true },
    ]);
  });

  test('a plain listener with scram-sha-512: SASL_PLAINTEXT and no certificates', () => {
    const { chart, cluster } = clusterWith({ tls: false, authentication: 'scram-sha-512' });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'events-fanout' });
    const access = KafkaClientAccess.of(cluster, user, OWNER, 'klaxon');
    expect(access.env.map((e) => e.name)).toEqual(['KAFKA_SECURITY_PROTOCOL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE']);
    expect(access.env[0].value).toBe('SASL_PLAINTEXT');
    expect(access.volumes.map((v) => v.name)).toEqual(['kafka-sasl']);
  });

  test('a TLS listener with tls authentication: SSL, the user certificate and key mounted beside the cluster CA', () => {
    const { chart, cluster } = clusterWith({ tls: true, authentication: 'tls' });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'events-fanout' });
    const access = KafkaClientAccess.of(cluster, user, OWNER, 'klaxon');
    expect(access.env).toEqual([
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SSL' },
      { name: 'KAFKA_SSL_CA_FILE', value: '/etc/klaxon/kafka/cluster-ca/ca.crt' },
      { name: 'KAFKA_SSL_CERT_FILE', value: '/etc/klaxon/kafka/user/user.crt' },
      { name: 'KAFKA_SSL_KEY_FILE', value: '/etc/klaxon/kafka/user/user.key' },
    ]);
    expect(access.volumes[1]).toEqual({
      name: 'kafka-user-cert',
      secret: { secretName: 'events-fanout', items: [{ key: 'user.crt', path: 'user.crt' }, { key: 'user.key', path: 'user.key' }] },
    });
  });

  test('fails if the listener authenticates and no user is given', () => {
    const { chart, cluster } = clusterWith({ tls: true, authentication: 'scram-sha-512' });
    new KafkaUser(chart, 'Someone', { cluster });
    expect(messageOf(() => KafkaClientAccess.of(cluster, undefined, OWNER, 'klaxon'))).toBe(
      "'user' (undefined) of KafkaFunction 'log-alerter' must be set: 'workloadListener' (\"clients\") of KafkaCluster 'klaxon' needs scram-sha-512 authentication. " +
      "Give a KafkaUser with authentication 'scram-sha-512' (its grants are the workload's ACLs).",
    );
  });

  test('fails if a user is given for a listener without authentication', () => {
    const { chart, cluster } = clusterWith({ tls: true, authentication: 'none' });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'lonely' });
    expect(messageOf(() => KafkaClientAccess.of(cluster, user, OWNER, 'klaxon'))).toMatch(/^'user' \("lonely"\) of KafkaFunction 'log-alerter' would never be used: 'workloadListener' \("clients"\) of KafkaCluster 'klaxon' has no authentication/);
  });

  test("fails if the user's authentication is not the listener's", () => {
    const chart = namespacedChart('klaxon');
    const cluster = new KafkaCluster(chart, 'Kafka', {
      listeners: [{ name: 'clients', port: 9094, tls: true, authentication: 'tls' }, { name: 'scram', port: 9095, tls: true, authentication: 'scram-sha-512' }],
      workloadListener: 'clients',
    });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'fanout', authentication: 'scram-sha-512' });
    expect(messageOf(() => KafkaClientAccess.of(cluster, user, OWNER, 'klaxon'))).toMatch(/^'user' \("fanout"\) of KafkaFunction 'log-alerter' authenticates with 'scram-sha-512', but 'workloadListener' \("clients"\) of KafkaCluster 'klaxon' expects 'tls'/);
  });

  test('fails if the pod runs in another namespace than the Secrets it needs', () => {
    const { chart, cluster } = clusterWith({ tls: true, authentication: 'scram-sha-512' });
    const user = new KafkaUser(chart, 'User', { cluster, userName: 'log-alerter' });
    expect(messageOf(() => KafkaClientAccess.of(cluster, user, OWNER, 'alerting'))).toBe(
      "KafkaFunction 'log-alerter' runs in namespace 'alerting' but the Secrets it needs (klaxon-cluster-ca-cert, log-alerter) are written to the namespace 'klaxon' of KafkaCluster 'klaxon'. Run the workload in 'klaxon'.",
    );
  });
});
