/**
 * Topics created at run time, for a workload that may (opt-in) write to a topic nobody declared:
 * events-fanout creating `events.<namespace>` on first sight.
 *
 * Guarantees:
 * - One CreateTopics request per topic at a time: concurrent `ensure()` calls for one topic share it.
 * - A topic found to exist (created here, or TOPIC_ALREADY_EXISTS: another replica, a restart, a
 *   declared topic) is remembered: no request for it again in this process. TOPIC_ALREADY_EXISTS is
 *   success, so replicas racing on one topic, or a restart, create it once.
 * - A refusal no retry fixes (authorization, policy, invalid name, partitions, replication factor or
 *   config) throws `TopicRefused`; the refusal is remembered for REFUSED_TOPIC_TTL_MS, so a flood of
 *   records for a refused topic costs one request, then one more per TTL.
 * - Anything else (broker down, timeouts, no controller) is thrown as it is: transient, the caller
 *   retries (the fanout throws RetryableError, so the record stays unresolved until it works).
 * - After creating, it waits (at most `leaderWaitMs`) until every partition has a leader, so the
 *   first produce does not meet UNKNOWN_TOPIC_OR_PARTITION; a produce that still does is retried by
 *   the sender.
 *
 * Pure of kafkajs: the admin is passed in (`TopicAdmin`), so the logic runs against a fake admin in
 * unit tests (test/functions/runtime/topic-creator.test.ts).
 */
import type { ITopicConfig, ITopicMetadata } from 'kafkajs';
import type { CreatedTopicSpec } from '../contracts/namespace-topics';
import { topicNameProblem } from '../contracts/topic-names';
import { errorTypes, sleep } from './retry';

/** How long a refused topic is taken as refused before asking the broker again. */
export const REFUSED_TOPIC_TTL_MS = 5 * 60_000;

/** Kafka error types of CreateTopics that no retry of the same request can fix. */
export const CREATE_TOPIC_REFUSALS: ReadonlySet<string> = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REPLICA_ASSIGNMENT',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'UNSUPPORTED_VERSION',
]);

/** The part of a kafkajs Admin the creator uses. */
export interface TopicAdmin {
  createTopics(options: { topics: ITopicConfig[]; waitForLeaders?: boolean; timeout?: number }): Promise<boolean>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: ITopicMetadata[] }>;
}

/** The broker (or the name check) refused to create a topic, for a reason no retry fixes. */
export class TopicRefused extends Error {
  constructor(
    readonly topic: string,
    /** The Kafka error type (TOPIC_AUTHORIZATION_FAILED, POLICY_VIOLATION, …); a metric label. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'TopicRefused';
  }
}

/** What `ensure()` found: the topic was created now, or it existed already. */
export type EnsureOutcome = 'created' | 'existed';

/** What is known of a topic without asking: it exists, it was refused (recently), or nothing yet. */
export type TopicState = 'exists' | 'refused' | undefined;

export interface TopicCreatorOptions {
  /** The connected admin (asked for on first use, so a workload that never creates never connects one). */
  admin(): Promise<TopicAdmin>;
  /** Most time to wait for the leaders of a created topic. @default 15000 */
  readonly leaderWaitMs?: number;
  /** Clock for the refusal memory. @default Date.now */
  readonly now?: () => number;
}

export class TopicCreator {
  private readonly existing = new Set<string>();
  /** Refused topic → until when it is taken as refused, and the refusal. */
  private readonly refused = new Map<string, { until: number; error: TopicRefused }>();
  private readonly inFlight = new Map<string, Promise<EnsureOutcome>>();
  private readonly now: () => number;

  constructor(private readonly options: TopicCreatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** What is known of `topic` without a request (synchronous, for the hot path). */
  state(topic: string): TopicState {
    if (this.existing.has(topic)) return 'exists';
    const refusal = this.refused.get(topic);
    if (refusal === undefined) return undefined;
    if (refusal.until > this.now()) return 'refused';
    this.refused.delete(topic);
    return undefined;
  }

  /**
   * Makes sure `topic` exists, creating it with `spec` if not. Resolves 'created' or 'existed';
   * rejects with `TopicRefused` for a refusal, with the error as it is for anything transient.
   */
  ensure(topic: string, spec: CreatedTopicSpec): Promise<EnsureOutcome> {
    const state = this.state(topic);
    if (state === 'exists') return Promise.resolve('existed');
    if (state === 'refused') return Promise.reject(this.refused.get(topic)!.error);
    let flight = this.inFlight.get(topic);
    if (flight === undefined) {
      flight = this.create(topic, spec).finally(() => this.inFlight.delete(topic));
      this.inFlight.set(topic, flight);
    }
    return flight;
  }

  private async create(topic: string, spec: CreatedTopicSpec): Promise<EnsureOutcome> {
    const problem = topicNameProblem(topic);
    if (problem) throw this.refuse(new TopicRefused(topic, 'INVALID_TOPIC_EXCEPTION', `'${topic}' is not a legal topic name: ${problem}`));
    const admin = await this.options.admin();
    let created: boolean;
    try {
      created = await admin.createTopics({
        // Leaders are awaited below: kafkajs's own wait can fail while a KRaft broker publishes the metadata.
        waitForLeaders: false,
        topics: [{
          topic,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicas,
          configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
        }],
      });
    } catch (e) {
      const refusal = errorTypes(e).find((t) => CREATE_TOPIC_REFUSALS.has(t));
      if (refusal !== undefined) {
        throw this.refuse(new TopicRefused(topic, refusal, `creating topic '${topic}' was refused: ${e instanceof Error ? e.message : String(e)}`));
      }
      throw e;
    }
    if (created) await this.waitForLeaders(admin, topic, spec.partitions);
    this.existing.add(topic);
    return created ? 'created' : 'existed';
  }

  private refuse(error: TopicRefused): TopicRefused {
    this.refused.set(error.topic, { until: this.now() + REFUSED_TOPIC_TTL_MS, error });
    return error;
  }

  /** Polls the metadata until each of the `partitions` has a leader, or `leaderWaitMs` passed. */
  private async waitForLeaders(admin: TopicAdmin, topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + (this.options.leaderWaitMs ?? 15_000);
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = topics.find((t) => t.name === topic);
        if (found && found.partitions.length >= partitions && found.partitions.every((p) => p.leader >= 0)) return;
      } catch {
        // UNKNOWN_TOPIC_OR_PARTITION while the metadata spreads: ask again
      }
      if (Date.now() >= deadline) return;
      await sleep(100);
    }
  }
}
