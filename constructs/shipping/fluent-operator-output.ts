/**
 * For clusters that already run fluent-operator: a ClusterOutput (fluentbit.fluent.io/v1alpha2)
 * writing container log records to a Kafka topic, labelled so the operator's
 * ClusterFluentBitConfig selects it, and by default its own ClusterInput (tail) and ClusterFilter
 * (kubernetes) under a separate tag, so the records match what the FluentBit DaemonSet emits
 * (functions/contracts/log-record.ts) whatever other filters the cluster has on `kube.*`.
 *
 * With a `user`, the output logs in with SCRAM-SHA-512: the rdkafka properties name the password as
 * `${KLAXON_KAFKA_SASL_PASSWORD}` and the CA as a file; the operator's FluentBit resource must give
 * its pods that env (from the user's Secret, by reference) and that volume (`podRequirements`), and
 * its `storage.path` for the filesystem buffer (README, Security model).
 *
 * The Fluent Bit image is the operator's (its FluentBit resource), not Klaxon's: it must be a
 * release whose librdkafka negotiates versions with Kafka 4 (Fluent Bit >= 2.x bundles librdkafka 2.x).
 */
import { Construct } from 'constructs';
import { ClusterFilter } from '../../imports/fluentbit-clusterfilter-fluentbit.fluent.io';
import { k8s } from 'cdk8s-plus-27';
import { ClusterInput, ClusterInputSpecTailStorageType } from '../../imports/fluentbit-clusterinput-fluentbit.fluent.io';
import { ClusterOutput, ClusterOutputSpec } from '../../imports/fluentbit-clusteroutput-fluentbit.fluent.io';
import { KafkaCluster } from '../kafka/kafka-cluster';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { checkAbsolutePath, checkNamespaceName, checkNonEmpty, describeProp, PropError } from '../validation';
import { fluentSize, ILogShipper, LogShippingOptions, registerLogShipper, ResolvedLogShipping, resolveLogShipping, tagPrefix } from './log-shipping';
import { LOG_KEY_FIELD, LOG_KEY_LUA, LOG_KEY_LUA_CALL } from './fluent-bit';

/** Props of a FluentOperatorKafkaOutput. */
export interface FluentOperatorKafkaOutputProps extends LogShippingOptions {
  /** Labels the operator's ClusterFluentBitConfig selects inputs, filters and outputs by. @default { 'fluentbit.fluent.io/enabled': 'true' } (fluent-operator's Helm chart) */
  readonly selectorLabels?: Record<string, string>;
  /** Also create the ClusterInput (tail) and ClusterFilter (kubernetes) with Klaxon's settings and tag. @default true */
  readonly includeInputAndFilter?: boolean;
  /** Tag prefix of Klaxon's tail input; the output matches `<tag>.*`. @default 'klaxon' */
  readonly tag?: string;
  /** Output `match` when `includeInputAndFilter` is false (the records then have whatever shape the cluster's own filters give). @default 'kube.*' */
  readonly match?: string;
  /** tail `db` inside the operator's Fluent Bit pod. @default '/fluent-bit/tail/klaxon-pos.db' */
  readonly dbPath?: string;
  /** Namespace of the operator's Fluent Bit pods, allowed on a restricted `listener`. @default 'fluent' (fluent-operator's documented `helm install -n fluent`) */
  readonly fluentBitNamespace?: string;
  /**
   * Labels of the operator's Fluent Bit pods (its FluentBit resource's labels, e.g. {
   * 'app.kubernetes.io/name': 'fluent-bit' } from the Helm chart), allowed on a restricted `listener`.
   * @default - every pod of `fluentBitNamespace`
   */
  readonly fluentBitPodLabels?: Record<string, string>;
}

/** Where fluent-operator's Helm chart is installed by its documentation (`helm install fluent-operator --create-namespace -n fluent`). */
export const DEFAULT_FLUENT_BIT_NAMESPACE = 'fluent';

const TAG = /^[a-z][a-z0-9-]*$/;

/**
 * fluent-operator resources that ship container logs to Kafka: a ClusterOutput (id 'Resource') and,
 * unless disabled, the ClusterInput and ClusterFilter that produce Klaxon's record shape.
 */
export class FluentOperatorKafkaOutput extends Construct implements ILogShipper {
  /** The topic written to. */
  public readonly topic: IKafkaTopic;
  /** Whether another shipper may write the same topic. */
  public readonly allowDuplicateShipping: boolean;
  /** For messages. */
  public readonly shipperDescription: string;
  /** The effective shipping settings. */
  public readonly settings: ResolvedLogShipping;
  /** Labels on every resource. */
  public readonly selectorLabels: Record<string, string>;
  /** The ClusterOutput. */
  public readonly output: ClusterOutput;
  /** The ClusterInput, when created. */
  public readonly input?: ClusterInput;
  /** The ClusterFilter, when created. */
  public readonly filter?: ClusterFilter;
  /** Namespace of the operator's Fluent Bit pods. */
  public readonly fluentBitNamespace: string;
  /** What the operator's FluentBit resource must add to its pods for `user` (env and Secret volume, by reference); empty without a user. */
  public readonly podRequirements: { readonly env: k8s.EnvVar[]; readonly volumes: k8s.Volume[]; readonly volumeMounts: k8s.VolumeMount[] };

  constructor(scope: Construct, id: string, props: FluentOperatorKafkaOutputProps) {
    super(scope, id);
    this.shipperDescription = `FluentOperatorKafkaOutput '${id}'`;
    const owner = this.shipperDescription;
    this.settings = resolveLogShipping(props, owner);
    this.topic = props.topic;
    this.allowDuplicateShipping = this.settings.allowDuplicateShipping;
    this.selectorLabels = { ...(props.selectorLabels ?? { 'fluentbit.fluent.io/enabled': 'true' }) };
    if (Object.keys(this.selectorLabels).length === 0) {
      throw new PropError(`${describeProp('selectorLabels', {}, owner)} is empty: the operator's ClusterFluentBitConfig would select nothing of it.`);
    }
    const includeInputAndFilter = props.includeInputAndFilter ?? true;
    const tag = props.tag ?? 'klaxon';
    if (!TAG.test(tag)) throw new PropError(`${describeProp('tag', tag, owner)} must be a lowercase word (letters, digits, '-').`);
    if (includeInputAndFilter && props.match !== undefined) {
      throw new PropError(`${describeProp('match', props.match, owner)} applies only with 'includeInputAndFilter: false'; Klaxon's own input is matched by '${tag}.*'.`);
    }
    const match = includeInputAndFilter ? `${tag}.*` : checkNonEmpty('match', props.match ?? 'kube.*', owner);
    this.fluentBitNamespace = checkNamespaceName('fluentBitNamespace', props.fluentBitNamespace ?? DEFAULT_FLUENT_BIT_NAMESPACE, owner);
    // Those pods are the operator's, not Klaxon's: the props say where they run and how they are labelled.
    if (this.settings.listener && this.topic.cluster instanceof KafkaCluster) {
      this.topic.cluster.registerClient(this.settings.listener.name, {
        namespace: this.fluentBitNamespace,
        ...(props.fluentBitPodLabels !== undefined ? { podLabels: props.fluentBitPodLabels } : {}),
      });
    }
    const s = this.settings;
    const metadata = { labels: this.selectorLabels };
    const c = s.credentials;
    this.podRequirements = {
      env: c ? [{ name: c.passwordEnv.name, valueFrom: { secretKeyRef: { name: c.passwordEnv.secretName, key: c.passwordEnv.key } } }] : [],
      volumes: c?.caSecret ? [{ name: 'klaxon-kafka-ca', secret: { secretName: c.caSecret.secretName, items: [{ key: c.caSecret.key, path: 'ca.crt' }] } }] : [],
      volumeMounts: c?.caSecret ? [{ name: 'klaxon-kafka-ca', mountPath: c.caSecret.mountPath, readOnly: true }] : [],
    };

    this.output = new ClusterOutput(this, 'Resource', { metadata, spec: kafkaOutputSpec(s, match) });

    if (includeInputAndFilter) {
      const dbPath = checkAbsolutePath('dbPath', props.dbPath ?? '/fluent-bit/tail/klaxon-pos.db', owner);
      this.input = new ClusterInput(this, 'Input', {
        metadata,
        spec: {
          tail: {
            tag: `${tag}.*`,
            path: s.logPath,
            ...(s.excludePaths.length ? { excludePath: s.excludePaths.join(',') } : {}),
            multilineParser: s.logFormats.join(', '),
            db: dbPath,
            dbLocking: true,
            memBufLimit: fluentSize(s.memBufLimit),
            skipLongLines: true,
            refreshIntervalSeconds: s.refreshInterval.toSeconds(),
            // Buffer on disk (needs the operator's FluentBitConfig 'storage.path'; without it Fluent Bit keeps memory buffering).
            storageType: ClusterInputSpecTailStorageType.FILESYSTEM,
          },
        },
      });
      this.filter = new ClusterFilter(this, 'Filter', {
        metadata,
        spec: {
          match: `${tag}.*`,
          filters: [{
            kubernetes: {
              kubeUrl: 'https://kubernetes.default.svc:443',
              kubeCaFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
              kubeTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
              kubeTagPrefix: tagPrefix(tag, s.logPath),
              mergeLog: s.mergeLog,
              mergeLogKey: s.mergeLogKey,
              keepLog: s.keepLog,
              labels: s.podLabels,
              annotations: s.podAnnotations,
              k8SLoggingParser: s.k8sLoggingParser,
              k8SLoggingExclude: s.k8sLoggingExclude,
            },
          }, { lua: { call: LOG_KEY_LUA_CALL, code: LOG_KEY_LUA } }],
        },
      });
    }
    registerLogShipper(this);
  }
}

/** The ClusterOutput spec (same settings as the DaemonSet's [OUTPUT]). */
export function kafkaOutputSpec(s: ResolvedLogShipping, match: string): ClusterOutputSpec {
  return {
    match,
    retryLimit: 'no_limits',
    kafka: {
      totalLimitSize: fluentSize(s.storageLimit),
      brokers: s.brokers.join(','),
      topics: s.topic.topicName,
      messageKeyField: LOG_KEY_FIELD,
      format: 'json',
      timestampKey: s.timestampKey,
      timestampFormat: s.timestampFormat,
      rdkafka: { ...s.rdkafka },
    },
  };
}
