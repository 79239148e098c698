/**
 * What events-fanout does with a namespace that has no declared topic: send its events to the
 * unrouted topic (declared-only, the default), or create `<prefix><namespace>` on first sight with
 * the declared namespace topics' settings, so a new team namespace gets its topic without a redeploy.
 *
 *   new EventsFanout(chart, 'EventsFanout', { topics, code, namespaceTopics: NamespaceTopics.createOnFirstSight() });
 *   NamespaceTopics.createOnFirstSight({ partitions: 6, config: { 'retention.ms': 86_400_000 } });
 *
 * Topics created this way are not KafkaTopic resources: Strimzi's (unidirectional) topic operator
 * neither manages nor deletes them (README "events-fanout").
 */
import { CREATED_TOPIC_LIMITS, CreatedTopicSpec } from '../../functions/contracts/namespace-topics';
import type { KlaxonTopics } from '../kafka/klaxon-topics';
import { TOPIC_CONFIG_KEYS } from '../kafka/kafka-topic';
import { checkInteger, describeProp, PropError } from '../validation';

/** Settings of a namespace topic created on first sight; each not given is the declared namespace topics'. */
export interface CreatedNamespaceTopicOptions {
  /** Partitions of each created topic. @default - the partitions of the declared namespace topics (KlaxonTopics 'eventsPartitions') */
  readonly partitions?: number;
  /** Replication factor of each created topic, at most the cluster's brokers. @default - the replicas of the declared namespace topics */
  readonly replicas?: number;
  /** Topic config, laid over the declared namespace topics' config (Kafka topic-level keys only). @default - the declared namespace topics' config (retention, segment size, min.insync.replicas) */
  readonly config?: Record<string, string | number | boolean>;
}

const OPTION_KEYS: readonly string[] = ['partitions', 'replicas', 'config'];

/** How events-fanout treats namespaces without a declared topic. */
export class NamespaceTopics {
  /** Only declared namespaces get a topic; events of the others go to the unrouted topic (the default). */
  public static declaredOnly(): NamespaceTopics {
    return new NamespaceTopics(false, {});
  }

  /**
   * A namespace without a declared topic gets `<prefix><namespace>`, created by the fanout (Kafka
   * admin) the first time one of its events arrives; its KafkaUser is granted Create on the prefix.
   */
  public static createOnFirstSight(options: CreatedNamespaceTopicOptions = {}): NamespaceTopics {
    return new NamespaceTopics(true, options);
  }

  private constructor(
    /** True when the fanout creates the topics of undeclared namespaces. */
    public readonly createsTopics: boolean,
    private readonly options: CreatedNamespaceTopicOptions,
  ) {}

  /**
   * The settings of a created topic, from the declared ones of `topics` and the options, checked;
   * undefined in the declared-only mode. Fails naming the prop and value. @internal
   */
  public _resolve(topics: KlaxonTopics, owner: string): CreatedTopicSpec | undefined {
    if (!this.createsTopics) return undefined;
    const options = this.options ?? {};
    if (typeof options !== 'object' || Array.isArray(options)) {
      throw new PropError(`${describeProp('namespaceTopics', options, owner)} must be NamespaceTopics.createOnFirstSight({ partitions, replicas, config }) with an object.`);
    }
    const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.includes(k));
    if (unknown.length > 0) {
      throw new PropError(`${describeProp(`namespaceTopics.${unknown[0]}`, (options as Record<string, unknown>)[unknown[0]], owner)} is not an option of createOnFirstSight(); the options are ${OPTION_KEYS.map((k) => `'${k}'`).join(', ')}.`);
    }
    const declared = topics.namespaceTopicSettings;
    const { partitions: p, replicas: r, config: extra } = options;
    const partitions = checkInteger('namespaceTopics.partitions', p ?? declared.partitions, { min: 1, max: CREATED_TOPIC_LIMITS.maxPartitions, owner });
    const replicas = checkInteger('namespaceTopics.replicas', r ?? declared.replicas, { min: 1, max: CREATED_TOPIC_LIMITS.maxReplicas, owner });
    const brokers = topics.cluster.brokerCount;
    if (replicas > brokers) {
      throw new PropError(`${describeProp('namespaceTopics.replicas', replicas, owner)} exceeds the brokers of cluster '${topics.cluster.clusterName}' (${brokers}); Kafka would refuse every topic. Lower 'replicas'.`);
    }
    if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
      throw new PropError(`${describeProp('namespaceTopics.config', extra, owner)} must be an object of Kafka topic config keys to values.`);
    }
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(declared.config)) config[key] = String(value);
    // Fewer replicas than declared: min.insync.replicas follows KafkaTopic's rule for the new count.
    if (r !== undefined && r !== declared.replicas) config['min.insync.replicas'] = String(Math.max(1, Math.min(2, replicas - 1)));
    for (const [key, value] of Object.entries(extra ?? {})) {
      if (!TOPIC_CONFIG_KEYS.includes(key)) {
        throw new PropError(`${describeProp(`namespaceTopics.config.${key}`, value, owner)} is not a Kafka topic config; Kafka would refuse every topic. Use a topic-level key such as 'retention.ms'.`);
      }
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        throw new PropError(`${describeProp(`namespaceTopics.config.${key}`, value, owner)} must be a string, number or boolean.`);
      }
      config[key] = String(value);
    }
    const isr = Number(config['min.insync.replicas'] ?? 1);
    if (isr > replicas) {
      throw new PropError(`${describeProp('namespaceTopics.config.min.insync.replicas', config['min.insync.replicas'], owner)} exceeds 'namespaceTopics.replicas' (${replicas}); producers with acks=all could never write. Lower it or raise 'replicas'.`);
    }
    return { partitions, replicas, config };
  }
}
