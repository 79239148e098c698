/**
 * A client of a KafkaCluster listener, in one place:
 * - the rules Klaxon's sources, shippers and workloads apply to themselves as clients: whether the
 *   client can use the listener (TLS, authentication, ANONYMOUS under authorization), registering its
 *   pods as the listener's clients, and the bootstrap servers it is given;
 * - `KafkaClientAccess`: what a Klaxon workload pod needs to reach the workload listener (the
 *   KafkaSecurityEnv keys of functions/contracts/kafka-security.ts and the Secret volumes holding
 *   certificates and passwords; every value from objects, no secret value rendered), read by the
 *   workload's Deployment and by its KEDA scaler alike.
 *
 *   const access = KafkaClientAccess.of(cluster, user, "KafkaFunction 'log-alerter'");
 *   container.env.push(...access.env); pod.volumes.push(...access.volumes);
 */
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { KAFKA_CERTS_DIR, KafkaSecurityEnv, SecurityProtocol, securityProtocolOf } from '../../functions/contracts/kafka-security';
import { describeProp, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster } from './kafka-cluster';
import type { KafkaListener, ListenerAuthentication } from './kafka-listeners';
import type { IKafkaTopic } from './kafka-topic';
import type { KafkaUser } from './kafka-user';

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

/** The Secret Strimzi's Cluster Operator writes the cluster CA certificate to. */
export function clusterCaSecretName(cluster: IKafkaCluster): string {
  return `${cluster.clusterName}-cluster-ca-cert`;
}

const CLUSTER_CA_VOLUME = 'kafka-cluster-ca';
const USER_CERT_VOLUME = 'kafka-user-cert';
const SASL_VOLUME = 'kafka-sasl';

/** Env, volumes and mounts that let a pod connect to a cluster's workload listener. */
export class KafkaClientAccess {
  /**
   * The access `owner` (a phrase for messages, e.g. "KafkaFunction 'events-fanout'") needs for
   * `cluster`'s workload listener, authenticating as `user`; `namespace` is the pod's, which must be
   * the cluster's when a Secret is referenced (Secrets are read in the pod's own namespace).
   *
   * Fails, naming the prop and value, when the listener authenticates and no user is given, when a
   * user is given for a listener without authentication, or when the user's authentication is not
   * the listener's.
   */
  public static of(cluster: IKafkaCluster, user: KafkaUser | undefined, owner: string, namespace?: string): KafkaClientAccess {
    // A cluster known only by its interface (not built here) is taken as plain: its listeners are unknown.
    const listener: KafkaListener | undefined = cluster instanceof KafkaCluster ? cluster.workloadListener : undefined;
    const authentication = listener?.authentication ?? 'none';
    const where = `KafkaCluster '${cluster.clusterName}'`;
    if (user && user.cluster !== cluster) {
      throw new PropError(`${describeProp('user', user.userName, owner)} belongs to KafkaCluster '${user.cluster.clusterName}', not to ${where} the workload connects to.`);
    }
    if (authentication === 'none' && user) {
      throw new PropError(
        `${describeProp('user', user.userName, owner)} would never be used: ${describeProp('workloadListener', listener?.name ?? 'unknown', where)} has no authentication. ` +
        "Remove 'user', or point 'workloadListener' at a listener with 'scram-sha-512' or 'tls' authentication.",
      );
    }
    if (authentication !== 'none' && !user) {
      throw new PropError(
        `${describeProp('user', undefined, owner)} must be set: ${describeProp('workloadListener', listener!.name, where)} needs ${authentication} authentication. ` +
        `Give a KafkaUser with authentication '${authentication}' (its grants are the workload's ACLs).`,
      );
    }
    if (user && user.authentication !== authentication) {
      throw new PropError(
        `${describeProp('user', user.userName, owner)} authenticates with '${user.authentication}', but ${describeProp('workloadListener', listener!.name, where)} ` +
        `expects '${authentication}'. Give a KafkaUser with authentication '${authentication}'.`,
      );
    }
    const tls = listener?.tls ?? false;
    if ((tls || user) && namespace !== undefined && cluster.namespace !== undefined && namespace !== cluster.namespace) {
      throw new PropError(
        `${owner} runs in namespace '${namespace}' but the Secrets it needs (${[tls ? clusterCaSecretName(cluster) : '', user?.secretName ?? ''].filter(Boolean).join(', ')}) ` +
        `are written to the namespace '${cluster.namespace}' of ${where}. Run the workload in '${cluster.namespace}'.`,
      );
    }
    return new KafkaClientAccess(cluster, tls, authentication, user);
  }

  /** Whether the listener uses TLS (the client trusts the cluster CA, `caSecretName`). */
  public readonly tls: boolean;
  /** How the client authenticates. */
  public readonly authentication: ListenerAuthentication;
  /** The KafkaUser it authenticates as (undefined without authentication). */
  public readonly user?: KafkaUser;
  /** The Secret holding the cluster CA certificate (key `ca.crt`), when `tls`. */
  public readonly caSecretName?: string;
  /** Kafka's security.protocol for this access. */
  public readonly protocol: SecurityProtocol;
  /** The KafkaSecurityEnv variables (none for a plain listener). */
  public readonly env: readonly k8s.EnvVar[];
  /** Secret volumes with the certificates (none without TLS). */
  public readonly volumes: readonly k8s.Volume[];
  /** Where the container mounts them. */
  public readonly volumeMounts: readonly k8s.VolumeMount[];

  private constructor(cluster: IKafkaCluster, tls: boolean, authentication: ListenerAuthentication, user: KafkaUser | undefined) {
    this.tls = tls;
    this.authentication = authentication;
    this.user = user;
    this.caSecretName = tls ? clusterCaSecretName(cluster) : undefined;
    const scramUser = authentication === 'scram-sha-512' ? user : undefined;
    const tlsUser = authentication === 'tls' ? user : undefined;
    this.protocol = securityProtocolOf(tls, scramUser !== undefined);
    const env: k8s.EnvVar[] = [];
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    if (this.protocol !== 'PLAINTEXT') env.push({ name: KafkaSecurityEnv.SECURITY_PROTOCOL, value: this.protocol });
    if (scramUser) {
      env.push(
        { name: KafkaSecurityEnv.SASL_MECHANISM, value: 'SCRAM-SHA-512' },
        { name: KafkaSecurityEnv.SASL_USERNAME, value: scramUser.userName },
        // The password as a mounted file; the runtime reads KAFKA_SASL_PASSWORD_FILE into KAFKA_SASL_PASSWORD.
        { name: `${KafkaSecurityEnv.SASL_PASSWORD}_FILE`, value: `${KAFKA_CERTS_DIR}/sasl/password` },
      );
      volumes.push({ name: SASL_VOLUME, secret: { secretName: scramUser.secretName, items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } });
      mounts.push({ name: SASL_VOLUME, mountPath: `${KAFKA_CERTS_DIR}/sasl`, readOnly: true });
    }
    if (tls) {
      const dir = `${KAFKA_CERTS_DIR}/cluster-ca`;
      volumes.push({ name: CLUSTER_CA_VOLUME, secret: { secretName: clusterCaSecretName(cluster), items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
      mounts.push({ name: CLUSTER_CA_VOLUME, mountPath: dir, readOnly: true });
      env.push({ name: KafkaSecurityEnv.SSL_CA_FILE, value: `${dir}/ca.crt` });
    }
    if (tlsUser) {
      const dir = `${KAFKA_CERTS_DIR}/user`;
      volumes.push({ name: USER_CERT_VOLUME, secret: { secretName: tlsUser.secretName, items: [{ key: 'user.crt', path: 'user.crt' }, { key: 'user.key', path: 'user.key' }] } });
      mounts.push({ name: USER_CERT_VOLUME, mountPath: dir, readOnly: true });
      env.push({ name: KafkaSecurityEnv.SSL_CERT_FILE, value: `${dir}/user.crt` }, { name: KafkaSecurityEnv.SSL_KEY_FILE, value: `${dir}/user.key` });
    }
    this.env = env;
    this.volumes = volumes;
    this.volumeMounts = mounts;
  }
}
