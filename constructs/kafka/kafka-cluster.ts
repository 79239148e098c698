/**
 * A Strimzi Kafka cluster (kafka.strimzi.io/v1) in KRaft mode with KafkaNodePools.
 *
 * The v1 API has no ZooKeeper, no `spec.kafka.replicas` and no `spec.kafka.storage`: replicas,
 * roles, storage and resources live in KafkaNodePools labelled `strimzi.io/cluster`. The
 * `strimzi.io/kraft` and `strimzi.io/node-pools` annotations of v1beta2 are not needed (KRaft and
 * node pools are the only mode since Strimzi 0.46), so none is rendered.
 *
 * The broker config that depends on the broker count (replication factors, min ISR) is derived
 * from it, so a one-broker dev cluster and a three-broker prod cluster are both correct by
 * construction. ZooKeeper-era keys are refused.
 */
import { Chart, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import {
  Kafka,
  KafkaSpec,
  KafkaSpecEntityOperatorTopicOperatorResources,
  KafkaSpecEntityOperatorUserOperatorResources,
  KafkaSpecKafkaAuthorizationType,
} from '../../imports/strimzi-kafka-kafka.strimzi.io';
import {
  KafkaNodePool,
  KafkaNodePoolSpec,
  KafkaNodePoolSpecResourcesLimits,
  KafkaNodePoolSpecResourcesRequests,
  KafkaNodePoolSpecRoles,
} from '../../imports/strimzi-kafkanodepool-kafka.strimzi.io';
import { quantity, resolveResources } from '../pod-support';
import { checkInteger, checkNonEmpty, checkOneOf, describeProp, DNS_SUBDOMAIN, PropError } from '../validation';
import { checkBrokerConfig, derivedBrokerConfig } from './broker-config';
import { addPeer, copyPeer, DEFAULT_LISTENERS, KafkaListener, KafkaListenerOptions, ListenerClientPeer, normalizePeer, resolveListeners, toKubeListener } from './kafka-listeners';
import { KafkaStorage } from './kafka-storage';
import { _claimObjectName, _clusterRegistry } from './object-names';

// Moved to their own module; re-exported so existing imports from kafka-cluster keep working.
export { KafkaStorage } from './kafka-storage';
export type { EphemeralStorageOptions, PersistentClaimStorageOptions } from './kafka-storage';
export { DEFAULT_LISTENERS, NAMESPACE_NAME_LABEL } from './kafka-listeners';
export type { KafkaListener, KafkaListenerOptions, ListenerAuthentication, ListenerClientPeer } from './kafka-listeners';
export { derivedBrokerConfig, REMOVED_BROKER_CONFIG_KEYS, STRIMZI_CONFIG_EXCEPTIONS, STRIMZI_MANAGED_CONFIG_PREFIXES } from './broker-config';

/** Resources of each entity operator container (topic and user operator) unless told otherwise. */
export const DEFAULT_ENTITY_OPERATOR_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
};

/** Kafka versions Strimzi 0.51 runs (and 1.x keeps running). */
export const SUPPORTED_KAFKA_VERSIONS = ['4.1.0', '4.1.1', '4.2.0'] as const;

/** The Kafka version a KafkaCluster runs unless told otherwise: the one the test broker runs. */
export const DEFAULT_KAFKA_VERSION = '4.1.1';

/** Strimzi `Kafka` metadata.name unless told otherwise. */
export const DEFAULT_KAFKA_CLUSTER_NAME = 'klaxon';

/** Kafka's principal of a client that did not authenticate (as a super user: `superUsers: [ANONYMOUS]`). */
export const ANONYMOUS = 'ANONYMOUS';

/** The label that ties node pools, topics and users to their Kafka cluster. */
export const STRIMZI_CLUSTER_LABEL = 'strimzi.io/cluster';

/** A Kafka cluster other constructs (topics, users, groups, workloads) refer to. */
export interface IKafkaCluster extends IConstruct {
  /** Strimzi Kafka metadata.name. */
  readonly clusterName: string;
  /** metadata.namespace (the chart's), if any. */
  readonly namespace?: string;
  /** Kafka version, e.g. '4.1.1'. */
  readonly kafkaVersion: string;
  /** Total broker-role nodes. */
  readonly brokerCount: number;
  /** `<name>-kafka-bootstrap.<ns>.svc:<port>` of the workloads' listener. */
  readonly bootstrapServers: string;
  /** Bootstrap address of one listener by name. */
  bootstrapServersFor(listenerName: string): string;
}

/** Props of a KafkaCluster. */
export interface KafkaClusterProps {
  /** Strimzi Kafka metadata.name; also the prefix of its Services (`<name>-kafka-bootstrap`). @default 'klaxon' */
  readonly clusterName?: string;
  /** Kafka version (one Strimzi 0.51 supports). @default DEFAULT_KAFKA_VERSION ('4.1.1') */
  readonly kafkaVersion?: string;
  /** Number of broker nodes. @default 1 */
  readonly brokers?: number;
  /** Number of dedicated KRaft controller nodes in a separate pool. @default - none: the brokers are dual-role (broker + controller) */
  readonly controllers?: number;
  /** Listeners. @default DEFAULT_LISTENERS (plain 9092, tls 9093, no authentication) */
  readonly listeners?: KafkaListenerOptions[];
  /** Name of the listener workloads connect to (`bootstrapServers`). @default 'plain' if there is one, else the first listener */
  readonly workloadListener?: string;
  /** Storage of the broker (or dual-role) pool. @default KafkaStorage.ephemeral() */
  readonly storage?: KafkaStorage;
  /** Storage of the dedicated controller pool. @default - same as `storage` */
  readonly controllerStorage?: KafkaStorage;
  /** Resources of each broker (or dual-role) node. @default requests 500m CPU / 2Gi memory, limit 2Gi memory */
  readonly resources?: kplus.ContainerResources;
  /** Resources of each dedicated controller node. @default requests 250m CPU / 1Gi memory, limit 1Gi memory */
  readonly controllerResources?: kplus.ContainerResources;
  /** Extra broker config; overrides the derived keys. @default - the derived replication keys and 'auto.create.topics.enable': false (topics are declared as KafkaTopics) */
  readonly config?: Record<string, string | number | boolean>;
  /** Enable Kafka ACL authorization (`simple`) so KafkaUser ACLs are enforced. @default - true when the workloads' listener authenticates clients */
  readonly authorization?: boolean;
  /**
   * Principals allowed everything without ACLs (`authorization.superUsers`; Strimzi prefixes each with
   * `User:` itself), e.g. 'ANONYMOUS' for the clients of a restricted listener without
   * authentication. Needs authorization on. @default - none
   */
  readonly superUsers?: string[];
  /**
   * Acknowledges the risk of 'ANONYMOUS' in `superUsers`: every client of a listener without
   * authentication may then read every log, delete topics and change ACLs, held back only by the
   * network policy of a restricted listener (which a network plugin that does not enforce policies
   * ignores). Synth refuses ANONYMOUS as super user without it. @default false
   */
  readonly allowAnonymousSuperUser?: boolean;
  /** Resources of the entity operator's topic and user operator containers (each). @default - requests 100m CPU / 256Mi, limits 500m CPU / 512Mi memory (not BestEffort, so not evicted first) */
  readonly entityOperatorResources?: kplus.ContainerResources;
  /** Deploy the entity operator (topic and user operators) that reconciles KafkaTopics and KafkaUsers. @default true */
  readonly entityOperator?: boolean;
}

/**
 * A Strimzi Kafka cluster in KRaft mode: one `Kafka` (id 'Resource') and its `KafkaNodePool`s
 * (dual-role by default; separate controller and broker pools when `controllers` is set).
 */
export class KafkaCluster extends Construct implements IKafkaCluster {
  /** Find the nearest KafkaCluster at or above `scope`, if any. */
  public static of(scope: IConstruct): KafkaCluster | undefined {
    for (const node of [...scope.node.scopes].reverse()) {
      if (node instanceof KafkaCluster) return node;
    }
    return undefined;
  }

  public readonly clusterName: string;
  public readonly namespace?: string;
  public readonly kafkaVersion: string;
  public readonly brokerCount: number;
  /** Dedicated controller nodes (0 when the brokers are dual-role). */
  public readonly controllerCount: number;
  public readonly bootstrapServers: string;
  /** Name of the listener behind `bootstrapServers`. */
  public readonly workloadListener: KafkaListener;
  /** Whether `simple` ACL authorization is on. */
  public readonly authorization: boolean;
  /** Principals allowed everything (`authorization.superUsers`, without Strimzi's `User:` prefix). */
  public readonly superUsers: readonly string[];
  /** The broker config rendered into `spec.kafka.config` (derived keys merged with `config`). */
  public readonly config: Readonly<Record<string, string | number | boolean>>;
  /** The Strimzi Kafka object. */
  public readonly resource: Kafka;
  /** The node pools, dual-role first or controllers then brokers. */
  public readonly nodePools: KafkaNodePool[];

  private readonly _listeners: KafkaListener[];
  private readonly storage: KafkaStorage;
  private readonly controllerStorage: KafkaStorage;
  private readonly resources: kplus.ContainerResources;
  private readonly controllerResources: kplus.ContainerResources;
  private readonly entityOperator: boolean;
  private readonly entityOperatorResources: kplus.ContainerResources;
  private readonly clients = new Map<string, { peer: ListenerClientPeer; key: string }[]>();
  private readonly registered = new Map<string, { peer: ListenerClientPeer; key: string }[]>();

  constructor(scope: Construct, id: string, props: KafkaClusterProps = {}) {
    super(scope, id);
    this.clusterName = props.clusterName ?? DEFAULT_KAFKA_CLUSTER_NAME;
    const owner = `KafkaCluster '${this.clusterName}'`;
    checkNonEmpty('clusterName', this.clusterName, 'KafkaCluster');
    if (!DNS_SUBDOMAIN.test(this.clusterName) || this.clusterName.length > 52) {
      throw new PropError(`${describeProp('clusterName', this.clusterName)} of KafkaCluster must be a lowercase DNS name of at most 52 characters (Strimzi appends '-kafka-bootstrap' and pod suffixes).`);
    }
    this.kafkaVersion = checkOneOf('kafkaVersion', props.kafkaVersion ?? DEFAULT_KAFKA_VERSION, SUPPORTED_KAFKA_VERSIONS as unknown as string[], owner);
    this.brokerCount = checkInteger('brokers', props.brokers ?? 1, { min: 1, owner });
    this.controllerCount = props.controllers === undefined ? 0 : checkInteger('controllers', props.controllers, { min: 1, owner });
    if (this.controllerCount === 0) {
      for (const prop of ['controllerStorage', 'controllerResources'] as const) {
        if (props[prop] !== undefined) {
          throw new PropError(`'${prop}' of ${owner} applies only to dedicated controllers, and the brokers are dual-role; set 'controllers' or remove '${prop}'.`);
        }
      }
    }
    this.namespace = Chart.of(this).namespace;

    this._listeners = resolveListeners(props.listeners ?? [...DEFAULT_LISTENERS], owner);
    const workloadName = props.workloadListener ?? (this._listeners.some((l) => l.name === 'plain') ? 'plain' : this._listeners[0].name);
    const workload = this._listeners.find((l) => l.name === workloadName);
    if (!workload) {
      throw new PropError(`${describeProp('workloadListener', workloadName, owner)} names no listener; listeners are ${this._listeners.map((l) => `'${l.name}'`).join(', ')}.`);
    }
    this.workloadListener = workload;
    this.bootstrapServers = this.bootstrapServersFor(workload.name);
    this.authorization = props.authorization ?? workload.authentication !== 'none';
    this.superUsers = Object.freeze(checkSuperUsers(props.superUsers, this.authorization, owner));
    if (this.superUsers.includes(ANONYMOUS) && props.allowAnonymousSuperUser !== true) {
      throw new PropError(
        `${describeProp('superUsers', [...this.superUsers], owner)} include ANONYMOUS: every client that does not authenticate could read every log, delete topics and change ACLs. ` +
        "Give each client its own KafkaUser on an authenticated listener, or set 'allowAnonymousSuperUser: true' to accept the risk (README, Security model).",
      );
    }

    this.storage = props.storage ?? KafkaStorage.ephemeral();
    this.controllerStorage = props.controllerStorage ?? this.storage;
    // Given resources replace the defaults whole (a broker without a memory limit is a choice).
    this.resources = props.resources ? resolveResources(props.resources, {}, owner) : {
      cpu: { request: kplus.Cpu.millis(500) },
      memory: { request: Size.gibibytes(2), limit: Size.gibibytes(2) },
    };
    this.controllerResources = props.controllerResources ? resolveResources(props.controllerResources, {}, owner, 'controllerResources') : {
      cpu: { request: kplus.Cpu.millis(250) },
      memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    };
    this.entityOperator = props.entityOperator ?? true;
    this.entityOperatorResources = resolveResources(props.entityOperatorResources, DEFAULT_ENTITY_OPERATOR_RESOURCES, owner, 'entityOperatorResources');
    this.config = Object.freeze({
      ...derivedBrokerConfig(this.brokerCount),
      'auto.create.topics.enable': false,
      ...checkBrokerConfig(props.config ?? {}, this.brokerCount, owner),
    });

    _claimObjectName(this, 'Kafka', this.namespace, this.clusterName);
    this.resource = new Kafka(this, 'Resource', {
      metadata: { name: this.clusterName },
      spec: Lazy.any({ produce: () => this._toKube() }) as unknown as KafkaSpec,
    });

    this.nodePools = [];
    if (this.controllerCount === 0) {
      this.nodePools.push(this.addPool('DualRole', 'dual-role', this.brokerCount, [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER], this.storage, this.resources));
    } else {
      this.nodePools.push(this.addPool('Controllers', 'controller', this.controllerCount, [KafkaNodePoolSpecRoles.CONTROLLER], this.controllerStorage, this.controllerResources));
      this.nodePools.push(this.addPool('Brokers', 'broker', this.brokerCount, [KafkaNodePoolSpecRoles.BROKER], this.storage, this.resources));
    }

    this.node.addValidation({ validate: () => this.validateUsers() });
    this.node.addValidation({ validate: () => this.validateListenerAccess() });
  }

  /** The listeners (copies). */
  public get listeners(): KafkaListener[] {
    return this._listeners.map((l) => ({ ...l }));
  }

  /** `<name>-kafka-bootstrap.<ns>.svc:<port>` of one listener (`<name>-kafka-bootstrap:<port>` when the chart has no namespace). */
  public bootstrapServersFor(listenerName: string): string {
    const listener = this._listeners.find((l) => l.name === listenerName);
    if (!listener) {
      throw new PropError(`${describeProp('listenerName', listenerName, `KafkaCluster '${this.clusterName}'`)} names no listener; listeners are ${this._listeners.map((l) => `'${l.name}'`).join(', ')}.`);
    }
    const host = this.namespace ? `${this.clusterName}-kafka-bootstrap.${this.namespace}.svc` : `${this.clusterName}-kafka-bootstrap`;
    return `${host}:${listener.port}`;
  }

  /** One listener by name (a copy); fails naming the listeners when there is none of that name. */
  public listener(listenerName: string): KafkaListener {
    const listener = this._listeners.find((l) => l.name === listenerName);
    if (!listener) {
      throw new PropError(`${describeProp('listenerName', listenerName, `KafkaCluster '${this.clusterName}'`)} names no listener; listeners are ${this._listeners.map((l) => `'${l.name}'`).join(', ')}.`);
    }
    return { ...listener };
  }

  /**
   * Lets the pods `peer` describes connect to the restricted listener `listenerName` (one more entry
   * of its `networkPolicyPeers`; the same peer twice is rendered once). Fails when the listener is
   * not restricted (everyone may connect already), or when the peer names neither a namespace nor
   * pod labels (an empty NetworkPolicyPeer would let every pod connect).
   */
  public allowClients(listenerName: string, peer: ListenerClientPeer): void {
    const listener = this.listener(listenerName);
    const owner = `KafkaCluster '${this.clusterName}'`;
    if (!listener.restricted) {
      throw new PropError(`${describeProp('listenerName', listenerName, owner)} is not restricted, so every pod may connect to it already; set the listener's 'restricted: true' to limit it to the clients allowed here.`);
    }
    addPeer(this.clients, listenerName, normalizePeer(peer, `a client of listener '${listenerName}' of ${owner}`));
  }

  /**
   * Records that the pods `peer` describes are clients of listener `listenerName` (Klaxon's
   * sources, shippers, workloads and KEDA register themselves): Klaxon's NetworkPolicies admit
   * exactly the registered clients to the listener's port, and on a restricted listener they are
   * also allowed as `networkPolicyPeers` (allowClients).
   */
  public registerClient(listenerName: string, peer: ListenerClientPeer): void {
    const listener = this.listener(listenerName);
    const normalized = normalizePeer(peer, `a client of listener '${listenerName}' of KafkaCluster '${this.clusterName}'`);
    addPeer(this.registered, listenerName, normalized);
    if (listener.restricted) this.allowClients(listenerName, normalized);
  }

  /** Every client of `listenerName`: registered ones and those allowed explicitly (copies). */
  public clientPeersOf(listenerName: string): ListenerClientPeer[] {
    this.listener(listenerName);
    const all = new Map<string, ListenerClientPeer>();
    for (const map of [this.registered, this.clients]) for (const { peer, key } of map.get(listenerName) ?? []) all.set(key, peer);
    return [...all.values()].map(copyPeer);
  }

  /** The peers allowed on `listenerName` so far (copies). */
  public clientsOf(listenerName: string): ListenerClientPeer[] {
    this.listener(listenerName);
    return (this.clients.get(listenerName) ?? []).map(({ peer }) => copyPeer(peer));
  }

  /** Whether the broker serves clients that do not authenticate (principal ANONYMOUS): no authorization, ANONYMOUS a super user, or allow.everyone.if.no.acl.found. */
  public allowsAnonymous(): boolean {
    return !this.authorization || this.superUsers.includes(ANONYMOUS) || String(this.config['allow.everyone.if.no.acl.found']) === 'true';
  }

  /** Whether any listener authenticates clients with SCRAM-SHA-512. */
  public get hasScramListener(): boolean {
    return this._listeners.some((l) => l.authentication === 'scram-sha-512');
  }

  private addPool(id: string, name: string, replicas: number, roles: KafkaNodePoolSpecRoles[], storage: KafkaStorage, resources: kplus.ContainerResources): KafkaNodePool {
    const spec: KafkaNodePoolSpec = {
      replicas,
      roles,
      storage: storage._toKube(),
      resources: toPoolResources(resources),
    };
    _claimObjectName(this, 'KafkaNodePool', this.namespace, name);
    return new KafkaNodePool(this, id, {
      metadata: { name, labels: { [STRIMZI_CLUSTER_LABEL]: this.clusterName } },
      spec,
    });
  }

  private validateUsers(): string[] {
    const problems: string[] = [];
    const scram = this._listeners.find((l) => l.authentication === 'scram-sha-512');
    if (scram && !_clusterRegistry(this).users.some((u) => u.authentication === 'scram-sha-512')) {
      problems.push(`'listeners' of KafkaCluster '${this.clusterName}' include listener '${scram.name}' with authentication 'scram-sha-512' but no KafkaUser with 'scram-sha-512' authentication belongs to the cluster; no client could connect. Add a KafkaUser or set the listener's 'authentication' to 'none'.`);
    }
    if (this.workloadListener.authentication === 'none' && !this.allowsAnonymous()) {
      problems.push(`${describeProp('authorization', true, `KafkaCluster '${this.clusterName}'`)} would deny every client of the workloads' listener '${this.workloadListener.name}', which does not authenticate (its clients are ANONYMOUS and have no ACLs). Authenticate that listener or pick another 'workloadListener'.`);
    }
    return problems;
  }

  private validateListenerAccess(): string[] {
    const problems: string[] = [];
    const owner = `KafkaCluster '${this.clusterName}'`;
    for (const l of this._listeners.filter((x) => x.restricted && (this.clients.get(x.name) ?? []).length === 0)) {
      problems.push(
        `${describeProp('restricted', true, `listener '${l.name}' of ${owner}`)} lets only registered clients connect, and none is registered, so nobody could connect. ` +
        `Connect a client to it (e.g. Eventrouter or FluentBit with 'listener: "${l.name}"'), call allowClients('${l.name}', peer), or set 'restricted' to false.`,
      );
    }
    if (this.superUsers.includes(ANONYMOUS)) {
      for (const l of this._listeners.filter((x) => x.authentication === 'none' && !x.restricted)) {
        problems.push(
          `${describeProp('superUsers', [...this.superUsers], owner)} include ANONYMOUS, and listener '${l.name}' has no authentication and is not restricted: every pod that reaches port ${l.port} would be a super user. ` +
          `Set 'restricted: true' on listener '${l.name}' (only its registered clients may connect), give it authentication, or remove it.`,
        );
      }
    }
    return problems;
  }

  /** @internal */
  public _toKube(): KafkaSpec {
    return {
      kafka: {
        version: this.kafkaVersion,
        listeners: this._listeners.map((l) => toKubeListener(l, this.clientsOf(l.name))),
        config: { ...this.config },
        ...(this.authorization
          ? { authorization: { type: KafkaSpecKafkaAuthorizationType.SIMPLE, ...(this.superUsers.length > 0 ? { superUsers: [...this.superUsers] } : {}) } }
          : {}),
      },
      ...(this.entityOperator
        ? {
          entityOperator: {
            topicOperator: { resources: entityOperatorResources(this.entityOperatorResources) as KafkaSpecEntityOperatorTopicOperatorResources },
            userOperator: { resources: entityOperatorResources(this.entityOperatorResources) as KafkaSpecEntityOperatorUserOperatorResources },
          },
        }
        : {}),
    };
  }
}

function checkSuperUsers(superUsers: string[] | undefined, authorization: boolean, owner: string): string[] {
  if (superUsers === undefined) return [];
  if (!Array.isArray(superUsers)) throw new PropError(`${describeProp('superUsers', superUsers, owner)} must be a list of principal names.`);
  if (superUsers.length > 0 && !authorization) {
    throw new PropError(`${describeProp('superUsers', superUsers, owner)} needs 'authorization': without an authorizer every client may do everything and super users mean nothing. Set 'authorization: true' or remove 'superUsers'.`);
  }
  for (const user of superUsers) {
    checkNonEmpty('superUsers', user, owner);
    if (user.startsWith('User:')) {
      throw new PropError(`${describeProp('superUsers', user, owner)} starts with 'User:', which Strimzi adds itself (it would become 'User:${user}'); give ${JSON.stringify(user.slice(5))}.`);
    }
    if (/[;\r\n\t]/.test(user) || user.trim() !== user) {
      throw new PropError(`${describeProp('superUsers', user, owner)} must be one principal name without ';' (the separator of Kafka's 'super.users'), line breaks or surrounding spaces.`);
    }
  }
  const seen = new Set<string>();
  for (const user of superUsers) {
    if (seen.has(user)) throw new PropError(`${describeProp('superUsers', user, owner)} is listed twice.`);
    seen.add(user);
  }
  return [...superUsers];
}

/** Entity operator container resources (same quantity strings as a node pool's). */
function entityOperatorResources(r: kplus.ContainerResources): unknown {
  return toPoolResources(r);
}

function toPoolResources(r: kplus.ContainerResources): KafkaNodePoolSpec['resources'] {
  const requests: Record<string, KafkaNodePoolSpecResourcesRequests> = {};
  const limits: Record<string, KafkaNodePoolSpecResourcesLimits> = {};
  if (r.cpu?.request) requests.cpu = KafkaNodePoolSpecResourcesRequests.fromString(r.cpu.request.amount);
  if (r.cpu?.limit) limits.cpu = KafkaNodePoolSpecResourcesLimits.fromString(r.cpu.limit.amount);
  if (r.memory?.request) requests.memory = KafkaNodePoolSpecResourcesRequests.fromString(quantity(r.memory.request));
  if (r.memory?.limit) limits.memory = KafkaNodePoolSpecResourcesLimits.fromString(quantity(r.memory.limit));
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}
