/**
 * Entry point of the event-exporter bundle (`node .build/functions/event-exporter/index.js`).
 * Configuration: functions/event-exporter/settings.ts (WorkloadEnv, ExporterEnv and the Kafka
 * security keys). Exit codes: 0 after SIGTERM, 78 on bad configuration, 1 when leadership is lost
 * (the pod restarts as a follower) or on a bug.
 */
import { ConfigError } from '../runtime/config';
import { startHealthServer } from '../runtime/health';
import { loadKafkaSecurity } from '../runtime/kafka-security';
import { EXIT_CONFIG } from '../runtime/lifecycle';
import { Logger } from '../runtime/logger';
import { EventExporter } from './exporter';
import { KafkaRecordSink } from './kafka-sink';
import { eventsApi, leaseStore, loadKubeConfig } from './kube';
import { loadExporterSettings } from './settings';

async function main(): Promise<void> {
  let settings;
  let security;
  try {
    const problems: string[] = [];
    try {
      settings = loadExporterSettings(process.env);
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
    try {
      security = loadKafkaSecurity(process.env);
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
    if (problems.length > 0 || !settings || !security) throw new ConfigError(problems);
  } catch (e) {
    const problems = e instanceof ConfigError ? e.problems : [String(e)];
    const logger = new Logger('error');
    for (const problem of problems) logger.error('configuration problem', { problem });
    process.stderr.write(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exitCode = EXIT_CONFIG;
    return;
  }
  const logger = new Logger(settings.logLevel, { workload: settings.clientId });
  const kc = loadKubeConfig(settings.kubeconfig);
  const sink = new KafkaRecordSink(settings.topic, settings.brokers, settings.clientId, security, logger);
  const exporter = new EventExporter({ settings, logger, api: eventsApi(kc), lease: leaseStore(kc, settings.leaseNamespace, settings.leaseName), sink });
  const server = await startHealthServer(settings.httpPort, exporter.health, exporter.metrics.registry, logger);
  logger.info('http server listening', { port: server.port });

  let stopping = false;
  const exit = (code: number): void => {
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  };
  const shutdown = async (code: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { why });
    const bound = setTimeout(() => {
      logger.error('stop took longer than the bound', { boundMs: settings.shutdownTimeoutMs });
      exit(1);
    }, settings.shutdownTimeoutMs);
    bound.unref();
    await exporter.stop(Math.floor(settings.shutdownTimeoutMs / 2));
    await sink.disconnect();
    await server.close();
    clearTimeout(bound);
    logger.info('stopped', { code });
    exit(code);
  };
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled promise rejection', { error: reason });
    void shutdown(1, 'unhandled promise rejection');
  });
  logger.info('starting', {
    brokers: settings.brokers,
    topic: settings.topic,
    namespaces: settings.namespaces.length > 0 ? settings.namespaces : 'all',
    lease: `${settings.leaseNamespace}/${settings.leaseName}`,
    identity: settings.identity,
  });
  exporter.start((why) => void shutdown(1, `lost leadership: ${why}`));
}

void main();
