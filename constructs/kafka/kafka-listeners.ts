/**
 * A KafkaCluster's listeners: the options, the resolved listener, the client peers allowed on a
 * restricted listener, and their Strimzi rendering (`spec.kafka.listeners`, `networkPolicyPeers`).
 */
import {
  KafkaSpecKafkaListeners,
  KafkaSpecKafkaListenersAuthenticationType,
  KafkaSpecKafkaListenersNetworkPolicyPeers,
  KafkaSpecKafkaListenersType,
} from '../../imports/strimzi-kafka-kafka.strimzi.io';
import { checkInteger, checkLabels, checkNamespaceName, checkOneOf, describeProp, PropError } from '../validation';

/** The label Kubernetes (1.22+) sets on every namespace to its name: how a NetworkPolicyPeer names a namespace. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** How clients authenticate on a listener. */
export type ListenerAuthentication = 'none' | 'tls' | 'scram-sha-512';

/** One internal Kafka listener. */
export interface KafkaListenerOptions {
  /** Listener name (Strimzi: 1-11 lowercase letters and digits). */
  readonly name: string;
  /** Port, 9092 or above (lower ports are Strimzi's own). */
  readonly port: number;
  /** Whether the listener encrypts with TLS. @default false */
  readonly tls?: boolean;
  /** Client authentication. @default 'none' */
  readonly authentication?: ListenerAuthentication;
  /**
   * Only the clients registered with `allowClients()` (Klaxon's sources and shippers register
   * themselves) may connect: rendered as the listener's `networkPolicyPeers`, which Strimzi turns
   * into the brokers' NetworkPolicy. @default false - every pod may connect
   */
  readonly restricted?: boolean;
}

/**
 * Pods allowed to connect to a restricted listener: a Kubernetes NetworkPolicyPeer with
 * `podSelector.matchLabels` and/or a `namespaceSelector` on the namespace's name. Without
 * `namespace`, the pods are looked for in the Kafka cluster's own namespace (NetworkPolicy rules).
 */
export interface ListenerClientPeer {
  /** The namespace the client pods run in. @default - the Kafka cluster's namespace */
  readonly namespace?: string;
  /** Labels the client pods carry. @default - every pod of `namespace` */
  readonly podLabels?: Record<string, string>;
}

/** The default listeners: plain on 9092 and TLS on 9093, both without authentication. */
export const DEFAULT_LISTENERS: readonly KafkaListenerOptions[] = [
  { name: 'plain', port: 9092, tls: false, authentication: 'none' },
  { name: 'tls', port: 9093, tls: true, authentication: 'none' },
];

/** One resolved listener. */
export interface KafkaListener {
  /** Listener name. */
  readonly name: string;
  /** Port. */
  readonly port: number;
  /** TLS encryption. */
  readonly tls: boolean;
  /** Client authentication. */
  readonly authentication: ListenerAuthentication;
  /** Whether only registered clients may connect (`networkPolicyPeers`). */
  readonly restricted: boolean;
}

const LISTENER_NAME = /^[a-z0-9]{1,11}$/;

/** Client peers per listener name, each with its identity key. */
export type PeerMap = Map<string, { peer: ListenerClientPeer; key: string }[]>;

/** A peer with checked namespace and labels; fails when it names neither (it would admit every pod). */
export function normalizePeer(peer: ListenerClientPeer, where: string): ListenerClientPeer {
  const podLabels = peer?.podLabels === undefined ? undefined : checkLabels('podLabels', peer.podLabels, where);
  const namespace = peer?.namespace === undefined ? undefined : checkNamespaceName('namespace', peer.namespace, where);
  if (namespace === undefined && (podLabels === undefined || Object.keys(podLabels).length === 0)) {
    throw new PropError(`${describeProp('peer', peer ?? {}, where)} names neither a 'namespace' nor 'podLabels', so it would let every pod connect; say where the client pods run and which labels they carry.`);
  }
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(podLabels !== undefined && Object.keys(podLabels).length > 0 ? { podLabels } : {}),
  };
}

/** Adds `peer` to the peers of `listenerName` unless the same peer is there. */
export function addPeer(map: PeerMap, listenerName: string, peer: ListenerClientPeer): void {
  const key = JSON.stringify([peer.namespace ?? null, Object.entries(peer.podLabels ?? {}).sort()]);
  const peers = map.get(listenerName) ?? [];
  if (!peers.some((p) => p.key === key)) peers.push({ peer, key });
  map.set(listenerName, peers);
}

/** A copy of `peer`. */
export function copyPeer(peer: ListenerClientPeer): ListenerClientPeer {
  return {
    ...(peer.namespace !== undefined ? { namespace: peer.namespace } : {}),
    ...(peer.podLabels ? { podLabels: { ...peer.podLabels } } : {}),
  };
}

/** The listeners with defaults applied; fails on a bad name, port or authentication, or a name or port used twice. */
export function resolveListeners(listeners: KafkaListenerOptions[], owner: string): KafkaListener[] {
  if (!Array.isArray(listeners) || listeners.length === 0) {
    throw new PropError(`${describeProp('listeners', listeners, owner)} must list at least one listener.`);
  }
  const resolved = listeners.map((l) => {
    if (!LISTENER_NAME.test(l.name)) {
      throw new PropError(`${describeProp('listeners[].name', l.name, owner)} must be 1 to 11 lowercase letters or digits.`);
    }
    const where = `listener '${l.name}' of ${owner}`;
    checkInteger('port', l.port, { min: 9092, max: 65535, owner: where });
    const authentication = checkOneOf('authentication', l.authentication ?? 'none', ['none', 'tls', 'scram-sha-512'], where);
    const tls = l.tls ?? false;
    if (authentication === 'tls' && !tls) {
      throw new PropError(`${describeProp('authentication', authentication, where)} needs 'tls': true; TLS client authentication works only on a TLS listener.`);
    }
    return { name: l.name, port: l.port, tls, authentication, restricted: l.restricted ?? false };
  });
  for (let i = 0; i < resolved.length; i++) {
    for (let j = 0; j < i; j++) {
      if (resolved[i].name === resolved[j].name) throw new PropError(`${describeProp('listeners[].name', resolved[i].name, owner)} is used by two listeners; listener names must be unique.`);
      if (resolved[i].port === resolved[j].port) throw new PropError(`${describeProp('listeners[].port', resolved[i].port, owner)} is used by listeners '${resolved[j].name}' and '${resolved[i].name}'; ports must be unique.`);
    }
  }
  return resolved;
}

/** The Strimzi `spec.kafka.listeners` entry of `l`, with `peers` as its networkPolicyPeers when restricted. */
export function toKubeListener(l: KafkaListener, peers: ListenerClientPeer[]): KafkaSpecKafkaListeners {
  return {
    name: l.name,
    port: l.port,
    type: KafkaSpecKafkaListenersType.INTERNAL,
    tls: l.tls,
    ...(l.authentication === 'none'
      ? {}
      : {
        authentication: {
          type: l.authentication === 'tls' ? KafkaSpecKafkaListenersAuthenticationType.TLS : KafkaSpecKafkaListenersAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
        },
      }),
    ...(l.restricted ? { networkPolicyPeers: peers.map(toNetworkPolicyPeer) } : {}),
  };
}

/** The NetworkPolicyPeer of one client: its pods (by labels) in its namespace (by the name label every namespace carries). */
export function toNetworkPolicyPeer(peer: ListenerClientPeer): KafkaSpecKafkaListenersNetworkPolicyPeers {
  return {
    ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
    ...(peer.namespace !== undefined ? { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } } } : {}),
  };
}
