/**
 * Namespace topics created on first sight (opt-in, FANOUT_CREATE_NAMESPACE_TOPICS=true): a route to
 * the topic of a namespace nobody declared (`Route.undeclared`) goes through here before its record
 * is written.
 *
 * - Topic known to exist (created or found earlier in this process): the route as it is, at once
 *   (no Promise: the hot path stays synchronous).
 * - Not known yet: the topic is created with the declared settings (runtime/topic-creator.ts: one
 *   request per topic at a time, TOPIC_ALREADY_EXISTS is success), then the route as it is. The
 *   record is written only after that, and its offset resolved only after the write is acknowledged
 *   (the runtime's at-least-once loop).
 * - Creation refused (no ACL, a policy, an invalid name or setting): the record goes to the unrouted
 *   topic, as for a namespace without a topic in the declared-only mode; a warning is logged and
 *   `klaxon_fanout_topic_creations_refused_total{reason}` counted. The refusal is remembered for
 *   REFUSED_TOPIC_TTL_MS, then asked again. The consumer never stops for it.
 * - Creation failed for a passing reason (broker down): RetryableError, so the runtime calls the
 *   handler again after a backoff, heartbeating, with the record unresolved.
 */
import { Counter } from 'prom-client';
import type { CreatedTopicSpec } from '../contracts/namespace-topics';
import { RetryableError } from '../runtime/handler';
import type { Logger } from '../runtime/logger';
import type { RuntimeMetrics } from '../runtime/metrics';
import { describeError } from '../runtime/sender';
import { TopicCreator, TopicRefused } from '../runtime/topic-creator';
import type { Route } from './route';

export interface FirstSightOptions {
  readonly creator: TopicCreator;
  /** Partitions, replicas and config of each created topic. */
  readonly spec: CreatedTopicSpec;
  /** Where a record goes when its topic cannot be created. */
  readonly unroutedTopic: string;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
}

export class NamespaceTopicCreation {
  private readonly created: Counter;
  private readonly refused: Counter<'reason'>;

  constructor(private readonly options: FirstSightOptions) {
    const registers = [options.metrics.registry];
    this.created = new Counter({ name: 'klaxon_fanout_topics_created_total', help: 'Namespace topics the fanout created on first sight', registers });
    this.refused = new Counter({
      name: 'klaxon_fanout_topic_creations_refused_total',
      help: 'Namespace topic creations refused (their events went to the unrouted topic), by Kafka error',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Where an undeclared namespace's record goes: its topic (created first if need be) or, when refused, the unrouted topic. */
  resolve(route: Route): Route | Promise<Route> {
    const state = this.options.creator.state(route.topic);
    if (state === 'exists') return route;
    if (state === 'refused') return this.unrouted(route);
    return this.firstSight(route);
  }

  private async firstSight(route: Route): Promise<Route> {
    const { creator, spec, logger } = this.options;
    try {
      const outcome = await creator.ensure(route.topic, spec);
      if (outcome === 'created') {
        this.created.inc();
        logger.info('namespace topic created', { topic: route.topic, namespace: route.namespace, partitions: spec.partitions, replicas: spec.replicas });
      } else {
        logger.info('namespace topic found', { topic: route.topic, namespace: route.namespace });
      }
      return route;
    } catch (e) {
      if (e instanceof TopicRefused) {
        this.refused.inc({ reason: e.reason });
        logger.warn('namespace topic creation refused; its events go to the unrouted topic', {
          topic: route.topic,
          namespace: route.namespace,
          unroutedTopic: this.options.unroutedTopic,
          reason: e.reason,
          error: e.message,
        });
        return this.unrouted(route);
      }
      throw new RetryableError(`creating topic '${route.topic}' failed; trying again: ${describeError(e)}`);
    }
  }

  private unrouted(route: Route): Route {
    return { kind: 'unrouted', format: route.format, topic: this.options.unroutedTopic, key: route.key, namespace: route.namespace };
  }
}
