/**
 * A Strimzi KafkaUser (kafka.strimzi.io/v1) whose ACLs are built from intents
 * (`topic.grantRead(user, group)`, `topic.grantWrite(user)`), so each workload gets least privilege.
 */
import { Lazy, Names } from 'cdk8s';
import { Construct } from 'constructs';
import {
  KafkaUser as KafkaUserResource,
  KafkaUserSpec,
  KafkaUserSpecAuthenticationType,
  KafkaUserSpecAuthorizationAclsOperations,
  KafkaUserSpecAuthorizationAclsResourcePatternType,
  KafkaUserSpecAuthorizationAclsResourceType,
  KafkaUserSpecAuthorizationType,
} from '../../imports/strimzi-kafkauser-kafka.strimzi.io';
import { checkNonEmpty, checkOneOf, describeProp, DNS_SUBDOMAIN, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster, STRIMZI_CLUSTER_LABEL } from './kafka-cluster';
import { _claimObjectName, _clusterRegistry } from './object-names';

/** How a KafkaUser authenticates. */
export type KafkaUserAuthentication = 'tls' | 'scram-sha-512';

/** Kafka ACL operations Strimzi accepts. */
export type AclOperation = 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'ClusterAction' | 'AlterConfigs' | 'DescribeConfigs' | 'IdempotentWrite' | 'All';

/** One allow rule. */
export interface KafkaAcl {
  /** Kind of resource. */
  readonly resourceType: 'topic' | 'group' | 'cluster' | 'transactionalId';
  /** Resource name (ignored for 'cluster'). @default - none (cluster) */
  readonly name?: string;
  /** Whether `name` is a literal or a prefix. @default 'literal' */
  readonly patternType?: 'literal' | 'prefix';
  /** Operations allowed. */
  readonly operations: AclOperation[];
}

/** Props of a KafkaUser. */
export interface KafkaUserProps {
  /** The cluster the user belongs to. @default - the nearest KafkaCluster above the user in the construct tree */
  readonly cluster?: IKafkaCluster;
  /** User name (metadata.name; also the name of the Secret Strimzi writes the credentials to). @default - derived from the construct path */
  readonly userName?: string;
  /** How the user authenticates. @default - the authentication of the cluster's workload listener when it has one, else 'scram-sha-512' */
  readonly authentication?: KafkaUserAuthentication;
}

const OPERATIONS: AclOperation[] = ['Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction', 'AlterConfigs', 'DescribeConfigs', 'IdempotentWrite', 'All'];

/** A Strimzi KafkaUser (id 'Resource') in its cluster's namespace. */
export class KafkaUser extends Construct {
  /** User name (metadata.name). */
  public readonly userName: string;
  /** The cluster the user belongs to. */
  public readonly cluster: IKafkaCluster;
  /** How the user authenticates. */
  public readonly authentication: KafkaUserAuthentication;
  /** Name of the Secret the user operator writes the credentials to (the user name). */
  public readonly secretName: string;
  /** The Strimzi KafkaUser object. */
  public readonly resource: KafkaUserResource;

  private readonly acls = new Map<string, { acl: KafkaAcl; operations: Set<AclOperation> }>();

  constructor(scope: Construct, id: string, props: KafkaUserProps = {}) {
    super(scope, id);
    const cluster = props.cluster ?? KafkaCluster.of(this);
    if (!cluster) {
      throw new PropError(`${describeProp('cluster', undefined)} of KafkaUser '${id}' must be set when the user is not created inside a KafkaCluster.`);
    }
    this.cluster = cluster;
    this.userName = checkNonEmpty('userName', props.userName ?? Names.toDnsLabel(this), 'KafkaUser');
    if (!DNS_SUBDOMAIN.test(this.userName) || this.userName.length > 63) {
      throw new PropError(`${describeProp('userName', this.userName, 'KafkaUser')} must be a lowercase DNS name of at most 63 characters (it also names the credentials Secret).`);
    }
    this.secretName = this.userName;
    const listenerAuth = cluster instanceof KafkaCluster ? cluster.workloadListener.authentication : 'none';
    const defaultAuth: KafkaUserAuthentication = listenerAuth === 'tls' ? 'tls' : 'scram-sha-512';
    this.authentication = checkOneOf('authentication', props.authentication ?? defaultAuth, ['tls', 'scram-sha-512'], `KafkaUser '${this.userName}'`);
    _claimObjectName(this, 'KafkaUser', cluster.namespace, this.userName);
    _clusterRegistry(cluster).users.push({ authentication: this.authentication, path: this.node.path });

    this.node.addValidation({ validate: () => this.validateAgainstCluster() });

    this.resource = new KafkaUserResource(this, 'Resource', {
      metadata: {
        name: this.userName,
        ...(cluster.namespace ? { namespace: cluster.namespace } : {}),
        labels: { [STRIMZI_CLUSTER_LABEL]: cluster.clusterName },
      },
      spec: Lazy.any({ produce: () => this._toKube() }) as unknown as KafkaUserSpec,
    });
  }

  /** Allow `acl` (merged with earlier rules on the same resource). Prefer `topic.grantRead()` / `grantWrite()`. */
  public addAcl(acl: KafkaAcl): void {
    const owner = `KafkaUser '${this.userName}'`;
    checkOneOf('resourceType', acl.resourceType, ['topic', 'group', 'cluster', 'transactionalId'], owner);
    if (acl.resourceType !== 'cluster') checkNonEmpty('name', acl.name ?? '', `an ACL of ${owner}`);
    if (!Array.isArray(acl.operations) || acl.operations.length === 0) {
      throw new PropError(`${describeProp('operations', acl.operations, `an ACL of ${owner}`)} must list at least one operation.`);
    }
    for (const op of acl.operations) checkOneOf('operations', op, OPERATIONS, `an ACL of ${owner}`);
    const patternType = acl.patternType ?? 'literal';
    const key = `${acl.resourceType}/${patternType}/${acl.name ?? ''}`;
    const entry = this.acls.get(key) ?? { acl: { ...acl, patternType }, operations: new Set<AclOperation>() };
    acl.operations.forEach((op) => entry.operations.add(op));
    this.acls.set(key, entry);
  }

  /** The ACLs granted so far (copies, operations in a stable order). */
  public get aclRules(): KafkaAcl[] {
    return [...this.acls.values()].map(({ acl, operations }) => ({
      resourceType: acl.resourceType,
      ...(acl.resourceType === 'cluster' ? {} : { name: acl.name }),
      patternType: acl.patternType,
      operations: OPERATIONS.filter((op) => operations.has(op)),
    }));
  }

  /** What the cluster must offer for this user to work: a listener with its authentication, an authorizer for its ACLs. */
  private validateAgainstCluster(): string[] {
    const cluster = this.cluster;
    if (!(cluster instanceof KafkaCluster)) return [];
    const problems: string[] = [];
    const listeners = cluster.listeners;
    if (!listeners.some((l) => l.authentication === this.authentication)) {
      problems.push(`${describeProp('authentication', this.authentication, `KafkaUser '${this.userName}'`)} matches no listener of KafkaCluster '${cluster.clusterName}' (${listeners.map((l) => `'${l.name}': ${l.authentication}`).join(', ')}); its credentials could never be used. Add a listener with that authentication or change 'authentication'.`);
    }
    if (this.acls.size > 0 && !cluster.authorization) {
      problems.push(`KafkaUser '${this.userName}' has ACLs but KafkaCluster '${cluster.clusterName}' has 'authorization' off; the user operator rejects ACLs on a cluster without an authorizer. Set 'authorization': true on the cluster (the default when the workloads' listener authenticates).`);
    }
    return problems;
  }

  /** @internal */
  public _toKube(): KafkaUserSpec {
    const rules = this.aclRules;
    return {
      authentication: {
        type: this.authentication === 'tls' ? KafkaUserSpecAuthenticationType.TLS : KafkaUserSpecAuthenticationType.SCRAM_HYPHEN_SHA_HYPHEN_512,
      },
      ...(rules.length > 0
        ? {
          authorization: {
            type: KafkaUserSpecAuthorizationType.SIMPLE,
            acls: rules.map((r) => ({
              resource: {
                type: r.resourceType as KafkaUserSpecAuthorizationAclsResourceType,
                ...(r.name !== undefined ? { name: r.name, patternType: r.patternType as KafkaUserSpecAuthorizationAclsResourcePatternType } : {}),
              },
              operations: r.operations as unknown as KafkaUserSpecAuthorizationAclsOperations[],
            })),
          },
        }
        : {}),
    };
  }
}
