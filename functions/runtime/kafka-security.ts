/**
 * The Kafka client's TLS and SASL settings, from the KafkaSecurityEnv keys
 * (functions/contracts/kafka-security.ts). Unset keys mean PLAINTEXT; every inconsistency (a SASL
 * protocol without a password, a certificate without its key, SASL keys on a PLAINTEXT protocol, an
 * unreadable file) is a `ConfigError` listing all problems, reported with the runtime's other
 * settings before anything connects.
 */
import * as fs from 'fs';
import type { ConnectionOptions } from 'tls';
import type { SASLOptions } from 'kafkajs';
import { KafkaSecurityEnv, SASL_MECHANISMS, SECURITY_PROTOCOLS, SaslMechanism } from '../contracts/kafka-security';
import { ConfigError, Env, oneOf, readSettings, text } from './config';

/** What the kafkajs client takes: `ssl` (true: system CAs) and `sasl`, both absent on PLAINTEXT. */
export interface KafkaClientSecurity {
  readonly ssl?: ConnectionOptions | true;
  readonly sasl?: SASLOptions;
}

/** The settings, each with its env key, description and default. */
export const kafkaSecuritySettings = {
  protocol: {
    env: KafkaSecurityEnv.SECURITY_PROTOCOL,
    description: "Kafka's security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
    default: 'PLAINTEXT' as (typeof SECURITY_PROTOCOLS)[number],
    parse: oneOf(SECURITY_PROTOCOLS),
  },
  saslMechanism: {
    env: KafkaSecurityEnv.SASL_MECHANISM,
    description: 'the SASL mechanism of a SASL_* protocol',
    default: undefined as SaslMechanism | undefined,
    parse: oneOf(SASL_MECHANISMS) as (raw: string) => SaslMechanism | undefined,
  },
  saslUsername: {
    env: KafkaSecurityEnv.SASL_USERNAME,
    description: 'the SASL user name',
    default: undefined as string | undefined,
    parse: text as (raw: string) => string | undefined,
  },
  saslPassword: {
    env: KafkaSecurityEnv.SASL_PASSWORD,
    description: "the SASL password (from the KafkaUser's Secret)",
    default: undefined as string | undefined,
    parse: text as (raw: string) => string | undefined,
  },
  caFile: {
    env: KafkaSecurityEnv.SSL_CA_FILE,
    description: "PEM file of the brokers' CA",
    default: undefined as string | undefined,
    parse: text as (raw: string) => string | undefined,
  },
  certFile: {
    env: KafkaSecurityEnv.SSL_CERT_FILE,
    description: 'PEM client certificate for TLS client authentication',
    default: undefined as string | undefined,
    parse: text as (raw: string) => string | undefined,
  },
  keyFile: {
    env: KafkaSecurityEnv.SSL_KEY_FILE,
    description: 'PEM private key of the client certificate',
    default: undefined as string | undefined,
    parse: text as (raw: string) => string | undefined,
  },
};

/**
 * Reads the security settings from `env` and the files they name; throws one ConfigError with
 * every problem. `readFile` is injectable for tests.
 */
export function loadKafkaSecurity(env: Env, readFile: (file: string) => Buffer = (f) => fs.readFileSync(f)): KafkaClientSecurity {
  const s = readSettings(kafkaSecuritySettings, env);
  const problems: string[] = [];
  const key = (name: keyof typeof KafkaSecurityEnv): string => KafkaSecurityEnv[name];
  const sasl = s.protocol === 'SASL_PLAINTEXT' || s.protocol === 'SASL_SSL';
  const tls = s.protocol === 'SSL' || s.protocol === 'SASL_SSL';

  if (sasl) {
    if (!s.saslMechanism) problems.push(`${key('SASL_MECHANISM')} must be set with ${key('SECURITY_PROTOCOL')}=${s.protocol} (one of ${SASL_MECHANISMS.join(', ')})`);
    if (!s.saslUsername) problems.push(`${key('SASL_USERNAME')} must be set with ${key('SECURITY_PROTOCOL')}=${s.protocol}`);
    if (!s.saslPassword) problems.push(`${key('SASL_PASSWORD')} must be set with ${key('SECURITY_PROTOCOL')}=${s.protocol}`);
  } else {
    const stray = (['SASL_MECHANISM', 'SASL_USERNAME', 'SASL_PASSWORD'] as const).filter((k) => (env[key(k)] ?? '').trim() !== '');
    if (stray.length > 0) problems.push(`${stray.map(key).join(', ')} set, but ${key('SECURITY_PROTOCOL')}=${s.protocol} sends no SASL credentials; use SASL_PLAINTEXT or SASL_SSL`);
  }
  if (!tls) {
    const stray = (['SSL_CA_FILE', 'SSL_CERT_FILE', 'SSL_KEY_FILE'] as const).filter((k) => (env[key(k)] ?? '').trim() !== '');
    if (stray.length > 0) problems.push(`${stray.map(key).join(', ')} set, but ${key('SECURITY_PROTOCOL')}=${s.protocol} does not use TLS; use SSL or SASL_SSL`);
  } else if ((s.certFile === undefined) !== (s.keyFile === undefined)) {
    problems.push(`${key('SSL_CERT_FILE')} and ${key('SSL_KEY_FILE')} must be set together (a client certificate needs its key)`);
  }

  const read = (name: 'SSL_CA_FILE' | 'SSL_CERT_FILE' | 'SSL_KEY_FILE', file: string | undefined): Buffer | undefined => {
    if (!tls || file === undefined) return undefined;
    try {
      return readFile(file);
    } catch (e) {
      problems.push(`${key(name)}=${JSON.stringify(file)}: cannot be read (${(e as Error).message})`);
      return undefined;
    }
  };
  const ca = read('SSL_CA_FILE', s.caFile);
  const cert = read('SSL_CERT_FILE', s.certFile);
  const privateKey = read('SSL_KEY_FILE', s.keyFile);
  if (problems.length > 0) throw new ConfigError(problems);

  const ssl: ConnectionOptions | true | undefined = tls
    ? ca || cert
      ? { ...(ca ? { ca: [ca] } : {}), ...(cert && privateKey ? { cert, key: privateKey } : {}) }
      : true
    : undefined;
  return {
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl: saslOptions(s.saslMechanism!, s.saslUsername!, s.saslPassword!) } : {}),
  };
}

function saslOptions(mechanism: SaslMechanism, username: string, password: string): SASLOptions {
  switch (mechanism) {
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
  }
}
