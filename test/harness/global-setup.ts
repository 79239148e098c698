/**
 * Jest global setup of the `integration` project: starts one real Apache Kafka broker (unless
 * KAFKA_BROKERS names one) and exports KAFKA_BROKERS to the test workers, which inherit this
 * process's environment. Handles are kept on globalThis for global-teardown.ts.
 */
import { writeBrokerInfo } from './broker-info';
import { KafkaBroker, startKafkaBroker } from './kafka-broker';

export interface HarnessState {
  broker?: KafkaBroker;
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
  log('');
  if (process.env.KAFKA_BROKERS) {
    log(`harness: using external broker KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`);
    writeBrokerInfo({ version: 'unknown', brokers: process.env.KAFKA_BROKERS, external: true, startedAt });
  } else {
    state.broker = await startKafkaBroker({ log });
    process.env.KAFKA_BROKERS = state.broker.brokers;
    writeBrokerInfo({
      version: state.broker.version,
      startupSeconds: state.broker.startupSeconds,
      harnessStartupSeconds: (Date.now() - started) / 1000,
      brokers: state.broker.brokers,
      external: false,
      startedAt,
    });
  }
}
