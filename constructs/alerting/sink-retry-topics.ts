/**
 * The retry topics of an alerter's sinks: one KafkaTopic `<group>.retry.<sink>` (one partition, so
 * one order) and one ConsumerGroup `<group>.retry.<sink>` per sink that is sent alerts one by one
 * (every sink but a grouped Slack or webhook sink), and ALERTER_SINK_RETRY=topics on the function,
 * so the workload parks what a sink cannot take now there (functions/log-alerter/sink-retry.ts).
 * Names come from functions/contracts/topic-names.ts, the ones the workload derives.
 *
 * The alerter's KafkaUser is granted Read, Write and Describe on each retry topic and Read and
 * Describe on each retry group, nothing more. The function's scaler watches only its own group, so
 * a sink's backlog never scales the alerter.
 */
import { Construct } from 'constructs';
import { AlertSinkSpec, sinkIsParkable } from '../../functions/contracts/alert-sinks';
import { sinkRetryGroupId, sinkRetryTopicName } from '../../functions/contracts/topic-names';
import { AlerterEnv } from '../../functions/contracts/workload-env';
import { ConsumerGroup } from '../kafka/consumer-group';
import { KafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import type { KafkaFunction } from '../workloads/kafka-function';

/** Props of SinkRetryTopics. */
export interface SinkRetryTopicsProps {
  /** The alerter function whose sinks get retry topics (its consumer group names them). */
  readonly function: KafkaFunction;
}

/** One sink's retry topic and the group that drains it. */
export interface SinkRetryTopic {
  readonly sink: string;
  readonly topic: KafkaTopic;
  readonly group: ConsumerGroup;
}

/** Retry topics and groups of one alerter function's sinks. */
export class SinkRetryTopics extends Construct {
  /** The function the topics belong to. */
  public readonly function: KafkaFunction;
  private readonly _topics: SinkRetryTopic[] = [];
  private readonly users: KafkaUser[] = [];

  constructor(scope: Construct, id: string, props: SinkRetryTopicsProps) {
    super(scope, id);
    this.function = props.function;
    this.function.addEnv(AlerterEnv.SINK_RETRY, 'topics');
    if (this.function.user) this.users.push(this.function.user);
  }

  /** Adds the retry topic and group of sink `name` (none for a grouped sink); users granted so far get it too. */
  public addSink(name: string, spec: AlertSinkSpec): void {
    if (!sinkIsParkable(spec)) return;
    const fn = this.function;
    const topic = new KafkaTopic(this, `Topic-${name}`, { cluster: fn.cluster, topicName: sinkRetryTopicName(fn.group.groupId, name), partitions: 1 });
    const group = new ConsumerGroup(this, `Group-${name}`, { cluster: fn.cluster, groupId: sinkRetryGroupId(fn.group.groupId, name) });
    const retry = { sink: name, topic, group };
    this._topics.push(retry);
    for (const user of this.users) grant(retry, user);
  }

  /** The retry topics (a copy). */
  public get topics(): SinkRetryTopic[] {
    return [...this._topics];
  }

  /** Grant `user` Read, Write and Describe on every retry topic and Read and Describe on every retry group (and those of sinks added later). */
  public grantTo(user: KafkaUser): void {
    if (this.users.includes(user)) return;
    this.users.push(user);
    for (const retry of this._topics) grant(retry, user);
  }
}

function grant(retry: SinkRetryTopic, user: KafkaUser): void {
  retry.topic.grantRead(user, retry.group);
  retry.topic.grantWrite(user);
}
