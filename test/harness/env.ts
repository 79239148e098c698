/** The harness's environment contract with the test workers (set by global-setup.ts). */
import { randomBytes } from 'crypto';

/** The bootstrap servers of the test broker (KAFKA_BROKERS, set by the global setup or by you). */
export function brokers(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) {
    throw new Error('KAFKA_BROKERS is not set: run integration tests with `npx jest --selectProjects integration` (its global setup starts a broker) or set KAFKA_BROKERS');
  }
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Base URL of the test Alertmanager (ALERTMANAGER_URL, set by the global setup), e.g. http://127.0.0.1:40123. */
export function alertmanagerUrl(): string {
  const value = process.env.ALERTMANAGER_URL;
  if (!value) throw new Error('ALERTMANAGER_URL is not set: run with `npx jest --selectProjects integration`');
  return value.replace(/\/$/, '');
}

/**
 * A name unique to this run and call, valid as a Kafka topic, group id or label value:
 * `<prefix>-<time base36>-<6 hex>`, e.g. `orders-m3x1k2ab-9f03c1`.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Base URL of the recorder that receives the harness Alertmanager's webhook notifications. */
export function alertmanagerRecorderUrl(): string {
  const value = process.env.ALERTMANAGER_WEBHOOK_RECORDER_URL;
  if (!value) throw new Error('ALERTMANAGER_WEBHOOK_RECORDER_URL is not set: run with `npx jest --selectProjects integration`');
  return value;
}
