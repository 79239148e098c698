/**
 * events-fanout as a runtime workload: reads the cluster-events topic (eventrouter, kube-eventer or
 * raw Events) and writes each event to its namespace topic, keyed by involved object. The routing
 * rules are in route.ts; the Kafka loop, dead letters, retries and health are the runtime's.
 */
import { Counter } from 'prom-client';
import { DEFAULT_CLUSTER_EVENTS_TOPIC, DEFAULT_CLUSTER_SCOPED_TOPIC, DEFAULT_NAMESPACE_TOPIC_PREFIX, DEFAULT_UNROUTED_TOPIC, namespaceNameProblem, topicNameProblem } from '../contracts/topic-names';
import { FanoutEnv, WORKLOAD_IDENTITIES } from '../contracts/workload-env';
import { ConfigError, list, topicName } from '../runtime/config';
import type { WorkloadDefinition } from '../runtime/lifecycle';
import { DeadLetter, Handler } from '../runtime/handler';
import { RoutingRules, outputsFor, routeEvent } from './route';

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
} as const;

export const eventsFanout: WorkloadDefinition<typeof fanoutSettings> = {
  defaults: { sourceTopic: DEFAULT_CLUSTER_EVENTS_TOPIC, groupId: WORKLOAD_IDENTITIES.eventsFanout.groupId, clientId: WORKLOAD_IDENTITIES.eventsFanout.name },
  settings: fanoutSettings,
  createHandler({ config, settings, logger, metrics }): Handler {
    const rules: RoutingRules = {
      namespaceTopicPrefix: settings.namespaceTopicPrefix,
      namespaces: new Set(settings.namespaces),
      clusterScopedTopic: settings.clusterScopedTopic,
      unroutedTopic: settings.unroutedTopic,
    };
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
    });
    return (record) => {
      const decision = routeEvent(record.value, rules, record.headers);
      if (decision instanceof DeadLetter) return decision;
      if (decision.kind === 'duplicate') duplicates.inc();
      else {
        const byFormat = (uncounted[decision.kind] ??= {});
        byFormat[decision.format] = (byFormat[decision.format] ?? 0) + 1;
      }
      return outputsFor(decision, record.value, record.headers);
    };
  },
};
