import { ConfigError } from '../../../functions/runtime/config';
import { loadKafkaSecurity } from '../../../functions/runtime/kafka-security';

const FILES: Record<string, string> = {
  '/certs/ca.crt': 'CA PEM',
  '/certs/user.crt': 'USER CERT PEM',
  '/certs/user.key': 'USER KEY PEM',
};
const readFile = (file: string): Buffer => {
  if (!(file in FILES)) throw new Error(`ENOENT: no such file or directory, open '${file}'`);
  return Buffer.from(FILES[file]);
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadKafkaSecurity(env, readFile);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the Kafka client security settings', () => {
  test('no keys: a plain client, no TLS, no SASL', () => {
    expect(loadKafkaSecurity({}, readFile)).toEqual({});
  });

  test('SASL_PLAINTEXT with SCRAM-SHA-512: kafkajs sasl options, no TLS', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'events-fanout',
      KAFKA_SASL_PASSWORD: 's3cret',
    }, readFile);
    expect(security).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'events-fanout', password: 's3cret' } });
  });

  test('SASL_SSL with a CA file: the CA is read and trusted, SASL on top', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SSL_CA_FILE: '/certs/ca.crt',
    }, readFile);
    expect(security).toEqual({
      ssl: { ca: [Buffer.from('CA PEM')] },
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
  });

  test('SSL with a client certificate and key (TLS client authentication)', () => {
    const security = loadKafkaSecurity({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CA_FILE: '/certs/ca.crt',
      KAFKA_SSL_CERT_FILE: '/certs/user.crt',
      KAFKA_SSL_KEY_FILE: '/certs/user.key',
    }, readFile);
    expect(security).toEqual({
      ssl: { ca: [Buffer.from('CA PEM')], cert: Buffer.from('USER CERT PEM'), key: Buffer.from('USER KEY PEM') },
    });
  });

  test('SSL without files: TLS with the system CAs', () => {
    expect(loadKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'SSL' }, readFile)).toEqual({ ssl: true });
  });

  test('fails if the protocol is not one of Kafka\'s', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'TLS' })).toEqual([
      expect.stringContaining('KAFKA_SECURITY_PROTOCOL="TLS": must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL'),
    ]);
  });

  test('fails if a SASL protocol lacks its mechanism, user and password, listing all three', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual([
      'KAFKA_SASL_MECHANISM must be set with KAFKA_SECURITY_PROTOCOL=SASL_SSL (one of SCRAM-SHA-512, SCRAM-SHA-256, PLAIN)',
      'KAFKA_SASL_USERNAME must be set with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'KAFKA_SASL_PASSWORD must be set with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
    ]);
  });

  test('fails if credentials are given for a protocol that would not send them', () => {
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL_CA_FILE: '/certs/ca.crt' })).toEqual([
      'KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT sends no SASL credentials; use SASL_PLAINTEXT or SASL_SSL',
      'KAFKA_SSL_CA_FILE set, but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS; use SSL or SASL_SSL',
    ]);
  });

  test('fails if a client certificate comes without its key', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: '/certs/user.crt' })).toEqual([
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together (a client certificate needs its key)',
    ]);
  });

  test('fails if a certificate file cannot be read, naming the key and the path', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/certs/missing.crt' })).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE="\/certs\/missing.crt": cannot be read \(ENOENT/),
    ]);
  });
});
