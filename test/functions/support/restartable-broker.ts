/**
 * A single-node Kafka broker that can be stopped and started again on the same port and data dir,
 * for the broker-restart test. Built from the harness's own parts (jars, server.properties, log4j
 * config, owned processes, free ports); the harness broker itself has no restart (its stop()
 * removes its dir).
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_KAFKA_LIBS, LOG4J2, clusterId, ensureKafkaLibs, javaExecutable, serverProperties } from '../../harness/kafka-broker';
import { canConnect, exited, freePort, ownedTempDir, removeDir, spawnOwned, stopChild, tail } from '../../harness/processes';

export interface RestartableBroker {
  readonly brokers: string;
  readonly logFile: string;
  /** Starts the JVM (again); resolves once the port accepts connections. */
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown), SIGKILL after the grace bound. */
  stop(): Promise<void>;
  /** SIGKILL: the broker dies at once (an unclean shutdown; its log is recovered on start). */
  kill(): Promise<void>;
  /** Stops and removes the data dir. */
  destroy(): Promise<void>;
}

export async function createRestartableBroker(): Promise<RestartableBroker> {
  ensureKafkaLibs();
  const dir = ownedTempDir('kafka-restartable');
  const port = await freePort();
  const controllerPort = await freePort();
  const logFile = path.join(dir, 'broker.log');
  const configFile = path.join(dir, 'server.properties');
  const log4j = path.join(dir, 'log4j2.properties');
  fs.writeFileSync(configFile, serverProperties(dir, port, controllerPort, { autoCreateTopics: false }));
  fs.writeFileSync(log4j, LOG4J2);
  const java = javaExecutable();
  const common = [`-Dlog4j2.configurationFile=${log4j}`, '-Djava.awt.headless=true', '-cp', path.join(DEFAULT_KAFKA_LIBS, '*')];
  const format = spawnOwned(java, ['-Xmx256m', ...common, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', configFile], {
    dir,
    kind: 'kafka-format',
    logFile,
  });
  await exited(format);
  if (format.exitCode !== 0) throw new Error(`storage format failed:\n${tail(logFile)}`);

  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 20_000);
    child = undefined;
  };
  const start = async (): Promise<void> => {
    if (child) return;
    const jvm = spawnOwned(java, ['-Xms384m', '-Xmx384m', '-XX:+UseG1GC', ...common, 'kafka.Kafka', configFile], { dir, kind: 'kafka', logFile });
    child = jvm;
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(port))) {
      if (jvm.exitCode !== null || jvm.signalCode !== null) throw new Error(`broker exited on start:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`broker port ${port} not open in time:\n${tail(logFile)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (): Promise<void> => {
    if (!child) return;
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    child = undefined;
  };
  return {
    brokers: `127.0.0.1:${port}`,
    logFile,
    start,
    stop,
    kill,
    destroy: async () => {
      await stop();
      removeDir(dir);
    },
  };
}
