/**
 * What integration tests import: the broker and Alertmanager the jest global setup started
 * (test/harness/global-setup.ts), unique names, and the kcat and receiver helpers.
 */
import { Admin, Kafka, logLevel } from 'kafkajs';
import { alertmanagerRecorderUrl, brokers, uniqueName } from './env';
import { recordedBy } from './receivers';

export * from './broker-info';
export * from './env';
export * from './kcat';
export * from './receivers';
export * from './alertmanager';

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

/**
 * Webhook notifications the harness Alertmanager (ALERTMANAGER_URL) delivered so far, as Alertmanager
 * webhook messages; filter them by your alerts' unique labels.
 */
export async function alertmanagerDeliveries(): Promise<AlertmanagerWebhookMessage[]> {
  const requests = await recordedBy(alertmanagerRecorderUrl());
  return requests.map((r) => r.json as AlertmanagerWebhookMessage);
}

/** Polls alertmanagerDeliveries() until `predicate` holds for one message; resolves with it. */
export async function waitForAlertmanagerDelivery(
  predicate: (message: AlertmanagerWebhookMessage) => boolean,
  timeoutMs = 15_000,
): Promise<AlertmanagerWebhookMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await alertmanagerDeliveries()).find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no Alertmanager webhook delivery matched within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The body Alertmanager POSTs to a webhook_configs receiver (version 4). */
export interface AlertmanagerWebhookMessage {
  readonly version: string;
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly commonAnnotations: Record<string, string>;
  readonly externalURL: string;
  readonly alerts: Array<{
    readonly status: 'firing' | 'resolved';
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly generatorURL: string;
    readonly fingerprint: string;
  }>;
}
