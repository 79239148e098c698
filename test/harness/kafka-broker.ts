/**
 * A real Apache Kafka 4.x broker for tests: the broker jars from Maven Central (.ci/kafka/pom.xml,
 * resolved into .cache/kafka/libs), KRaft storage formatted in a temp dir, one JVM running a combined
 * broker+controller on 127.0.0.1 with free ports. `stop()` ends it and removes the dir; see
 * processes.ts for why no JVM survives a killed test run.
 */
import { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import {
  REPO_ROOT,
  canConnect,
  exited,
  freePort,
  ownedTempDir,
  removeDir,
  runOrThrow,
  sleep,
  spawnOwned,
  stopChild,
  sweepOrphans,
  tail,
} from './processes';

/** Where .ci/install.sh (or the first start) puts the broker's jars. */
export const DEFAULT_KAFKA_LIBS = path.join(REPO_ROOT, '.cache', 'kafka', 'libs');

/** Options of startKafkaBroker. */
export interface KafkaBrokerOptions {
  /** Folder of the broker's jars. @default <repo>/.cache/kafka/libs (resolved with mvn if missing) */
  readonly libsDir?: string;
  /** JVM heap, used for both -Xms and -Xmx. @default '512m' */
  readonly heap?: string;
  /** `group.initial.rebalance.delay.ms`: how long the first consumer of a group waits for others. @default 0 */
  readonly groupInitialRebalanceDelayMs?: number;
  /** `auto.create.topics.enable`. @default true (Kafka's default) */
  readonly autoCreateTopics?: boolean;
  /** `num.partitions` for auto-created topics. @default 1 */
  readonly numPartitions?: number;
  /** Further `server.properties` entries; they win over the harness's own. @default - none */
  readonly extraConfig?: Readonly<Record<string, string | number | boolean>>;
  /** How long to wait for the broker to serve metadata. @default 90000 */
  readonly startTimeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL. @default 15000 */
  readonly stopGraceMs?: number;
  /** The java executable. @default $JAVA_HOME/bin/java, else 'java' */
  readonly java?: string;
  /** Progress messages. @default - silent */
  readonly log?: (line: string) => void;
}

/** A running broker. */
export interface KafkaBroker {
  /** `127.0.0.1:<port>`, the value for KAFKA_BROKERS. */
  readonly brokers: string;
  /** The Kafka version of the jars that run (e.g. '4.1.1'). */
  readonly version: string;
  /** Seconds from startKafkaBroker() to a broker serving metadata. */
  readonly startupSeconds: number;
  /** The JVM's pid. */
  readonly pid: number;
  /** The broker's temp dir (config, data, broker.log); removed by stop(). */
  readonly dir: string;
  /** The broker's stdout/stderr and log4j output. */
  readonly logFile: string;
  /** SIGTERM, SIGKILL after the grace bound, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** The Kafka version of the jars in `libsDir`, from the kafka_2.13-<version>.jar name. */
export function kafkaVersionOf(libsDir: string): string {
  const jar = fs.readdirSync(libsDir).find((f) => /^kafka_2\.13-.+\.jar$/.test(f));
  if (!jar) throw new Error(`no kafka_2.13-*.jar in ${libsDir}; run: bash .ci/install.sh`);
  return jar.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, '');
}

/** Resolves the broker jars with Maven if `libsDir` has none yet (offline first, as a rerun needs no network). */
export function ensureKafkaLibs(libsDir: string = DEFAULT_KAFKA_LIBS, log: (line: string) => void = () => undefined): void {
  if (fs.existsSync(libsDir) && fs.readdirSync(libsDir).some((f) => f.startsWith('kafka_2.13-'))) return;
  const pom = path.join(REPO_ROOT, '.ci', 'kafka', 'pom.xml');
  const args = ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libsDir}`];
  log(`kafka: resolving broker jars into ${libsDir} (mvn)`);
  try {
    runOrThrow('mvn', ['-o', ...args]);
  } catch {
    runOrThrow('mvn', args);
  }
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as Kafka's Uuid prints them. */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The java executable of `options`: its `java`, else $JAVA_HOME/bin/java, else 'java'. */
export function javaExecutable(options: KafkaBrokerOptions = {}): string {
  if (options.java) return options.java;
  if (process.env.JAVA_HOME) return path.join(process.env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

/** The broker's log4j2.properties: INFO to stdout, noisy loggers at WARN. */
export const LOG4J2 = `# Written by test/harness/kafka-broker.ts
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
`;

/** The `server.properties` of a single-node broker+controller in `dir` on `port`/`controllerPort`. */
export function serverProperties(dir: string, port: number, controllerPort: number, options: KafkaBrokerOptions): string {
  const config: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': path.join(dir, 'data'),
    'num.partitions': options.numPartitions ?? 1,
    'auto.create.topics.enable': options.autoCreateTopics ?? true,
    'group.initial.rebalance.delay.ms': options.groupInitialRebalanceDelayMs ?? 0,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'log.flush.interval.messages': Number.MAX_SAFE_INTEGER,
    'num.network.threads': 2,
    'num.io.threads': 4,
    ...options.extraConfig,
  };
  return Object.entries(config)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n') + '\n';
}

class StartFailed extends Error {
  constructor(message: string, readonly portInUse: boolean) {
    super(message);
  }
}

/** Formats KRaft storage and starts a single-node broker+controller; resolves once it serves metadata. */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  sweepOrphans(log);
  const libsDir = options.libsDir ?? DEFAULT_KAFKA_LIBS;
  if (options.libsDir === undefined) ensureKafkaLibs(libsDir, log);
  const version = kafkaVersionOf(libsDir);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, libsDir, version, started, log);
    } catch (e) {
      // Free ports are picked, then bound by the JVM a moment later: another process may win the race.
      if (e instanceof StartFailed && e.portInUse && attempt < 3) {
        log(`kafka: port taken before the broker bound it, retrying (${attempt})`);
        continue;
      }
      throw e;
    }
  }
}

async function startOnce(
  options: KafkaBrokerOptions,
  libsDir: string,
  version: string,
  started: number,
  log: (line: string) => void,
): Promise<KafkaBroker> {
  const dir = ownedTempDir('kafka');
  const logFile = path.join(dir, 'broker.log');
  const port = await freePort();
  const controllerPort = await freePort();
  const configFile = path.join(dir, 'server.properties');
  const log4jFile = path.join(dir, 'log4j2.properties');
  fs.writeFileSync(configFile, serverProperties(dir, port, controllerPort, options));
  fs.writeFileSync(log4jFile, LOG4J2);
  const java = javaExecutable(options);
  const classpath = path.join(libsDir, '*');
  const heap = options.heap ?? '512m';
  const common = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true', '-cp', classpath];

  let child: ChildProcess | undefined;
  const cleanUp = async (): Promise<void> => {
    if (child) await stopChild(child, options.stopGraceMs ?? 15_000);
    removeDir(dir);
  };
  try {
    // Format: a short JVM with a small heap; the same owned-process rules apply.
    const format = spawnOwned(
      java,
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', ...common, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', configFile],
      { dir, kind: 'kafka-format', logFile },
    );
    await exited(format);
    if (format.exitCode !== 0) {
      throw new StartFailed(`kafka: storage format failed (exit ${format.exitCode ?? format.signalCode}):\n${tail(logFile)}`, false);
    }

    child = spawnOwned(
      java,
      [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        ...common,
        'kafka.Kafka',
        configFile,
      ],
      { dir, kind: 'kafka', logFile },
    );
    const jvm = child;
    let exitedEarly = false;
    void exited(jvm).then(() => {
      exitedEarly = true;
    });
    const deadline = started + (options.startTimeoutMs ?? 90_000);
    const failIfDead = (): void => {
      if (!exitedEarly) return;
      const output = tail(logFile, 60);
      throw new StartFailed(
        `kafka: broker exited during startup (exit ${jvm.exitCode ?? jvm.signalCode}):\n${output}`,
        /Address already in use|BindException/.test(output),
      );
    };
    while (!(await canConnect(port))) {
      failIfDead();
      if (Date.now() > deadline) throw new StartFailed(`kafka: port ${port} not open after ${options.startTimeoutMs ?? 90_000} ms:\n${tail(logFile)}`, false);
      await sleep(100);
    }
    await waitForMetadata(`127.0.0.1:${port}`, deadline, failIfDead);
    const startupSeconds = (Date.now() - started) / 1000;
    log(`kafka: Apache Kafka ${version} serving on 127.0.0.1:${port} after ${startupSeconds.toFixed(1)} s (pid ${jvm.pid})`);

    let stopping: Promise<void> | undefined;
    return {
      brokers: `127.0.0.1:${port}`,
      version,
      startupSeconds,
      pid: jvm.pid!,
      dir,
      logFile,
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

/** Polls with a kafkajs admin until the broker lists itself and its group coordinator answers. */
async function waitForMetadata(brokers: string, deadline: number, failIfDead: () => void): Promise<void> {
  const kafka = new Kafka({
    clientId: 'klaxon-harness-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    requestTimeout: 5000,
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    failIfDead();
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) {
        await admin.listTopics();
        // The first FindCoordinator creates __consumer_offsets; until it exists every group join
        // fails with "group coordinator is not available". Do it here, once, for all tests.
        await admin.describeGroups(['klaxon-harness-warm-up']);
        return;
      }
    } catch (e) {
      lastError = e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(200);
  }
  throw new StartFailed(`kafka: broker at ${brokers} did not serve metadata in time: ${String(lastError)}`, false);
}
