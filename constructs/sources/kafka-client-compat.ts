/**
 * Which Kafka protocol an event source's client speaks, and the synth-time check that refuses a
 * client Kafka 4 will not serve.
 *
 * Evidence (read from the programs' sources, proven by test/integration/sarama-compat.test.ts):
 * kube-eventer 1.2.14 (Shopify/sarama v1.22.1, common/kafka/kafka.go) and heptiolabs/eventrouter
 * v0.3 (Shopify/sarama v1.23.1, sinks/kafkasink.go) never set sarama's `Config.Version`, which then
 * defaults to 0.8.2 and sends Produce v0. Kafka 4 removed Produce v0-v2 (KIP-896): the broker logs
 * `UnsupportedVersionException: ... (Produce) and unsupported version 0` and closes the connection,
 * and the producer reports `EOF`. IBM/sarama v1.46.3 (openshift/eventrouter master) defaults to
 * protocol 2.1.0 (Produce v7), which Kafka 4 serves.
 */
import type { ContainerImage } from '../images';
import type { IKafkaCluster } from '../kafka/kafka-cluster';
import { describeProp, PropError } from '../validation';

/** How a client picks Kafka protocol versions. */
export type KafkaProtocolSupport =
  /** Uses request versions Kafka 4 still serves (a modern default or ApiVersions negotiation). */
  | 'kafka4-compatible'
  /** Speaks the Kafka 0.8.2 protocol (Produce v0): refused by Kafka 4 brokers. */
  | 'legacy-0.8.2';

/** The Kafka client library inside an image, as far as the Kafka protocol goes. */
export interface KafkaClientInfo {
  /** Library and version, e.g. 'Shopify/sarama v1.22.1'. */
  readonly library: string;
  /** Which protocol versions it sends. */
  readonly protocol: KafkaProtocolSupport;
}

/** An event source's image and the Kafka client inside it (the base of EventrouterImage and KubeEventerImage). */
export abstract class KafkaClientImage {
  protected constructor(
    /** The image (repository, tag, optional digest). */
    public readonly image: ContainerImage,
    /** The Kafka client inside. */
    public readonly kafkaClient: KafkaClientInfo,
  ) {}

  /** The reference a pod spec takes: `repository:tag` or `repository:tag@sha256:…`. */
  public get reference(): string {
    return this.image.reference;
  }
}

/** The major version of a Kafka version string ('4.1.1' -> 4); NaN when it is not a version. */
export function kafkaMajorVersion(version: string): number {
  const match = /^(\d+)\./.exec(version);
  return match ? Number(match[1]) : Number.NaN;
}

/** What a compatibility check needs to know. */
export interface KafkaClientCompatCheck {
  /** The construct, for the message: `Eventrouter 'Events'`. */
  readonly owner: string;
  /** The prop that chose the image. */
  readonly prop: string;
  /** The image reference. */
  readonly image: string;
  /** Its Kafka client. */
  readonly client: KafkaClientInfo;
  /** The cluster it would write to. */
  readonly cluster: IKafkaCluster;
  /** What the user can do instead, one sentence each. */
  readonly waysOut: readonly string[];
}

/** Throws when `client` speaks a protocol the cluster's Kafka version no longer serves. */
export function checkKafkaClientCompat(check: KafkaClientCompatCheck): void {
  if (check.client.protocol !== 'legacy-0.8.2') return;
  const major = kafkaMajorVersion(check.cluster.kafkaVersion);
  if (!(major >= 4)) return;
  const ways = check.waysOut.map((w, i) => `(${i + 1}) ${w}`).join(' ');
  throw new PropError(
    `${describeProp(check.prop, check.image, check.owner)} cannot write to Kafka ${check.cluster.kafkaVersion} `
    + `of cluster '${check.cluster.clusterName}': it ships ${check.client.library}, which never sets sarama's protocol version `
    + 'and so sends Produce v0, which Kafka 4 removed (KIP-896); the broker closes the connection and every event is lost. '
    + `Ways out: ${ways}`,
  );
}
