/**
 * The rules for a client of a KafkaCluster listener that Klaxon's sources, shippers and workloads
 * apply to themselves: whether the client can use the listener (TLS, authentication, ANONYMOUS under
 * authorization), registering its pods as the listener's clients, and the bootstrap servers it is given.
 */
import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { describeProp, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster } from './kafka-cluster';
import type { KafkaListener, ListenerAuthentication } from './kafka-listeners';
import type { IKafkaTopic } from './kafka-topic';

/** What a Kafka client can give a listener. */
export interface ListenerClientCapabilities {
  /** It can connect over TLS (trusting the cluster CA). @default false */
  readonly tls?: boolean;
  /** The authentications it can do. @default - none */
  readonly authentication?: ListenerAuthentication[];
}

/**
 * Checks that `owner` (a phrase for messages, e.g. "Eventrouter 'Events'"), which can give only
 * `can` (by default neither TLS nor credentials) because `why`, can use listener `listenerName` of
 * `cluster` (the cluster's workload listener when undefined), and returns that listener. Fails,
 * naming the prop and value, when the listener needs TLS or an authentication the client cannot
 * give, or when authorization is on and the listener does not authenticate while ANONYMOUS is not a
 * super user (and 'allow.everyone.if.no.acl.found' is not true): the broker would deny every
 * request. A cluster known only as IKafkaCluster passes (undefined): its listeners are not known here.
 */
export function checkListenerClient(
  cluster: IKafkaCluster, listenerName: string | undefined, owner: string, why: string, can: ListenerClientCapabilities = {},
): KafkaListener | undefined {
  if (!(cluster instanceof KafkaCluster)) return undefined;
  const listener = listenerName === undefined ? cluster.workloadListener : cluster.listener(listenerName);
  const prop = listenerName === undefined
    ? describeProp('workloadListener', listener.name, `KafkaCluster '${cluster.clusterName}'`)
    : describeProp('listener', listener.name, owner);
  const fix = listenerName === undefined
    ? "Point 'workloadListener' at a listener with 'tls: false' and authentication 'none' (the default 'plain')."
    : "Point 'listener' at a listener with 'tls: false' and authentication 'none'.";
  const needsTls = listener.tls && !can.tls;
  const needsAuth = listener.authentication !== 'none' && !(can.authentication ?? []).includes(listener.authentication);
  if (needsTls || needsAuth) {
    const needs = [needsTls ? 'TLS' : '', needsAuth ? `${listener.authentication} authentication` : ''].filter(Boolean).join(' and ');
    throw new PropError(`${prop} needs ${needs}, which ${owner} cannot give: ${why}. ${fix}`);
  }
  if (listener.authentication === 'none' && !cluster.allowsAnonymous()) {
    throw new PropError(
      `${prop} does not authenticate, so ${owner} connects as ANONYMOUS, and ${describeProp('superUsers', [...cluster.superUsers], `KafkaCluster '${cluster.clusterName}'`)} ` +
      `do not include ANONYMOUS: with 'authorization' on, the broker would deny its every request. ` +
      `Give ${owner} a KafkaUser on an authenticated listener, or (accepting the risk) add 'ANONYMOUS' to 'superUsers' with 'allowAnonymousSuperUser: true' and set 'restricted: true' on listener '${listener.name}'.`,
    );
  }
  return listener;
}

/**
 * Fails when `cluster`'s workloads' listener cannot serve a client without TLS or credentials:
 * `checkListenerClient(cluster, undefined, owner, why)`.
 */
export function checkPlainWorkloadListener(cluster: IKafkaCluster, owner: string, why: string): void {
  checkListenerClient(cluster, undefined, owner, why);
}

/**
 * Registers the pods labelled `podLabels` in the namespace of `client`'s chart as clients of
 * `listener` (allowed on it when it is restricted). Fails when the listener is restricted and that
 * chart has no namespace but the cluster's has: the pods could then run anywhere, and no peer could name them.
 */
export function allowListenerClient(cluster: IKafkaCluster, listener: KafkaListener | undefined, client: IConstruct, owner: string, podLabels: Record<string, string>): void {
  if (!listener || !(cluster instanceof KafkaCluster)) return;
  const namespace = Chart.of(client).namespace;
  if (namespace === undefined && cluster.namespace !== undefined) {
    if (!listener.restricted) return; // an open listener: nothing to allow, and no namespace to name the pods by
    throw new PropError(
      `${owner} has no namespace (its chart has none), so listener '${listener.name}' of KafkaCluster '${cluster.clusterName}', restricted to its clients, ` +
      'cannot name where its pods run; give the chart a namespace.',
    );
  }
  cluster.registerClient(listener.name, { ...(namespace !== undefined ? { namespace } : {}), podLabels });
}

/**
 * The bootstrap servers of the topic's cluster (of one listener when given) as a list; fails when
 * there are none.
 */
export function bootstrapBrokers(topic: IKafkaTopic, owner: string, listener?: string): string[] {
  const cluster = topic.cluster;
  const servers = listener === undefined ? cluster.bootstrapServers : cluster.bootstrapServersFor(listener);
  const brokers = (servers ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (brokers.length === 0) {
    throw new PropError(
      `${describeProp('bootstrapServers', servers, `KafkaCluster '${cluster.clusterName}'`)} lists no brokers, so ${owner} has nowhere to write topic '${topic.topicName}'. Give the cluster a listener.`,
    );
  }
  return brokers;
}
