/**
 * What integration tests import: the broker and Alertmanager the jest global setup started
 * (test/harness/global-setup.ts), unique names, and the kcat and receiver helpers.
 */
import { randomBytes } from 'crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';

export * from './broker-info';

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

/** A kafkajs client for the test broker (quiet logs). */
export function kafka(clientId: string = uniqueName('test-client')): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });
}

/** Creates topics and waits until their leaders are known; returns the names. */
export async function createTopics(
  topics: ReadonlyArray<{ readonly topic: string; readonly partitions?: number; readonly config?: Readonly<Record<string, string>> }>,
  admin?: Admin,
): Promise<string[]> {
  const own = admin ?? kafka('harness-admin').admin();
  if (!admin) await own.connect();
  try {
    await own.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    if (!admin) await own.disconnect();
  }
  return topics.map((t) => t.topic);
}
