/**
 * events-fanout as a runtime workload: reads the cluster-events topic (eventrouter, kube-eventer or
 * raw Events) and writes each event to its namespace topic, keyed by involved object. The routing
 * rules are in route.ts; the Kafka loop, dead letters, retries and health are the runtime's.
 */
import { Counter } from 'prom-client';
import { DEFAULT_CLUSTER_EVENTS_TOPIC, DEFAULT_CLUSTER_SCOPED_TOPIC, DEFAULT_NAMESPACE_TOPIC_PREFIX, DEFAULT_UNROUTED_TOPIC, namespaceNameProblem, topicNameProblem } from '../contracts/topic-names';
import { CREATE_NAMESPACE_TOPICS_ON, CREATED_TOPIC_LIMITS, parseTopicConfig } from '../contracts/namespace-topics';
import { FanoutEnv, WORKLOAD_IDENTITIES } from '../contracts/workload-env';
import { ConfigError, integer, list, oneOf, topicName } from '../runtime/config';
import type { WorkloadDefinition } from '../runtime/lifecycle';
import { DeadLetter, Handler, Output, SourceRecord } from '../runtime/handler';
import { TopicCreator } from '../runtime/topic-creator';
import { NamespaceTopicCreation } from './first-sight';
import { Route, RoutingRules, outputsFor, routeEvent } from './route';

/** A topic-name prefix: the legal characters of a topic name, and room for a namespace. */
function topicPrefix(raw: string): string {
  const problem = topicNameProblem(`${raw}x`);
  if (problem) throw new Error(problem);
  if (raw.length > 249 - 63) throw new Error('leaves no room for a 63-character namespace in a 249-character topic name');
  return raw;
}

function namespaceName(raw: string): string {
  const problem = namespaceNameProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

export const fanoutSettings = {
  namespaceTopicPrefix: {
    env: FanoutEnv.NAMESPACE_TOPIC_PREFIX,
    description: 'prefix of per-namespace topics',
    default: DEFAULT_NAMESPACE_TOPIC_PREFIX,
    parse: topicPrefix,
  },
  namespaces: {
    env: FanoutEnv.NAMESPACES,
    description: 'comma-separated namespaces that have a topic; empty: every namespace has one',
    default: Object.freeze([]) as readonly string[],
    parse: list(namespaceName),
  },
  clusterScopedTopic: {
    env: FanoutEnv.CLUSTER_SCOPED_TOPIC,
    description: 'topic for events of cluster-scoped objects',
    default: DEFAULT_CLUSTER_SCOPED_TOPIC,
    parse: topicName,
  },
  unroutedTopic: {
    env: FanoutEnv.UNROUTED_TOPIC,
    description: 'topic for events of namespaces with no declared topic',
    default: DEFAULT_UNROUTED_TOPIC,
    parse: topicName,
  },
  createNamespaceTopics: {
    env: FanoutEnv.CREATE_NAMESPACE_TOPICS,
    description: "'true': create the topic of a namespace without a declared topic on first sight; 'false': such events go to the unrouted topic",
    default: false as boolean,
    parse: (raw: string): boolean => oneOf(['true', 'false'] as const)(raw) === CREATE_NAMESPACE_TOPICS_ON,
  },
  createdTopicPartitions: {
    env: FanoutEnv.CREATED_TOPIC_PARTITIONS,
    description: "partitions of a topic created on first sight; empty: the broker's num.partitions",
    default: undefined as number | undefined,
    parse: integer(1, CREATED_TOPIC_LIMITS.maxPartitions) as (raw: string) => number | undefined,
  },
  createdTopicReplicas: {
    env: FanoutEnv.CREATED_TOPIC_REPLICAS,
    description: "replication factor of a topic created on first sight; empty: the broker's default.replication.factor",
    default: undefined as number | undefined,
    parse: integer(1, CREATED_TOPIC_LIMITS.maxReplicas) as (raw: string) => number | undefined,
  },
  createdTopicConfig: {
    env: FanoutEnv.CREATED_TOPIC_CONFIG,
    description: 'topic config of a topic created on first sight (JSON object of strings)',
    default: Object.freeze({}) as Readonly<Record<string, string>>,
    parse: parseTopicConfig,
  },
} as const;

export const eventsFanout: WorkloadDefinition<typeof fanoutSettings> = {
  defaults: { sourceTopic: DEFAULT_CLUSTER_EVENTS_TOPIC, groupId: WORKLOAD_IDENTITIES.eventsFanout.groupId, clientId: WORKLOAD_IDENTITIES.eventsFanout.name },
  settings: fanoutSettings,
  createHandler({ config, settings, logger, metrics, admin }): Handler {
    const rules: RoutingRules = {
      namespaceTopicPrefix: settings.namespaceTopicPrefix,
      namespaces: new Set(settings.namespaces),
      clusterScopedTopic: settings.clusterScopedTopic,
      unroutedTopic: settings.unroutedTopic,
      createUndeclared: settings.createNamespaceTopics,
    };
    let firstSight: NamespaceTopicCreation | undefined;
    if (settings.createNamespaceTopics) {
      if (!admin) throw new ConfigError([`${FanoutEnv.CREATE_NAMESPACE_TOPICS}=true needs a Kafka admin client, and the runtime gave none`]);
      firstSight = new NamespaceTopicCreation({
        creator: new TopicCreator({ admin }),
        // -1: the broker's default (KIP-464).
        spec: { partitions: settings.createdTopicPartitions ?? -1, replicas: settings.createdTopicReplicas ?? -1, config: settings.createdTopicConfig },
        unroutedTopic: settings.unroutedTopic,
        logger,
        metrics,
      });
    }
    const outputs = [settings.clusterScopedTopic, settings.unroutedTopic, config.deadLetterTopic];
    if (outputs.includes(config.sourceTopic) || config.sourceTopic.startsWith(settings.namespaceTopicPrefix)) {
      throw new ConfigError([
        `the source topic '${config.sourceTopic}' is also an output of the fanout (cluster-scoped, unrouted, dead-letter or prefix '${settings.namespaceTopicPrefix}'): events would loop`,
      ]);
    }
    // Counted per record in a plain object, added to the labelled counter when /metrics is read.
    const uncounted: Record<string, Record<string, number>> = {};
    new Counter({
      name: 'klaxon_fanout_routed_total',
      help: 'Events routed, by route (namespace, cluster-scoped, unrouted) and source format',
      labelNames: ['route', 'format'],
      registers: [metrics.registry],
      collect() {
        for (const route of Object.keys(uncounted)) {
          const byFormat = uncounted[route];
          for (const format of Object.keys(byFormat)) {
            if (byFormat[format] > 0) this.inc({ route, format }, byFormat[format]);
            byFormat[format] = 0;
          }
        }
      },
    });
    const duplicates = new Counter({
      name: 'klaxon_fanout_duplicates_dropped_total',
      help: 'eventrouter resync duplicates dropped (UPDATED with an unchanged resourceVersion)',
      registers: [metrics.registry],
    });
    logger.info('routing rules', {
      namespaceTopicPrefix: rules.namespaceTopicPrefix,
      namespaces: settings.namespaces,
      clusterScopedTopic: rules.clusterScopedTopic,
      unroutedTopic: rules.unroutedTopic,
      createNamespaceTopics: settings.createNamespaceTopics,
      ...(firstSight ? { createdTopic: { partitions: settings.createdTopicPartitions, replicas: settings.createdTopicReplicas, config: settings.createdTopicConfig } } : {}),
    });
    const routed = (route: Route, value: Buffer | null, headers: SourceRecord['headers']): readonly Output[] => {
      const byFormat = (uncounted[route.kind] ??= {});
      byFormat[route.format] = (byFormat[route.format] ?? 0) + 1;
      return outputsFor(route, value, headers);
    };
    return (record) => {
      const decision = routeEvent(record.value, rules, record.headers);
      if (decision instanceof DeadLetter) return decision;
      if (decision.kind === 'duplicate') {
        duplicates.inc();
        return outputsFor(decision, record.value, record.headers);
      }
      if (decision.undeclared && firstSight) {
        const resolved = firstSight.resolve(decision);
        if (resolved instanceof Promise) return resolved.then((route) => routed(route, record.value, record.headers));
        return routed(resolved, record.value, record.headers);
      }
      return routed(decision, record.value, record.headers);
    };
  },
};
