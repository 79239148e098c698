/**
 * eventrouter: watches Kubernetes Events and writes each one, wrapped as `{"verb", "event",
 * "old_event"?}`, to a Kafka topic (see functions/contracts/event-formats.ts for the record).
 *
 * The config.json keys are the ones the program reads (sinks/interfaces.go of openshift/eventrouter
 * and heptiolabs/eventrouter), not the documented ones: `kafkaBrokers` is read with
 * viper.GetStringSlice (a JSON array; a comma-separated string would be one broker), and the
 * async switch is read from the misspelt key `kakfkaAsync` (`kafkaAsync` is never read).
 */
import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { KafkaListener } from '../kafka/kafka-listeners';
import { allowListenerClient, bootstrapBrokers, checkListenerClient } from '../kafka/kafka-client';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { ContainerImage, KLAXON_IMAGES, registerImage } from '../images';
import { checkInteger, describeProp, PropError } from '../validation';
import { checkKafkaClientCompat, KafkaClientImage, KafkaClientInfo } from './kafka-client-compat';
import {
  clusterReader,
  CONFIG_HASH_ANNOTATION,
  configHash,
  httpProbe,
  renderResources,
  resolveResources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  secretEnv,
  selectorLabels,
} from '../pod-support';

/** An eventrouter image (a ContainerImage) and what its Kafka sink can do. */
export class EventrouterImage extends KafkaClientImage {
  /**
   * openshift/eventrouter built from master after the switch to IBM/sarama v1.46.3 (commit b45b2160,
   * merged in PR #61), whose default protocol version (2.1.0) Kafka 4 serves. Its Kafka sink has no
   * SASL. The Makefile tags every master build `v0.5.0`, including builds from before the switch:
   * pin this tag by digest (`EventrouterImage.OPENSHIFT_V0_5_0.withDigest('sha256:…')`) after checking
   * the image's sarama version (`go version -m /bin/eventrouter`).
   */
  public static readonly OPENSHIFT_V0_5_0 = new EventrouterImage(
    KLAXON_IMAGES.eventrouter,
    { library: 'IBM/sarama v1.46.3', protocol: 'kafka4-compatible' },
    false,
  );

  /** heptiolabs/eventrouter v0.3 (Shopify/sarama v1.23.1): Kafka < 4 only; its Kafka sink has SASL/PLAIN. */
  public static readonly HEPTIO_V0_3 = new EventrouterImage(
    ContainerImage.of('gcr.io/heptio-images/eventrouter', 'v0.3'),
    { library: 'Shopify/sarama v1.23.1', protocol: 'legacy-0.8.2' },
    true,
  );

  /** Any other build (`ContainerImage.of(repo, tag, digest?)`); say which Kafka client it has and whether its Kafka sink reads SASL keys. */
  public static custom(image: ContainerImage, options: { readonly kafkaClient: KafkaClientInfo; readonly supportsSasl: boolean }): EventrouterImage {
    return new EventrouterImage(image, options.kafkaClient, options.supportsSasl);
  }

  private constructor(
    image: ContainerImage,
    kafkaClient: KafkaClientInfo,
    /** Whether its Kafka sink reads `kafkaSaslUser`/`kafkaSaslPwd`. */
    public readonly supportsSasl: boolean,
  ) {
    super(image, kafkaClient);
  }

  /** The same build pinned to `digest` ('sha256:…'). */
  public withDigest(digest: string): EventrouterImage {
    return new EventrouterImage(this.image.withDigest(digest), this.kafkaClient, this.supportsSasl);
  }
}

/** SASL/PLAIN credentials of eventrouter's Kafka sink, from Secret keys. */
export interface EventrouterSasl {
  /** The user name. */
  readonly username: kplus.SecretValue;
  /** The password. */
  readonly password: kplus.SecretValue;
}

/** Props of an Eventrouter. */
export interface EventrouterProps {
  /** The topic events are written to; the brokers come from its cluster. */
  readonly topic: IKafkaTopic;
  /**
   * The cluster listener to connect to (no TLS, no authentication); when it is restricted, eventrouter's
   * pods are allowed on it.
   * @default - the cluster's workload listener (`cluster.bootstrapServers`)
   */
  readonly listener?: string;
  /** The eventrouter image; pin it with `EventrouterImage.OPENSHIFT_V0_5_0.withDigest('sha256:…')`. @default EventrouterImage.OPENSHIFT_V0_5_0 ('quay.io/openshift/logging-eventrouter:v0.5.0') */
  readonly image?: EventrouterImage;
  /** `kafkaRetryMax`: sarama producer retries per record. @default 5 */
  readonly retryMax?: number;
  /** Use sarama's async producer (written to the key the program reads, `kakfkaAsync`). @default false - sync producer, errors are logged per record */
  readonly async?: boolean;
  /** SASL/PLAIN credentials (only images whose sink reads them). @default - no SASL */
  readonly sasl?: EventrouterSasl;
  /** Container resources; fields not given keep their default. @default - requests 50m CPU / 64Mi, limit 128Mi memory */
  readonly resources?: kplus.ContainerResources;
  /** Image for the init container that adds SASL credentials to config.json (a shell with sed). @default KLAXON_IMAGES.busybox ('busybox:1.37.0') */
  readonly initImage?: ContainerImage;
}

/** eventrouter's HTTP port (`-listen-address`, default :8080): Prometheus /metrics. */
export const EVENTROUTER_METRICS_PORT = 8080;

/** Where eventrouter looks for config.json. */
export const EVENTROUTER_CONFIG_DIR = '/etc/eventrouter';
/** Where the SASL init container reads the ConfigMap's config.json. */
export const EVENTROUTER_TEMPLATE_DIR = '/etc/eventrouter-template';
const SASL_USER_ENV = 'EVENTROUTER_SASL_USER';
const SASL_PASSWORD_ENV = 'EVENTROUTER_SASL_PASSWORD';
const USER_ID = 65534;

/**
 * eventrouter writing Kubernetes Events to a Kafka topic: ServiceAccount, ClusterRole (events
 * list/watch) and binding, ConfigMap with config.json, and a one-replica Deployment (id 'Resource').
 */
export class Eventrouter extends Construct {
  /** The topic written to. */
  public readonly topic: IKafkaTopic;
  /** The image. */
  public readonly image: EventrouterImage;
  /** Producer retries. */
  public readonly retryMax: number;
  /** Whether the async producer is used. */
  public readonly async: boolean;
  /** The listener connected to (undefined for a cluster known only by its interface). */
  public readonly listener?: KafkaListener;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The ConfigMap holding config.json. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ServiceAccount. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The ClusterRole. */
  public readonly clusterRole: k8s.KubeClusterRole;

  private readonly owner: string;
  private readonly sasl?: EventrouterSasl;
  private readonly resources: kplus.ContainerResources;
  /** The image of the SASL init container (rendered only with 'sasl'). */
  public readonly initImage: ContainerImage;
  private readonly listenerName?: string;

  constructor(scope: Construct, id: string, props: EventrouterProps) {
    super(scope, id);
    this.owner = `Eventrouter '${id}'`;
    this.topic = props.topic;
    this.image = props.image ?? EventrouterImage.OPENSHIFT_V0_5_0;
    this.retryMax = checkInteger('retryMax', props.retryMax ?? 5, { min: 0, max: 100, owner: this.owner });
    this.async = props.async ?? false;
    this.sasl = props.sasl;
    this.initImage = props.initImage ?? KLAXON_IMAGES.busybox;
    registerImage(this, 'image', this.image.image, this.owner);
    registerImage(this, 'initImage', this.initImage, this.owner);
    this.resources = resolveResources(props.resources, {
      cpu: { request: kplus.Cpu.millis(50) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
    }, this.owner);

    this.listenerName = props.listener;
    bootstrapBrokers(this.topic, this.owner, this.listenerName);
    if (this.sasl && !this.image.supportsSasl) {
      throw new PropError(
        `${describeProp('sasl', 'set', this.owner)} cannot be honoured: image ${JSON.stringify(this.image.reference)} has a Kafka sink without SASL `
        + '(openshift/eventrouter dropped kafkaSaslUser/kafkaSaslPwd). Remove \'sasl\' and use a listener without authentication, or use KubeEventer with a Kafka sink.',
      );
    }
    this.listener = checkListenerClient(this.topic.cluster, this.listenerName, this.owner, "eventrouter's Kafka sink has no TLS settings, and its only SASL mechanism (PLAIN, heptiolabs builds) is one Strimzi listeners do not offer");
    checkKafkaClientCompat({
      owner: this.owner,
      prop: 'image',
      image: this.image.reference,
      client: this.image.kafkaClient,
      cluster: this.topic.cluster,
      waysOut: [
        `use EventrouterImage.OPENSHIFT_V0_5_0 (IBM/sarama v1.46.3, no SASL) or another build whose sarama sets a protocol version, declared with EventrouterImage.custom(image, { kafkaClient: { library, protocol: 'kafka4-compatible' }, supportsSasl });`,
        'write to a cluster that runs Kafka 3.x.',
      ],
    });

    const labels = selectorLabels(this, 'eventrouter');
    ({ serviceAccount: this.serviceAccount, clusterRole: this.clusterRole } = clusterReader(this, {
      owner: this.owner,
      labels,
      automountServiceAccountToken: true,
      // The shared informer lists and watches Events in all namespaces; nothing else is read.
      rules: [{ apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] }],
    }));
    allowListenerClient(this.topic.cluster, this.listener, this, this.owner, labels);
    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { labels },
      data: { 'config.json': this.configJson() },
    });
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { labels },
      spec: Lazy.any({ produce: () => this._toDeploymentSpec(labels) }),
    });
  }

  /** The config.json eventrouter reads (no credentials: those are added in the pod from a Secret). */
  public configJson(): string {
    const config: Record<string, unknown> = {
      'sink': 'kafka',
      'kafkaBrokers': bootstrapBrokers(this.topic, this.owner, this.listenerName),
      'kafkaTopic': this.topic.topicName,
      'kafkaRetryMax': this.retryMax,
      // Sic: the program reads "kakfkaAsync"; "kafkaAsync" is never read.
      'kakfkaAsync': this.async,
      'enable-prometheus': true,
    };
    return `${JSON.stringify(config, null, 2)}\n`;
  }

  /** @internal */
  public _toDeploymentSpec(labels: Record<string, string>): k8s.DeploymentSpec {
    const config = this.configJson();
    const configVolume: k8s.Volume = { name: 'config', configMap: { name: this.configMap.name } };
    const volumes: k8s.Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }];
    const initContainers: k8s.Container[] = [];
    if (this.sasl) {
      // eventrouter reads credentials only from config.json: an init container appends them from
      // the Secret into a memory-backed emptyDir, so they never sit in the ConfigMap.
      volumes.push(configVolume, { name: 'rendered-config', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } });
      initContainers.push({
        name: 'add-sasl-credentials',
        image: this.initImage.reference,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', EVENTROUTER_SASL_SCRIPT],
        env: [secretEnv(SASL_USER_ENV, this.sasl.username), secretEnv(SASL_PASSWORD_ENV, this.sasl.password)],
        volumeMounts: [
          { name: 'config', mountPath: EVENTROUTER_TEMPLATE_DIR, readOnly: true },
          { name: 'rendered-config', mountPath: EVENTROUTER_CONFIG_DIR },
        ],
        resources: renderResources({ cpu: { request: kplus.Cpu.millis(10) }, memory: { request: Size.mebibytes(16), limit: Size.mebibytes(32) } }),
        securityContext: restrictedContainerSecurityContext(),
      });
    } else {
      volumes.push(configVolume);
    }
    return {
      // eventrouter has no leader election: two replicas would write every event twice.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash(config, this.image.reference) } },
        spec: {
          serviceAccountName: this.serviceAccount.name,
          securityContext: restrictedPodSecurityContext(USER_ID),
          ...(initContainers.length ? { initContainers } : {}),
          containers: [{
            name: 'eventrouter',
            image: this.image.reference,
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'metrics', containerPort: EVENTROUTER_METRICS_PORT }],
            // eventrouter serves only /metrics: the probe shows the process and its HTTP server are
            // alive, not that Kafka accepts records (the program has no such endpoint).
            livenessProbe: httpProbe('/metrics', 'metrics', { initialDelay: Duration.seconds(10), period: Duration.seconds(30), timeout: Duration.seconds(5) }),
            resources: renderResources(this.resources),
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [
              { name: this.sasl ? 'rendered-config' : 'config', mountPath: EVENTROUTER_CONFIG_DIR, readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          }],
          volumes,
        },
      },
    };
  }
}

/**
 * Appends `kafkaSaslUser`/`kafkaSaslPwd` to the rendered config.json. Values are passed to printf
 * as arguments (never as format), `\` and `"` are escaped for JSON, and control characters are
 * refused so the file stays valid JSON.
 */
export const EVENTROUTER_SASL_SCRIPT = [
  'set -eu',
  `for v in "$${SASL_USER_ENV}" "$${SASL_PASSWORD_ENV}"; do case "$v" in *[[:cntrl:]]*) echo "eventrouter SASL credentials must not contain control characters" >&2; exit 1;; esac; done`,
  `u=$(printf '%s' "$${SASL_USER_ENV}" | sed -e 's/[\\\\"]/\\\\&/g')`,
  `p=$(printf '%s' "$${SASL_PASSWORD_ENV}" | sed -e 's/[\\\\"]/\\\\&/g')`,
  `sed -e '$ s/}$//' ${EVENTROUTER_TEMPLATE_DIR}/config.json > ${EVENTROUTER_CONFIG_DIR}/config.json`,
  `printf ',\\n  "kafkaSaslUser": "%s",\\n  "kafkaSaslPwd": "%s"\\n}\\n' "$u" "$p" >> ${EVENTROUTER_CONFIG_DIR}/config.json`,
].join('\n');
