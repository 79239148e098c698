/** Facts about the machine a run measured on, so figures can be compared across machines. */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readBrokerInfo } from '../test/harness/broker-info';
import { REPO_ROOT } from './lib';

export interface MachineFacts {
  /** `nproc`: CPUs this process may use. */
  readonly nproc: number;
  readonly cpuModel: string;
  readonly totalMemGiB: number;
  readonly node: string;
  readonly kernel: string;
  /** 1, 5, 15 minute load averages when the run started. */
  readonly loadAverageAtStart: number[];
  /** ... and when it ended. */
  readonly loadAverageAtEnd?: number[];
  readonly java?: string;
  readonly kafkajs?: string;
  /** What the last jest harness start recorded (.cache/kafka/broker.json), for comparison. */
  readonly lastHarnessStart?: { readonly version: string; readonly startupSeconds?: number; readonly startedAt: string };
  /** Apache Kafka version of the broker the run used, and where that came from. */
  readonly kafkaBroker?: { readonly version: string; readonly source: string };
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch (e) {
    const err = e as { stderr?: string };
    return err.stderr?.trim() || undefined;
  }
}

function packageVersion(name: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** First line of `java -version` (it prints to stderr). */
function javaVersionLine(): string | undefined {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const r = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  return (r.stderr || r.stdout || '').split('\n')[0]?.trim() || undefined;
}

export function machineFacts(): MachineFacts {
  const info = readBrokerInfo();
  return {
    ...(info && !info.external ? { lastHarnessStart: { version: info.version, startupSeconds: info.startupSeconds, startedAt: info.startedAt } } : {}),
    nproc: Number(run('nproc', [])) || os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    java: javaVersionLine(),
    kafkajs: packageVersion('kafkajs'),
  };
}
