/**
 * The consumer lag as KEDA's kafka scaler computes it (kedacore/keda v2.20.2,
 * pkg/scalers/kafka_scaler.go: getLagForPartition, getTotalLag, GetMetricsAndActivity), read
 * with a kafkajs admin so a test can check what KEDA would see:
 *
 * - per partition of the topic: latest offset (high watermark) minus the group's committed offset;
 * - no committed offset (-1): `latest` counts 1, `earliest` counts the latest offset (every record
 *   ever written, not latest minus log start); `scaleToZeroOnInvalidOffset` counts 0 instead;
 * - the workload is active when the summed lag exceeds `activationLagThreshold` (strictly);
 * - the metric the HPA divides by `lagThreshold` is capped at partitions x lagThreshold
 *   (`allowIdleConsumers: false`), or at partitions-with-lag x lagThreshold with
 *   `limitToPartitionsWithLag`.
 */
import { Admin } from 'kafkajs';

/** The trigger metadata fields the lag depends on (strings, as in the ScaledObject). */
export interface KafkaTriggerMetadata {
  readonly topic: string;
  readonly consumerGroup: string;
  readonly lagThreshold: string;
  readonly activationLagThreshold: string;
  readonly offsetResetPolicy?: string;
  readonly scaleToZeroOnInvalidOffset?: string;
  readonly limitToPartitionsWithLag?: string;
}

/** What KEDA would compute for one trigger. */
export interface KedaLag {
  /** Lag per partition. */
  readonly byPartition: ReadonlyMap<number, number>;
  /** Committed offset per partition (-1: none). */
  readonly committed: ReadonlyMap<number, number>;
  /** Summed lag. */
  readonly total: number;
  /** Whether KEDA would scale the workload from zero (total > activationLagThreshold). */
  readonly active: boolean;
  /** The metric value handed to the HPA (total, capped). */
  readonly metric: number;
}

/** Reads offsets with `admin` and computes the lag of the trigger `metadata` the way KEDA does. */
export async function kedaLag(admin: Admin, metadata: KafkaTriggerMetadata): Promise<KedaLag> {
  const policy = metadata.offsetResetPolicy ?? 'latest'; // KEDA's default
  const scaleToZero = metadata.scaleToZeroOnInvalidOffset === 'true';
  const lagThreshold = Number(metadata.lagThreshold);
  const activation = Number(metadata.activationLagThreshold ?? '0');

  const latest = new Map((await admin.fetchTopicOffsets(metadata.topic)).map((p) => [p.partition, Number(p.high)]));
  const [fetched] = await admin.fetchOffsets({ groupId: metadata.consumerGroup, topics: [metadata.topic] });
  const committed = new Map((fetched?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));

  const byPartition = new Map<number, number>();
  for (const [partition, high] of latest) {
    const offset = committed.get(partition) ?? -1;
    let lag: number;
    if (offset === -1) lag = scaleToZero ? 0 : policy === 'latest' ? 1 : high;
    else lag = high - offset;
    byPartition.set(partition, lag);
  }
  const total = [...byPartition.values()].reduce((a, b) => a + b, 0);
  const withLag = [...byPartition.values()].filter((l) => l > 0).length;
  const upper = metadata.limitToPartitionsWithLag === 'true' ? withLag : latest.size;
  const metric = Math.floor(total / lagThreshold) > upper ? upper * lagThreshold : total;
  return { byPartition, committed: new Map([...latest.keys()].map((p) => [p, committed.get(p) ?? -1])), total, active: total > activation, metric };
}
