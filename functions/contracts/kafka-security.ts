/**
 * How a workload authenticates to Kafka: the env keys a construct renders (from the KafkaCluster's
 * workload listener and a KafkaUser, see constructs/kafka/kafka-client-credentials.ts) and the
 * runtime reads (functions/runtime/kafka-security.ts). Unset keys mean a plain listener.
 *
 * Names and values follow Kafka's own client settings (`security.protocol`, `sasl.mechanism`), so a
 * reader who knows Kafka knows them. Secrets never appear in a manifest: the password comes from the
 * Secret Strimzi's User Operator writes for the KafkaUser; certificates are files mounted from the
 * cluster CA Secret and the user's Secret.
 *
 * Pure module: safe to import from constructs/.
 */
export const KafkaSecurityEnv = {
  /** `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`. */
  SECURITY_PROTOCOL: 'KAFKA_SECURITY_PROTOCOL',
  /** SASL mechanism, with a SASL_* protocol: `SCRAM-SHA-512` (what Strimzi's scram-sha-512 listener speaks) or `SCRAM-SHA-256`, `PLAIN`. */
  SASL_MECHANISM: 'KAFKA_SASL_MECHANISM',
  /** SASL user name (the KafkaUser's name). */
  SASL_USERNAME: 'KAFKA_SASL_USERNAME',
  /** SASL password (filled from the KafkaUser's Secret, key `password`). */
  SASL_PASSWORD: 'KAFKA_SASL_PASSWORD',
  /** PEM file of the CA that signed the brokers' certificates (Strimzi: `<cluster>-cluster-ca-cert`, key `ca.crt`). Unset: the system's CAs. */
  SSL_CA_FILE: 'KAFKA_SSL_CA_FILE',
  /** PEM client certificate, for TLS client authentication (the KafkaUser's Secret, key `user.crt`). Set with SSL_KEY_FILE. */
  SSL_CERT_FILE: 'KAFKA_SSL_CERT_FILE',
  /** PEM private key of SSL_CERT_FILE (the KafkaUser's Secret, key `user.key`). */
  SSL_KEY_FILE: 'KAFKA_SSL_KEY_FILE',
} as const;

/** Kafka's `security.protocol` values. */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** The SASL mechanisms the runtime's client (kafkajs) speaks. */
export const SASL_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The protocol a listener needs: TLS or not, SASL or not. */
export function securityProtocolOf(tls: boolean, sasl: boolean): SecurityProtocol {
  if (sasl) return tls ? 'SASL_SSL' : 'SASL_PLAINTEXT';
  return tls ? 'SSL' : 'PLAINTEXT';
}

/** Where KafkaFunction mounts the certificate files it renders into SSL_*_FILE. */
export const KAFKA_CERTS_DIR = '/etc/klaxon/kafka';
