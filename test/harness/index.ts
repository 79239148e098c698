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

/**
 * A kafkajs client for the test broker (quiet logs). Its retries span about 30 s (kafkajs' default is
 * about 10 s), so a busy CI machine's slow leader election does not fail a test's first produce.
 */
export function kafka(clientId: string = uniqueName('test-client'), level: logLevel = logLevel.ERROR): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: level, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 8000 } });
}

/** Creates topics and waits until their leaders are known; returns the names. */
export async function createTopics(
  topics: ReadonlyArray<{ readonly topic: string; readonly partitions?: number; readonly config?: Readonly<Record<string, string>> }>,
  admin?: Admin,
): Promise<string[]> {
  // Quiet: the expected NOT_LEADER/UNKNOWN_TOPIC answers while waiting are not errors; a real failure is thrown below.
  const own = admin ?? kafka('harness-admin', logLevel.NOTHING).admin();
  if (!admin) await own.connect();
  try {
    // kafkajs' waitForLeaders can fail with UNKNOWN_TOPIC_OR_PARTITION while a KRaft broker is still
    // publishing the new topics' metadata; poll the metadata ourselves until every partition has a leader.
    await own.createTopics({
      waitForLeaders: false,
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: t.partitions ?? 1,
        replicationFactor: 1,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitForLeaders(own, topics.map((t) => ({ topic: t.topic, partitions: t.partitions ?? 1 })));
  } finally {
    if (!admin) await own.disconnect();
  }
  return topics.map((t) => t.topic);
}

/**
 * Resolves once every partition of `topics` has a leader that serves it; throws after `timeoutMs`.
 *
 * A KRaft broker publishes a new partition's leader in its metadata a moment before its replica
 * manager takes the leadership, and in that gap a produce is answered NOT_LEADER_OR_FOLLOWER. So
 * besides the metadata, each partition's offsets are listed (ListOffsets is served by the leader
 * only, and fails the same way until it leads).
 */
export async function waitForLeaders(
  admin: Admin,
  topics: ReadonlyArray<{ readonly topic: string; readonly partitions: number }>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = topics.every((want) => {
        const meta = found.find((f) => f.name === want.topic);
        return meta !== undefined && meta.partitions.length === want.partitions && meta.partitions.every((p) => p.leader >= 0);
      });
      if (ready) {
        for (const t of topics) await admin.fetchTopicOffsets(t.topic);
        return;
      }
    } catch (e) {
      last = e; // UNKNOWN_TOPIC_OR_PARTITION until the metadata is published, NOT_LEADER_OR_FOLLOWER until the leader serves
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.map((t) => t.topic).join(', ')} have no leader after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
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
