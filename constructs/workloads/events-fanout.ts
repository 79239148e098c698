/**
 * events-fanout: consumes `cluster-events` and writes each Kubernetes Event to the topic of its
 * namespace (`events.<ns>`), to `cluster-events.cluster-scoped` for cluster-scoped objects, or to
 * `cluster-events.unrouted` for namespaces without a declared topic (or, with `namespaceTopics:
 * NamespaceTopics.createOnFirstSight()`, to their own topic, created on first sight); records it
 * cannot parse go to the dead-letter topic. Every topic name in its env comes from the KlaxonTopics object, the same
 * one that creates the topics.
 *
 * main.ts (the only reader of files):
 *
 *   const code = FunctionCode.fromBundle(fs.readFileSync(bundlePath('events-fanout')));
 *   new EventsFanout(chart, 'EventsFanout', { topics, code });
 */
import { Construct } from 'constructs';
import { CREATE_NAMESPACE_TOPICS_ON, CreatedTopicSpec, encodeTopicConfig } from '../../functions/contracts/namespace-topics';
import { FanoutEnv, WORKLOAD_IDENTITIES } from '../../functions/contracts/workload-env';
import { ConsumerGroup } from '../kafka/consumer-group';
import type { KafkaUser } from '../kafka/kafka-user';
import type { KlaxonTopics } from '../kafka/klaxon-topics';
import { describeProp, PropError } from '../validation';
import { FunctionCode } from './function-code';
import { KafkaFunction, KafkaFunctionOptions } from './kafka-function';
import { NamespaceTopics } from './namespace-topics';

/** The consumer group id of events-fanout unless a ConsumerGroup is given. */
export const DEFAULT_FANOUT_GROUP_ID = WORKLOAD_IDENTITIES.eventsFanout.groupId;

/** The workload name (container, labels, client id) of events-fanout. */
export const FANOUT_WORKLOAD_NAME = WORKLOAD_IDENTITIES.eventsFanout.name;

/** Props of EventsFanout. */
export interface EventsFanoutProps extends KafkaFunctionOptions {
  /** The topic set: source `clusterEvents`, dead letters to `deadLetter`, outputs the namespace, cluster-scoped and unrouted topics. */
  readonly topics: KlaxonTopics;
  /** The bundle of functions/events-fanout (`FunctionCode.fromBundle(bytes)`) or an image. */
  readonly code: FunctionCode;
  /** The consumer group. @default - a ConsumerGroup 'klaxon-events-fanout' in the topics' cluster */
  readonly group?: ConsumerGroup;
  /** The KafkaUser the fanout authenticates as, granted exactly the ACLs it needs; required when the cluster's workload listener authenticates. @default - none */
  readonly user?: KafkaUser;
  /** Namespaces without a declared topic: their events go to `unrouted`, or their topic is created on first sight (`NamespaceTopics.createOnFirstSight()`). @default NamespaceTopics.declaredOnly() */
  readonly namespaceTopics?: NamespaceTopics;
}

/** The events-fanout workload: a KafkaFunction (id 'Resource') wired to a KlaxonTopics set. */
export class EventsFanout extends Construct {
  /** The function (Deployment, ServiceAccount, code ConfigMap). */
  public readonly function: KafkaFunction;
  /** The topic set it reads from and writes to. */
  public readonly topics: KlaxonTopics;
  /** Its consumer group. */
  public readonly group: ConsumerGroup;
  /** What happens to namespaces without a declared topic. */
  public readonly namespaceTopics: NamespaceTopics;
  /** Partitions, replicas and config of a topic created on first sight; undefined in the declared-only mode. */
  public readonly createdTopicSpec?: CreatedTopicSpec;

  constructor(scope: Construct, id: string, props: EventsFanoutProps) {
    super(scope, id);
    if (!props.topics) {
      throw new PropError(`${describeProp('topics', undefined, 'EventsFanout')} must be set: the KlaxonTopics the fanout reads and writes.`);
    }
    this.topics = props.topics;
    const namespaceTopics = props.namespaceTopics ?? NamespaceTopics.declaredOnly();
    if (!(namespaceTopics instanceof NamespaceTopics)) {
      throw new PropError(`${describeProp('namespaceTopics', namespaceTopics, 'EventsFanout')} must be NamespaceTopics.declaredOnly() or NamespaceTopics.createOnFirstSight({ partitions, replicas, config }).`);
    }
    this.namespaceTopics = namespaceTopics;
    this.createdTopicSpec = namespaceTopics._resolve(this.topics, `EventsFanout '${id}'`);
    this.group = props.group ?? new ConsumerGroup(this, 'Group', { cluster: this.topics.cluster, groupId: DEFAULT_FANOUT_GROUP_ID });

    const { topics, code, group: _group, user, namespaceTopics: _namespaceTopics, ...options } = props;
    this.function = new KafkaFunction(this, 'Resource', {
      ...options,
      code,
      workloadName: FANOUT_WORKLOAD_NAME,
      cluster: topics.cluster,
      source: topics.clusterEvents,
      group: this.group,
      deadLetter: topics.deadLetter,
      user,
    });
    this.function.addEnv(FanoutEnv.NAMESPACE_TOPIC_PREFIX, () => topics.namespacePrefix);
    this.function.addEnv(FanoutEnv.NAMESPACES, () => topics.namespaces.join(','));
    this.function.addEnv(FanoutEnv.CLUSTER_SCOPED_TOPIC, () => topics.clusterScoped.topicName);
    this.function.addEnv(FanoutEnv.UNROUTED_TOPIC, () => topics.unrouted.topicName);
    const created = this.createdTopicSpec;
    if (created) {
      this.function.addEnv(FanoutEnv.CREATE_NAMESPACE_TOPICS, CREATE_NAMESPACE_TOPICS_ON);
      this.function.addEnv(FanoutEnv.CREATED_TOPIC_PARTITIONS, String(created.partitions));
      this.function.addEnv(FanoutEnv.CREATED_TOPIC_REPLICAS, String(created.replicas));
      this.function.addEnv(FanoutEnv.CREATED_TOPIC_CONFIG, encodeTopicConfig(created.config));
    }

    if (user) this.grantTo(user);
  }

  /** The env of the fanout container, as rendered (a copy). */
  public get env(): Record<string, string> {
    return this.function.env;
  }

  /**
   * Grant `user` least privilege for the fanout: Read on `cluster-events` in the fanout's group,
   * Write on the dead-letter, cluster-scoped and unrouted topics and on each declared namespace
   * topic — or, when no namespace is declared (every namespace is routed), Write on the topics
   * prefixed with the namespace prefix. When topics are created on first sight: Create, Describe
   * and Write on the topics prefixed with the namespace prefix (a `prefix` pattern), nothing wider.
   */
  public grantTo(user: KafkaUser): void {
    this.function.grantTo(user);
    const write = ['Write', 'Describe'] as const;
    for (const topic of [this.topics.clusterScoped, this.topics.unrouted]) {
      user.addAcl({ resourceType: 'topic', name: topic.topicName, operations: [...write] });
    }
    const namespaces = this.topics.namespaces;
    if (this.namespaceTopics.createsTopics) {
      user.addAcl({ resourceType: 'topic', name: this.topics.namespacePrefix, patternType: 'prefix', operations: ['Create', ...write] });
    } else if (namespaces.length === 0) {
      user.addAcl({ resourceType: 'topic', name: this.topics.namespacePrefix, patternType: 'prefix', operations: [...write] });
    }
    for (const ns of namespaces) {
      user.addAcl({ resourceType: 'topic', name: this.topics.topicForNamespace(ns)!.topicName, operations: [...write] });
    }
  }
}
