/**
 * What a Klaxon workload pod needs to reach a KafkaCluster's workload listener: the
 * KafkaSecurityEnv keys (functions/contracts/kafka-security.ts), and the Secret volumes holding the
 * certificates. Everything comes from objects: the listener from the KafkaCluster, the credentials
 * from the KafkaUser whose Secret Strimzi's User Operator writes (`password` for scram-sha-512,
 * `user.crt`/`user.key` for tls; each a mounted file, the password read by the runtime from
 * `KAFKA_SASL_PASSWORD_FILE`), the brokers' CA from the cluster CA Secret
 * (`<cluster>-cluster-ca-cert`, key `ca.crt`). No secret value is ever rendered.
 *
 *   const access = KafkaClientAccess.of(cluster, user, "KafkaFunction 'log-alerter'");
 *   container.env.push(...access.env); pod.volumes.push(...access.volumes);
 */
import { k8s } from 'cdk8s-plus-27';
import { KAFKA_CERTS_DIR, KafkaSecurityEnv, SecurityProtocol, securityProtocolOf } from '../../functions/contracts/kafka-security';
import { describeProp, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster, KafkaListener } from './kafka-cluster';
import type { KafkaUser } from './kafka-user';

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
    return new KafkaClientAccess(cluster, tls, authentication === 'scram-sha-512' ? user : undefined, authentication === 'tls' ? user : undefined);
  }

  /** Kafka's security.protocol for this access. */
  public readonly protocol: SecurityProtocol;
  /** The KafkaSecurityEnv variables (none for a plain listener). */
  public readonly env: readonly k8s.EnvVar[];
  /** Secret volumes with the certificates (none without TLS). */
  public readonly volumes: readonly k8s.Volume[];
  /** Where the container mounts them. */
  public readonly volumeMounts: readonly k8s.VolumeMount[];

  private constructor(cluster: IKafkaCluster, tls: boolean, scramUser: KafkaUser | undefined, tlsUser: KafkaUser | undefined) {
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
