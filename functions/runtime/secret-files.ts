/**
 * Secrets as mounted files: for every `<KEY>_FILE` variable, the runtime reads the file it names and
 * sees its content as `<KEY>` (one trailing newline dropped), so a pod's env holds only paths and
 * the values stay in Secret volumes (what `docker secrets` and many images do with `_FILE`).
 * Variables that are paths by meaning (KAFKA_SSL_CA_FILE, …) are left alone.
 */
import * as fs from 'fs';
import { KafkaSecurityEnv } from '../contracts/kafka-security';
import { ConfigError, Env } from './config';

/** The suffix that marks a variable holding the path of a secret file. */
export const SECRET_FILE_SUFFIX = '_FILE';

/** Variables ending in `_FILE` that are file paths the runtime opens itself, not secrets to inline. */
export const PATH_SETTINGS: ReadonlySet<string> = new Set([KafkaSecurityEnv.SSL_CA_FILE, KafkaSecurityEnv.SSL_CERT_FILE, KafkaSecurityEnv.SSL_KEY_FILE]);

/** `env` with every `<KEY>_FILE` read into `<KEY>`; throws one ConfigError listing every problem (unreadable file, both set). */
export function resolveSecretFiles(env: Env, readFile: (path: string) => string = (p) => fs.readFileSync(p, 'utf8')): Env {
  const resolved: Record<string, string | undefined> = { ...env };
  const problems: string[] = [];
  for (const [name, path] of Object.entries(env)) {
    if (!name.endsWith(SECRET_FILE_SUFFIX) || PATH_SETTINGS.has(name) || path === undefined || path === '') continue;
    const key = name.slice(0, -SECRET_FILE_SUFFIX.length);
    if (key === '') continue;
    if ((env[key] ?? '') !== '') {
      problems.push(`${key} and ${name} are both set; give the value one way (the file, from a Secret volume)`);
      continue;
    }
    try {
      resolved[key] = readFile(path).replace(/\r?\n$/, '');
    } catch (e) {
      problems.push(`${name}=${JSON.stringify(path)}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(resolved);
}
