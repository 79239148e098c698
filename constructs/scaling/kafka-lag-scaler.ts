/**
 * A KEDA ScaledObject (keda.sh/v1alpha1, id 'Resource') that scales one KafkaFunction from 0 to N
 * pods on the consumer lag of its group. Everything the trigger watches is read from the function's
 * objects: bootstrapServers from its cluster, topic from its source topic, consumerGroup from its
 * ConsumerGroup, scaleTargetRef from its Deployment. The scaler and the Deployment therefore cannot
 * disagree about which group's lag they mean, and the Deployment drops `replicas` (the function's
 * `scaleExternally`) so `kubectl apply` and Argo CD never fight the HPA KEDA creates.
 *
 *   const fanout = new EventsFanout(chart, 'EventsFanout', { topics, code });
 *   new KafkaLagScaler(chart, 'FanoutScaler', { function: fanout.function, lagThreshold: 100 });
 *
 * How KEDA's kafka scaler (v2.20, `pkg/scalers/kafka_scaler.go`) computes the lag, per partition of
 * the topic: the latest offset minus the group's committed offset; for a partition where the group
 * has committed nothing, `offsetResetPolicy: earliest` counts the latest offset (every record) and
 * `latest` counts 1 (0 with `scaleToZeroOnInvalidOffset`). The workload is active (scaled from 0)
 * when the summed lag exceeds `activationLagThreshold`; past that the HPA targets
 * `lagThreshold` lag per pod, never more pods than partitions.
 *
 * When the cluster's workload listener uses TLS or authentication, the scaler connects as the
 * function does, from the same objects: trigger `tls: enable` / `sasl: scram_sha512`, and a KEDA
 * TriggerAuthentication ('TriggerAuthentication') that reads the cluster CA (`<cluster>-cluster-ca-cert`,
 * `ca.crt`) and the function's KafkaUser Secret (`password`, or `user.crt`/`user.key`) by
 * reference, and the SASL user name from the function container's own env (KAFKA_SASL_USERNAME).
 * The KafkaUser the function is granted Read and Describe on its topic and group with covers what
 * KEDA asks the brokers (metadata, the group's committed offsets, the topic's latest offsets).
 *
 * No trigger `version` is rendered: KEDA 2.20.2 talks to the brokers with IBM/sarama 1.49 at its
 * default protocol version 1.0.0, which reads committed and latest offsets from Kafka 4.1.1
 * (checked with a one-off sarama 1.49 probe against the test harness broker).
 */
import { Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { KafkaSecurityEnv } from '../../functions/contracts/kafka-security';
import { ScaledObject, ScaledObjectSpec } from '../../imports/keda-scaledobject-keda.sh';
import { TriggerAuthentication, TriggerAuthenticationSpec } from '../../imports/keda-triggerauthentication-keda.sh';
import { KafkaCluster } from '../kafka/kafka-cluster';
import type { KafkaFunction } from '../workloads/kafka-function';
import { checkInteger, checkNamespaceName, checkOneOf, describeProp, PropError } from '../validation';

/** What KEDA counts for a partition on which the group has no committed offset. */
export type OffsetResetPolicy = 'earliest' | 'latest';

/** The policies KEDA accepts. */
export const OFFSET_RESET_POLICIES: readonly OffsetResetPolicy[] = ['earliest', 'latest'];

/**
 * The offsetResetPolicy matching the Klaxon runtime: functions/runtime/worker.ts subscribes with
 * `fromBeginning: true`, so a group without a committed offset reads a partition from its earliest
 * record. KEDA's `earliest` counts exactly that backlog as lag; KEDA's default `latest` would count
 * 1 per partition and hide the backlog the workload is about to read.
 */
export const RUNTIME_OFFSET_RESET_POLICY: OffsetResetPolicy = 'earliest';

/** KEDA's default target lag per pod. */
export const DEFAULT_LAG_THRESHOLD = 10;

/** The HPA's upper bound on a stabilization window (autoscaling/v2). */
const MAX_STABILIZATION_SECONDS = 3600;

/** The period of the scale-down policy: `scaleDownPodsPerMinute` pods per 60 seconds (the HPA allows 1 to 1800). */
const SCALE_DOWN_POLICY_PERIOD_SECONDS = 60;

/** Props of a KafkaLagScaler. */
export interface KafkaLagScalerProps {
  /** The workload to scale; its cluster, source topic, group and Deployment feed the trigger. */
  readonly function: KafkaFunction;
  /** Fewest pods; 0 lets KEDA scale the Deployment to zero when there is no lag. @default 0 */
  readonly minReplicas?: number;
  /** Most pods, at most the source topic's partitions (more consumers than partitions sit idle). @default - the source topic's partitions */
  readonly maxReplicas?: number;
  /** Target lag per pod (KEDA `lagThreshold`): pods = ceil(total lag / lagThreshold). @default DEFAULT_LAG_THRESHOLD (10) */
  readonly lagThreshold?: number;
  /** Total lag above which KEDA wakes the workload from zero (`activationLagThreshold`). @default 0 (any lag) */
  readonly activationLagThreshold?: number;
  /** How often KEDA reads the lag (`pollingInterval`), whole seconds. @default Duration.seconds(30) */
  readonly pollingInterval?: Duration;
  /** How long the lag must stay at or below the activation threshold before KEDA scales to 0 (`cooldownPeriod`), whole seconds. @default Duration.minutes(5) */
  readonly cooldownPeriod?: Duration;
  /**
   * What KEDA counts on a partition the group never committed; must match what the consumer does there.
   * @default RUNTIME_OFFSET_RESET_POLICY ('earliest': the Klaxon runtime reads such partitions from the beginning)
   */
  readonly offsetResetPolicy?: OffsetResetPolicy;
  /** Count at most one pod per partition that has lag (`limitToPartitionsWithLag`). @default false */
  readonly limitToPartitionsWithLag?: boolean;
  /** Count 0 lag on partitions without a committed offset (`scaleToZeroOnInvalidOffset`); needs `minReplicas` >= 1. @default false */
  readonly scaleToZeroOnInvalidOffset?: boolean;
  /** How long the HPA waits on a lower recommendation before removing pods (each removal rebalances the group). @default Duration.minutes(5) */
  readonly scaleDownStabilization?: Duration;
  /** Most pods removed per minute when scaling down. @default 1 */
  readonly scaleDownPodsPerMinute?: number;
  /** Pods to run while KEDA cannot read the lag (`fallback.replicas`), from 1 to `maxReplicas`. @default - the larger of 1 and `minReplicas` */
  readonly fallbackReplicas?: number;
  /** Failed lag reads in a row before the fallback applies (`fallback.failureThreshold`). @default 3 */
  readonly fallbackFailureThreshold?: number;
  /**
   * Where KEDA's operator (which reads the lag from Kafka) runs, allowed on a restricted workload
   * listener and by Klaxon's NetworkPolicies.
   * @default DEFAULT_KEDA_OPERATOR ({ namespace: 'keda', podLabels: { 'app.kubernetes.io/name': 'keda-operator' } }, KEDA's Helm chart)
   */
  readonly kedaOperator?: { readonly namespace: string; readonly podLabels: Record<string, string> };
}

/** Where KEDA's Helm chart runs its operator (`helm install keda kedacore/keda -n keda`). */
export const DEFAULT_KEDA_OPERATOR = { namespace: 'keda', podLabels: { 'app.kubernetes.io/name': 'keda-operator' } } as const;

/**
 * Scales a KafkaFunction on the consumer lag of its group with a KEDA ScaledObject ('Resource').
 * One scaler per function: a second one fails (two HPAs would fight over `replicas`).
 */
export class KafkaLagScaler extends Construct {
  /** The scaled function. */
  public readonly function: KafkaFunction;
  /** minReplicaCount. */
  public readonly minReplicas: number;
  /** maxReplicaCount. */
  public readonly maxReplicas: number;
  /** Target lag per pod. */
  public readonly lagThreshold: number;
  /** Lag above which the workload is woken from zero. */
  public readonly activationLagThreshold: number;
  /** How often KEDA reads the lag. */
  public readonly pollingInterval: Duration;
  /** Delay before scaling to zero. */
  public readonly cooldownPeriod: Duration;
  /** What KEDA counts on a partition without a committed offset. */
  public readonly offsetResetPolicy: OffsetResetPolicy;
  /** limitToPartitionsWithLag. */
  public readonly limitToPartitionsWithLag: boolean;
  /** scaleToZeroOnInvalidOffset. */
  public readonly scaleToZeroOnInvalidOffset: boolean;
  /** HPA scale-down stabilization window. */
  public readonly scaleDownStabilization: Duration;
  /** Most pods removed per minute. */
  public readonly scaleDownPodsPerMinute: number;
  /** Pods while the lag cannot be read. */
  public readonly fallbackReplicas: number;
  /** Failed reads before the fallback applies. */
  public readonly fallbackFailureThreshold: number;
  /** Where KEDA's operator runs. */
  public readonly kedaOperator: { readonly namespace: string; readonly podLabels: Record<string, string> };
  /** The ScaledObject. */
  public readonly resource: ScaledObject;
  /** The credentials KEDA connects with, when the workload listener needs TLS or authentication. */
  public readonly triggerAuthentication?: TriggerAuthentication;

  constructor(scope: Construct, id: string, props: KafkaLagScalerProps) {
    super(scope, id);
    const fn = props.function;
    if (!fn) throw new PropError(`${describeProp('function', undefined, `KafkaLagScaler '${id}'`)} must be set: the KafkaFunction to scale.`);
    const owner = `KafkaLagScaler of '${fn.workloadName}'`;
    this.function = fn;

    const partitions = fn.source.partitions;
    this.minReplicas = checkInteger('minReplicas', props.minReplicas ?? 0, { min: 0, owner });
    this.maxReplicas = checkInteger('maxReplicas', props.maxReplicas ?? partitions, { min: 1, owner });
    if (this.maxReplicas > partitions) {
      throw new PropError(
        `${describeProp('maxReplicas', this.maxReplicas, owner)} exceeds the partitions of topic '${fn.source.topicName}' (${partitions}); ` +
        "a consumer beyond the partition count gets no partition and sits idle. Lower 'maxReplicas' or raise the topic's 'partitions'.",
      );
    }
    if (this.minReplicas > this.maxReplicas) {
      throw new PropError(`${describeProp('minReplicas', this.minReplicas, owner)} exceeds 'maxReplicas' (${this.maxReplicas}). Lower 'minReplicas' or raise 'maxReplicas'.`);
    }
    this.lagThreshold = checkInteger('lagThreshold', props.lagThreshold ?? DEFAULT_LAG_THRESHOLD, { min: 1, owner });
    this.activationLagThreshold = checkInteger('activationLagThreshold', props.activationLagThreshold ?? 0, { min: 0, owner });
    this.pollingInterval = checkSeconds('pollingInterval', props.pollingInterval ?? Duration.seconds(30), 1, 86_400, owner);
    this.cooldownPeriod = checkSeconds('cooldownPeriod', props.cooldownPeriod ?? Duration.minutes(5), 0, 86_400, owner);
    this.offsetResetPolicy = checkOneOf('offsetResetPolicy', props.offsetResetPolicy ?? RUNTIME_OFFSET_RESET_POLICY, OFFSET_RESET_POLICIES, owner);
    this.limitToPartitionsWithLag = checkBoolean('limitToPartitionsWithLag', props.limitToPartitionsWithLag ?? false, owner);
    this.scaleToZeroOnInvalidOffset = checkBoolean('scaleToZeroOnInvalidOffset', props.scaleToZeroOnInvalidOffset ?? false, owner);
    if (this.scaleToZeroOnInvalidOffset && this.minReplicas === 0) {
      throw new PropError(
        `${describeProp('scaleToZeroOnInvalidOffset', true, owner)} with 'minReplicas' 0: a group that has never committed (a fresh install) reads as lag 0, ` +
        "so KEDA never starts the pod that would commit its first offset. Set 'minReplicas' to at least 1 or leave 'scaleToZeroOnInvalidOffset' false.",
      );
    }
    this.scaleDownStabilization = checkSeconds('scaleDownStabilization', props.scaleDownStabilization ?? Duration.minutes(5), 0, MAX_STABILIZATION_SECONDS, owner);
    this.scaleDownPodsPerMinute = checkInteger('scaleDownPodsPerMinute', props.scaleDownPodsPerMinute ?? 1, { min: 1, owner });
    this.fallbackReplicas = checkInteger('fallbackReplicas', props.fallbackReplicas ?? Math.max(1, this.minReplicas), { min: 1, max: this.maxReplicas, owner });
    this.fallbackFailureThreshold = checkInteger('fallbackFailureThreshold', props.fallbackFailureThreshold ?? 3, { min: 1, owner });

    // Throws if another scaler already owns the function's replicas.
    fn.scaleExternally(this);
    const keda = props.kedaOperator ?? DEFAULT_KEDA_OPERATOR;
    this.kedaOperator = { namespace: checkNamespaceName('kedaOperator.namespace', keda.namespace, owner), podLabels: { ...keda.podLabels } };
    // KEDA's operator reads the group's lag from the workload listener: it is one of its clients.
    if (fn.cluster instanceof KafkaCluster) {
      fn.cluster.registerClient(fn.cluster.workloadListener.name, { ...this.kedaOperator });
    }

    const labels = { ...fn.labels, 'app.kubernetes.io/component': 'kafka-lag-scaler' };
    const auth = triggerAuthenticationSpec(fn);
    if (auth) this.triggerAuthentication = new TriggerAuthentication(this, 'TriggerAuthentication', { metadata: { labels: { ...labels } }, spec: auth });
    this.resource = new ScaledObject(this, 'Resource', {
      metadata: { labels },
      spec: Lazy.any({ produce: () => this._toKube() }) as unknown as ScaledObjectSpec,
    });

    this.node.addValidation({
      validate: () => {
        const mine = this.resource.metadata.namespace;
        const target = fn.deployment.metadata.namespace;
        if (mine === target) return [];
        return [
          `KafkaLagScaler '${this.node.path}' is in namespace ${JSON.stringify(mine ?? null)} but the Deployment of '${fn.workloadName}' in ${JSON.stringify(target ?? null)}; ` +
          'a ScaledObject only scales a Deployment of its own namespace. Create the scaler in the chart of the function.',
        ];
      },
    });
  }

  /** The trigger metadata KEDA's kafka scaler reads, as rendered (a copy). */
  public get triggerMetadata(): Record<string, string> {
    const fn = this.function;
    return {
      bootstrapServers: fn.cluster.bootstrapServers,
      consumerGroup: fn.group.groupId,
      topic: fn.source.topicName,
      lagThreshold: String(this.lagThreshold),
      activationLagThreshold: String(this.activationLagThreshold),
      offsetResetPolicy: this.offsetResetPolicy,
      allowIdleConsumers: 'false',
      limitToPartitionsWithLag: String(this.limitToPartitionsWithLag),
      scaleToZeroOnInvalidOffset: String(this.scaleToZeroOnInvalidOffset),
      ...securityMetadata(fn),
    };
  }

  /** @internal */
  public _toKube(): ScaledObjectSpec {
    return {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.function.deployment.name },
      minReplicaCount: this.minReplicas,
      maxReplicaCount: this.maxReplicas,
      pollingInterval: this.pollingInterval.toSeconds(),
      cooldownPeriod: this.cooldownPeriod.toSeconds(),
      fallback: { failureThreshold: this.fallbackFailureThreshold, replicas: this.fallbackReplicas },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: this.scaleDownStabilization.toSeconds(),
              policies: [{ type: 'Pods', value: this.scaleDownPodsPerMinute, periodSeconds: SCALE_DOWN_POLICY_PERIOD_SECONDS }],
            },
          },
        },
      },
      triggers: [{
        type: 'kafka',
        metricType: 'AverageValue',
        metadata: this.triggerMetadata,
        ...(this.triggerAuthentication ? { authenticationRef: { name: this.triggerAuthentication.name } } : {}),
      }],
    };
  }

  /** The scaler of `fn`, if one is attached. */
  public static of(fn: KafkaFunction): KafkaLagScaler | undefined {
    const scaler = fn.scaler;
    return scaler instanceof KafkaLagScaler ? scaler : undefined;
  }
}

/** Trigger metadata for the workload's Kafka access (KEDA reads `tls` and `sasl` from the trigger). */
function securityMetadata(fn: KafkaFunction): Record<string, string> {
  const access = fn.kafkaAccess;
  return { ...(access.tls ? { tls: 'enable' } : {}), ...(access.authentication === 'scram-sha-512' ? { sasl: 'scram_sha512' } : {}) };
}

/** The TriggerAuthentication spec for the workload's Kafka access (the same CA and user its pods use), or undefined for a plain listener. */
function triggerAuthenticationSpec(fn: KafkaFunction): TriggerAuthenticationSpec | undefined {
  const { caSecretName, authentication, user } = fn.kafkaAccess;
  const secrets: Array<{ parameter: string; name: string; key: string }> = [];
  const env: Array<{ parameter: string; name: string; containerName: string }> = [];
  if (caSecretName) secrets.push({ parameter: 'ca', name: caSecretName, key: 'ca.crt' });
  if (user && authentication === 'scram-sha-512') {
    env.push({ parameter: 'username', name: KafkaSecurityEnv.SASL_USERNAME, containerName: fn.workloadName });
    secrets.push({ parameter: 'password', name: user.secretName, key: 'password' });
  }
  if (user && authentication === 'tls') {
    secrets.push({ parameter: 'cert', name: user.secretName, key: 'user.crt' }, { parameter: 'key', name: user.secretName, key: 'user.key' });
  }
  if (secrets.length === 0) return undefined;
  return { secretTargetRef: secrets, ...(env.length > 0 ? { env } : {}) };
}

/** A Duration of whole seconds within [min, max]. */
function checkSeconds(prop: string, value: Duration, min: number, max: number, owner: string): Duration {
  const ms = value.toMilliseconds();
  // Seconds, not toHumanString(): cdk8s renders 2 hours as "1 hour 60 minutes".
  const where = `'${prop}' (${ms / 1000} seconds) of ${owner}`;
  if (!Number.isInteger(ms / 1000)) throw new PropError(`${where} must be a whole number of seconds.`);
  if (ms / 1000 < min || ms / 1000 > max) throw new PropError(`${where} must be from ${min} to ${max} seconds.`);
  return value;
}

function checkBoolean(prop: string, value: boolean, owner: string): boolean {
  if (typeof value !== 'boolean') throw new PropError(`${describeProp(prop, value, owner)} must be true or false.`);
  return value;
}
