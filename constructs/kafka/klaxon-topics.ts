/**
 * Klaxon's standard topic set: `logs`, `cluster-events`, one fanout topic per declared namespace,
 * the cluster-scoped and unrouted fallback topics, and the dead-letter topic. Names come from
 * functions/contracts/topic-names.ts, the same module the functions read.
 */
import { Duration, Size } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DEFAULT_CLUSTER_EVENTS_TOPIC,
  DEFAULT_CLUSTER_SCOPED_TOPIC,
  DEFAULT_DEAD_LETTER_TOPIC,
  DEFAULT_LOGS_TOPIC,
  DEFAULT_NAMESPACE_TOPIC_PREFIX,
  DEFAULT_UNROUTED_TOPIC,
  namespaceTopicName,
} from '../../functions/contracts/topic-names';
import { checkInteger, checkNamespaceName, checkTopicName, describeProp, DNS_LABEL, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster } from './kafka-cluster';
import { KafkaTopic } from './kafka-topic';

/** Props of KlaxonTopics. */
export interface KlaxonTopicsProps {
  /** The cluster the topics live in. @default - the nearest KafkaCluster above in the construct tree */
  readonly cluster?: IKafkaCluster;
  /** Namespaces that get their own fanout topic (`<prefix><namespace>`). @default [] */
  readonly namespaces?: string[];
  /** Prefix of the per-namespace topics. @default DEFAULT_NAMESPACE_TOPIC_PREFIX ('events.') */
  readonly namespacePrefix?: string;
  /** Partitions of the `logs` topic (the upper bound of log-alerter replicas). @default 10 */
  readonly logsPartitions?: number;
  /** Partitions of `cluster-events`, the namespace and the fallback topics. @default 3 */
  readonly eventsPartitions?: number;
  /** Partitions of the dead-letter topic. @default 1 */
  readonly deadLetterPartitions?: number;
  /** Retention of `logs`. @default Duration.hours(2) (as the seed) */
  readonly logsRetention?: Duration;
  /** Retention of `cluster-events`, the namespace and the fallback topics. @default Duration.hours(2) (as the seed) */
  readonly eventsRetention?: Duration;
  /** Retention of the dead-letter topic (long enough to inspect and replay). @default Duration.days(7) */
  readonly deadLetterRetention?: Duration;
  /** Segment size of every topic. @default Size.gibibytes(1) (as the seed) */
  readonly segmentSize?: Size;
  /** Replication factor of every topic. @default - min(3, brokers of the cluster) */
  readonly replicas?: number;
  /** Name of the logs topic. @default DEFAULT_LOGS_TOPIC ('logs') */
  readonly logsTopicName?: string;
  /** Name of the cluster events topic. @default DEFAULT_CLUSTER_EVENTS_TOPIC ('cluster-events') */
  readonly clusterEventsTopicName?: string;
  /** Name of the dead-letter topic. @default DEFAULT_DEAD_LETTER_TOPIC ('klaxon.dead-letter') */
  readonly deadLetterTopicName?: string;
  /** Name of the fanout topic for cluster-scoped objects. @default DEFAULT_CLUSTER_SCOPED_TOPIC ('cluster-events.cluster-scoped') */
  readonly clusterScopedTopicName?: string;
  /** Name of the fanout topic for namespaces without their own topic. @default DEFAULT_UNROUTED_TOPIC ('cluster-events.unrouted') */
  readonly unroutedTopicName?: string;
}

/** The standard topic set of one Klaxon cluster. */
export class KlaxonTopics extends Construct {
  public readonly logs: KafkaTopic;
  public readonly clusterEvents: KafkaTopic;
  public readonly deadLetter: KafkaTopic;
  public readonly clusterScoped: KafkaTopic;
  public readonly unrouted: KafkaTopic;
  /** Prefix of the per-namespace topics. */
  public readonly namespacePrefix: string;
  /** The cluster the topics live in. */
  public readonly cluster: IKafkaCluster;

  private readonly _namespaces: string[];
  private readonly byNamespace = new Map<string, KafkaTopic>();

  constructor(scope: Construct, id: string, props: KlaxonTopicsProps = {}) {
    super(scope, id);
    const cluster = props.cluster ?? KafkaCluster.of(this);
    if (!cluster) {
      throw new PropError(`${describeProp('cluster', undefined)} of KlaxonTopics '${id}' must be set when the topics are not created inside a KafkaCluster.`);
    }
    this.cluster = cluster;
    const owner = `KlaxonTopics '${id}'`;
    const names = {
      logs: checkTopicName('logsTopicName', props.logsTopicName ?? DEFAULT_LOGS_TOPIC, owner),
      clusterEvents: checkTopicName('clusterEventsTopicName', props.clusterEventsTopicName ?? DEFAULT_CLUSTER_EVENTS_TOPIC, owner),
      deadLetter: checkTopicName('deadLetterTopicName', props.deadLetterTopicName ?? DEFAULT_DEAD_LETTER_TOPIC, owner),
      clusterScoped: checkTopicName('clusterScopedTopicName', props.clusterScopedTopicName ?? DEFAULT_CLUSTER_SCOPED_TOPIC, owner),
      unrouted: checkTopicName('unroutedTopicName', props.unroutedTopicName ?? DEFAULT_UNROUTED_TOPIC, owner),
    };

    this.namespacePrefix = checkNamespacePrefix(props.namespacePrefix ?? DEFAULT_NAMESPACE_TOPIC_PREFIX, Object.entries(names), owner);

    const namespaces = props.namespaces ?? [];
    const seen = new Set<string>();
    for (const ns of namespaces) {
      checkNamespaceName('namespaces[]', ns, owner);
      if (seen.has(ns)) throw new PropError(`${describeProp('namespaces[]', ns, owner)} is listed twice; list each namespace once.`);
      seen.add(ns);
    }
    this._namespaces = [...namespaces];

    const replicas = props.replicas;
    const segmentSize = props.segmentSize ?? Size.gibibytes(1);
    const eventsPartitions = checkInteger('eventsPartitions', props.eventsPartitions ?? 3, { min: 1, owner });
    const eventsRetention = props.eventsRetention ?? Duration.hours(2);
    const events = { cluster, partitions: eventsPartitions, replicas, retention: eventsRetention, segmentSize };

    this.logs = new KafkaTopic(this, 'Logs', {
      cluster,
      topicName: names.logs,
      partitions: checkInteger('logsPartitions', props.logsPartitions ?? 10, { min: 1, owner }),
      replicas,
      retention: props.logsRetention ?? Duration.hours(2),
      segmentSize,
    });
    this.clusterEvents = new KafkaTopic(this, 'ClusterEvents', { ...events, topicName: names.clusterEvents });
    this.clusterScoped = new KafkaTopic(this, 'ClusterScoped', { ...events, topicName: names.clusterScoped });
    this.unrouted = new KafkaTopic(this, 'Unrouted', { ...events, topicName: names.unrouted });
    this.deadLetter = new KafkaTopic(this, 'DeadLetter', {
      cluster,
      topicName: names.deadLetter,
      partitions: checkInteger('deadLetterPartitions', props.deadLetterPartitions ?? 1, { min: 1, owner }),
      replicas,
      retention: props.deadLetterRetention ?? Duration.days(7),
      segmentSize,
    });
    for (const ns of this._namespaces) {
      const topic = new KafkaTopic(this, `Namespace-${ns}`, { ...events, topicName: namespaceTopicName(ns, this.namespacePrefix) });
      this.byNamespace.set(ns, topic);
    }
  }

  /** The declared namespaces (a copy). */
  public get namespaces(): string[] {
    return [...this._namespaces];
  }

  /** Every topic of the set: logs, cluster-events, cluster-scoped, unrouted, dead-letter, then the namespace topics. */
  public get all(): KafkaTopic[] {
    return [this.logs, this.clusterEvents, this.clusterScoped, this.unrouted, this.deadLetter, ...this.byNamespace.values()];
  }

  /** Partitions, replicas and config every namespace topic gets (the events topics' settings; `unrouted` is made with them). */
  public get namespaceTopicSettings(): { partitions: number; replicas: number; config: Record<string, string | number | boolean> } {
    return { partitions: this.unrouted.partitions, replicas: this.unrouted.replicas, config: this.unrouted.config };
  }

  /** The fanout topic of a declared namespace, or undefined (its events go to `unrouted`). */
  public topicForNamespace(namespace: string): KafkaTopic | undefined {
    return this.byNamespace.get(namespace);
  }
}

/**
 * A namespace prefix is safe when no namespace topic can equal (or collide with, '.' ~ '_') a
 * standard topic: namespaces are DNS labels, so the prefix must be a legal topic-name start and no
 * standard topic may be `<prefix><dns label>`.
 */
function checkNamespacePrefix(prefix: string, standard: [string, string][], owner: string): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new PropError(`${describeProp('namespacePrefix', prefix, owner)} must not be empty; a namespace such as 'logs' would otherwise be the logs topic. Use e.g. 'events.'.`);
  }
  checkTopicName('namespacePrefix', `${prefix}x`, owner);
  const unify = (s: string) => s.replace(/\./g, '_');
  for (const [, name] of standard) {
    if (!unify(name).startsWith(unify(prefix))) continue;
    const rest = name.slice(prefix.length);
    if (DNS_LABEL.test(rest) && rest.length <= 63) {
      throw new PropError(`${describeProp('namespacePrefix', prefix, owner)} would give namespace '${rest}' the topic '${name}', which is already a standard topic; choose a prefix no standard topic starts with.`);
    }
  }
  return prefix;
}
