import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../../functions/runtime/config';
import { resolveSecretFiles } from '../../../functions/runtime/secret-files';

describe('resolveSecretFiles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-secret-files-'));
  const file = (name: string, content: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads <KEY>_FILE into <KEY>, dropping one trailing newline, and keeps the rest of the env', () => {
    const env = resolveSecretFiles({ KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret\n'), ALERTER_SECRET_0_URL_FILE: file('url', 'https://hooks.example/x'), KAFKA_BROKERS: 'a:9092' });
    expect(env).toMatchObject({ KAFKA_SASL_PASSWORD: 's3cret', ALERTER_SECRET_0_URL: 'https://hooks.example/x', KAFKA_BROKERS: 'a:9092' });
  });

  test('leaves the certificate paths alone: the runtime opens those files itself', () => {
    const env = resolveSecretFiles({ KAFKA_SSL_CA_FILE: '/etc/klaxon/kafka/cluster-ca/ca.crt' }, () => {
      throw new Error('must not be read');
    });
    expect(env).toEqual({ KAFKA_SSL_CA_FILE: '/etc/klaxon/kafka/cluster-ca/ca.crt' });
    expect(env.KAFKA_SSL_CA).toBeUndefined();
  });

  test('fails listing every problem: an unreadable file, and a value given both ways', () => {
    let error: unknown;
    try {
      resolveSecretFiles({ KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'missing'), TOKEN: 'x', TOKEN_FILE: file('token', 'y') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `KAFKA_SASL_PASSWORD_FILE=${JSON.stringify(path.join(dir, 'missing'))}: cannot read the file (ENOENT)`,
      'TOKEN and TOKEN_FILE are both set; give the value one way (the file, from a Secret volume)',
    ]);
  });
});
