/**
 * Jest global setup of the `integration` project. Starts, in parallel:
 * - one real Apache Kafka broker (unless KAFKA_BROKERS already names one),
 * - a real Alertmanager whose only route posts to a webhook recorder living in this process,
 * and exports to the test workers (which inherit this process's environment):
 *   KAFKA_BROKERS                       e.g. 127.0.0.1:39xxx
 *   ALERTMANAGER_URL                    e.g. http://127.0.0.1:40xxx (API v2 at /api/v2)
 *   ALERTMANAGER_WEBHOOK_RECORDER_URL   what Alertmanager delivered (see alertmanagerDeliveries())
 *   KLAXON_HARNESS_KAFKA_VERSION        e.g. 4.1.1 ('unknown' for an external broker)
 * Writes .cache/kafka/broker.json (version, startup seconds) for the benchmarks.
 * Handles are kept on globalThis for global-teardown.ts.
 */
import { writeBrokerInfo } from './broker-info';
import { Alertmanager, startAlertmanager } from './alertmanager';
import { KafkaBroker, startKafkaBroker } from './kafka-broker';
import { Receiver, genericWebhook } from './receivers';

export interface HarnessState {
  broker?: KafkaBroker;
  alertmanager?: Alertmanager;
  recorder?: Receiver;
}

export const HARNESS_STATE = '__klaxonHarness';

export default async function globalSetup(): Promise<void> {
  const state: HarnessState = {};
  (globalThis as Record<string, unknown>)[HARNESS_STATE] = state;
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const external = process.env.KAFKA_BROKERS;
  log('');
  if (external) log(`harness: using external broker KAFKA_BROKERS=${external}`);

  const startBroker = async (): Promise<void> => {
    if (external) return;
    state.broker = await startKafkaBroker({ log });
  };
  const startAlerting = async (): Promise<void> => {
    state.recorder = await genericWebhook({ name: 'alertmanager-webhook-recorder', path: '/alertmanager' });
    state.alertmanager = await startAlertmanager({ webhookUrl: state.recorder.url, log });
  };
  const results = await Promise.allSettled([startBroker(), startAlerting()]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await stopHarness(state);
    throw failure.reason;
  }

  const harnessStartupSeconds = (Date.now() - started) / 1000;
  process.env.ALERTMANAGER_URL = state.alertmanager!.url;
  process.env.ALERTMANAGER_WEBHOOK_RECORDER_URL = state.recorder!.baseUrl;
  process.env.KLAXON_HARNESS_KAFKA_VERSION = state.broker?.version ?? 'unknown';
  if (state.broker) {
    process.env.KAFKA_BROKERS = state.broker.brokers;
    writeBrokerInfo({
      version: state.broker.version,
      startupSeconds: state.broker.startupSeconds,
      harnessStartupSeconds,
      brokers: state.broker.brokers,
      external: false,
      startedAt,
    });
  } else {
    writeBrokerInfo({ version: 'unknown', brokers: external!, external: true, harnessStartupSeconds, startedAt });
  }
  log(`harness: ready in ${harnessStartupSeconds.toFixed(1)} s: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} ALERTMANAGER_URL=${process.env.ALERTMANAGER_URL}`);
}

/** Stops whatever of the harness is running (used by global-teardown.ts and on a failed setup). */
export async function stopHarness(state: HarnessState): Promise<void> {
  await Promise.allSettled([state.broker?.stop(), state.alertmanager?.stop()]);
  await state.recorder?.close();
}
