/**
 * A workload process from start to exit:
 *
 * 1. Read the configuration (runtime settings + the workload's own). On problems: print them all
 *    (one JSON log line each, and a plain listing on stderr) and exit 78 (EX_CONFIG).
 * 2. Start the HTTP server (/livez, /readyz, /metrics), then the Kafka worker; `start()` resolves
 *    when the group is joined.
 * 3. SIGTERM or SIGINT: stop the consumer (the batch in hand ends, resolved offsets are committed,
 *    the group is left) and any retry-topic consumers (retry-topics.ts), disconnect (the admin
 *    client too, if the workload used one), close the HTTP server, exit 0 — all within
 *    KLAXON_SHUTDOWN_TIMEOUT_MS; past that bound the process exits 1 (the offsets of the records in
 *    hand were not committed; they will be consumed again).
 * 4. A promise rejection nobody handled (a bug): logged as JSON, the same stop, exit 1.
 * 5. The consumer crashed for good (a non-retriable error, or KLAXON_MAX_RESTARTS crashes in a row):
 *    /livez fails, the same stop runs, the process exits 1 so Kubernetes restarts it.
 */
import { setFlagsFromString } from 'v8';
import { ConfigError, Env, RuntimeConfig, SettingsOf, SettingsSpec, WorkloadDefaults, loadConfig, readSettings } from './config';
import { resolveSecretFiles } from './secret-files';
import { Handler } from './handler';
import { HealthServer, HealthState, startHealthServer } from './health';
import { AdminConnection, workloadKafka } from './kafka-admin';
import { KafkaClientSecurity, loadKafkaSecurity } from './kafka-security';
import { Logger, LogSink } from './logger';
import { RuntimeMetrics } from './metrics';
import { RetryTopics } from './retry-topics';
import type { TopicAdmin } from './topic-creator';
import { KafkaWorker } from './worker';

/** Exit code for a configuration problem (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/** What a workload hands the handler factory. */
export interface WorkloadContext<S extends SettingsSpec> {
  readonly config: RuntimeConfig;
  /** The workload's own settings, read from the same environment. */
  readonly settings: SettingsOf<S>;
  readonly logger: Logger;
  /** Register workload metrics here (`registers: [metrics.registry]`). */
  readonly metrics: RuntimeMetrics;
  /** The environment the settings were read from (e.g. variables a setting names, filled from Secrets). @default - process.env */
  readonly env?: Env;
  /** A Kafka admin client (the topic part) of the workload's cluster and credentials, connected on first call, closed on stop. @default - none (tests) */
  readonly admin?: () => Promise<TopicAdmin>;
  /** Retry topics (park records, consume them in their own groups); stopped with the worker. Connects only when used. */
  readonly retryTopics?: RetryTopics;
}

/** A workload: its name, defaults, own settings, and a factory for its handler. */
export interface WorkloadDefinition<S extends SettingsSpec> {
  readonly defaults: WorkloadDefaults;
  readonly settings: S;
  /** Builds the handler once, at start; may throw `ConfigError` for cross-setting problems. */
  createHandler(context: WorkloadContext<S>): Handler;
  /**
   * Records whose async handler calls may run at once (each record still resolved in source order;
   * worker.ts). @default - 1: each call is awaited before the next record is handled
   */
  handlerConcurrency?(settings: SettingsOf<S>): number;
}

/** What the process around the workload provides; tests may pass their own. */
export interface ProcessPorts {
  readonly env: Env;
  readonly logSink: LogSink;
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => void;
  readonly onSignal: (signal: 'SIGTERM' | 'SIGINT', listener: () => void) => void;
  /** Where a promise rejection nobody handled is reported (Node's 'unhandledRejection'). */
  readonly onUnhandledRejection?: (listener: (reason: unknown) => void) => void;
  /** Sets V8 flags of this process (v8.setFlagsFromString). @default - none are set (tests run in-process) */
  readonly setV8Flags?: (flags: string) => void;
}

function realProcess(): ProcessPorts {
  return {
    env: process.env,
    logSink: (line) => process.stdout.write(line),
    stderr: (text) => process.stderr.write(text),
    // Exit once stdout is flushed, so the last log lines are not lost.
    exit: (code) => {
      process.exitCode = code;
      process.stdout.write('', () => process.exit(code));
    },
    onSignal: (signal, listener) => process.on(signal, listener),
    onUnhandledRejection: (listener) => process.on('unhandledRejection', listener),
    setV8Flags: (flags) => setFlagsFromString(flags),
  };
}

/**
 * Runs a workload until SIGTERM or a fatal crash, then exits the process. Never rejects: every
 * outcome ends in `exit(code)`.
 */
export async function runWorkload<S extends SettingsSpec>(definition: WorkloadDefinition<S>, ports: ProcessPorts = realProcess()): Promise<void> {
  let config: RuntimeConfig;
  let settings: SettingsOf<S>;
  let security: KafkaClientSecurity;
  let env: Env = ports.env;
  try {
    const problems: string[] = [];
    const attempt = <T>(read: () => T): T | undefined => {
      try {
        return read();
      } catch (e) {
        if (e instanceof ConfigError) problems.push(...e.problems);
        else throw e;
        return undefined;
      }
    };
    // Secrets come as mounted files (`<KEY>_FILE`, functions/runtime/secret-files.ts); every reader sees their values.
    env = attempt(() => resolveSecretFiles(ports.env)) ?? ports.env;
    const c = attempt(() => loadConfig(env, definition.defaults));
    const s = attempt(() => readSettings(definition.settings, env));
    const k = attempt(() => loadKafkaSecurity(env));
    if (problems.length > 0 || !c || !s || !k) throw new ConfigError(problems);
    config = c;
    settings = s;
    security = k;
  } catch (e) {
    return failConfig(e, ports);
  }

  if (config.heapGrowingPercent > 0) ports.setV8Flags?.(`--heap-growing-percent=${config.heapGrowingPercent}`);
  const logger = new Logger(config.logLevel, { workload: config.clientId }, ports.logSink);
  const metrics = new RuntimeMetrics(config.clientId);
  const health = new HealthState(config.readyStaleMs);
  const admin = new AdminConnection(workloadKafka(config, security, logger));
  let handler: Handler;
  let shutdownOnFatal = (): void => undefined;
  const retryTopics = new RetryTopics({ config, logger, security, onFatal: () => shutdownOnFatal() });
  try {
    handler = definition.createHandler({ config, settings, logger, metrics, env, admin: () => admin.get(), retryTopics });
  } catch (e) {
    return failConfig(e, ports);
  }

  let server: HealthServer | undefined;
  let worker: KafkaWorker | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number, why: string): Promise<void> => {
    if (stopping) return stopping;
    health.onStopping();
    logger.info('stopping', { why, boundMs: config.shutdownTimeoutMs });
    const started = Date.now();
    const bound = setTimeout(() => {
      logger.error('stop took longer than the bound; exiting without a clean stop', { boundMs: config.shutdownTimeoutMs });
      ports.exit(1);
    }, config.shutdownTimeoutMs);
    bound.unref?.();
    stopping = (async () => {
      await Promise.all([worker?.stop(), retryTopics.stop()]);
      await admin.close();
      await server?.close();
      clearTimeout(bound);
      logger.info('stopped', { code, ms: Date.now() - started });
      ports.exit(code);
    })();
    return stopping;
  };
  shutdownOnFatal = () => void shutdown(1, 'a retry consumer crashed for good');
  ports.onSignal('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  ports.onSignal('SIGINT', () => void shutdown(0, 'SIGINT'));
  // Without a listener Node would crash at once: a plain stack on stderr, no commit, no group leave.
  ports.onUnhandledRejection?.((reason) => {
    logger.error('unhandled promise rejection', { error: reason });
    void shutdown(1, 'unhandled promise rejection');
  });

  try {
    server = await startHealthServer(config.httpPort, health, metrics.registry, logger);
    logger.info('http server listening', { port: server.port });
    worker = new KafkaWorker({
      config,
      handler,
      logger,
      metrics,
      health,
      security,
      handlerConcurrency: definition.handlerConcurrency?.(settings),
      onFatal: () => void shutdown(1, 'consumer crashed for good'),
    });
    logger.info('starting', {
      brokers: config.brokers,
      sourceTopic: config.sourceTopic,
      groupId: config.groupId,
      deadLetterTopic: config.deadLetterTopic,
      tls: security.ssl !== undefined,
      sasl: security.sasl?.mechanism ?? 'none',
    });
    await worker.start();
    logger.info('started');
  } catch (e) {
    logger.error('start failed', { error: e });
    await shutdown(1, 'start failed');
  }
}

function failConfig(e: unknown, ports: ProcessPorts): void {
  const problems = e instanceof ConfigError ? e.problems : [e instanceof Error ? e.message : String(e)];
  const logger = new Logger('error', {}, ports.logSink);
  for (const problem of problems) logger.error('configuration problem', { problem });
  ports.stderr(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  ports.exit(EXIT_CONFIG);
}
