/**
 * kube-eventer: watches Kubernetes Events and exports them to one or more sinks, each an
 * `--sink=` argument rendered from a typed KubeEventerSink (see kube-eventer-sinks.ts).
 *
 * Checked in kube-eventer 1.2.14's source: the Kubernetes source lists (limit 1) and watches
 * Events in all namespaces (sources/kubernetes/kubernetes_source.go); the webhook sink reads its
 * body-template ConfigMap once at start (sinks/webhook/webhook.go); /healthz on :8084 answers
 * once the manager runs (eventer.go). Nothing else in the API is read.
 */
import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerImage, KLAXON_IMAGES, registerImage } from '../images';
import { checkInteger, describeProp, PropError } from '../validation';
import { checkKafkaClientCompat, KafkaClientImage, KafkaClientInfo } from './kafka-client-compat';
import { KubeEventerSink, KubeEventerSinkContext } from './kube-eventer-sinks';
import {
  chartNamespace,
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

/** A kube-eventer image (a ContainerImage) and its Kafka client. */
export class KubeEventerImage extends KafkaClientImage {
  /**
   * The image kube-eventer's own manifests (deploy/deploy.yaml, README) pin up to release 1.2.14.
   * Every kube-eventer release, 1.2.14 included, builds with Shopify/sarama v1.22.1 and never sets a
   * protocol version: Kafka < 4 only. Pin it with `KubeEventerImage.V1_2_7.withDigest('sha256:…')`.
   */
  public static readonly V1_2_7 = new KubeEventerImage(
    KLAXON_IMAGES.kubeEventer,
    { library: 'Shopify/sarama v1.22.1', protocol: 'legacy-0.8.2' },
  );

  /** Any other build (`ContainerImage.of(repo, tag, digest?)`); say which Kafka client it has (a fork that sets sarama's Config.Version is 'kafka4-compatible'). */
  public static custom(image: ContainerImage, kafkaClient: KafkaClientInfo): KubeEventerImage {
    return new KubeEventerImage(image, kafkaClient);
  }

  private constructor(image: ContainerImage, kafkaClient: KafkaClientInfo) {
    super(image, kafkaClient);
  }

  /** The same build pinned to `digest` ('sha256:…'). */
  public withDigest(digest: string): KubeEventerImage {
    return new KubeEventerImage(this.image.withDigest(digest), this.kafkaClient);
  }
}

/** Props of a KubeEventer. */
export interface KubeEventerProps {
  /** The sinks; more with addSink(). At least one is needed by synth. @default - none yet */
  readonly sinks?: KubeEventerSink[];
  /** The image; pin it with `KubeEventerImage.V1_2_7.withDigest('sha256:…')`. @default KubeEventerImage.V1_2_7 ('registry.aliyuncs.com/acs/kube-eventer:v1.2.7-ca03be0-aliyun') */
  readonly image?: KubeEventerImage;
  /** `--frequency`: how often events are pushed to the sinks (5s to 3m). @default Duration.seconds(30) */
  readonly frequency?: Duration;
  /** Container resources; fields not given keep their default. @default - requests 50m CPU / 64Mi, limit 256Mi memory */
  readonly resources?: kplus.ContainerResources;
}

/** kube-eventer's health port (`--healthz-port`, default 8084). */
export const KUBE_EVENTER_HEALTHZ_PORT = 8084;

const USER_ID = 65534;
const SINK_FILES_DIR = '/etc/kube-eventer/sinks';

interface SinkResources {
  readonly argument: string;
  readonly env: k8s.EnvVar[];
  readonly volumes: k8s.Volume[];
  readonly mounts: k8s.VolumeMount[];
  readonly templates: string[];
}

/**
 * kube-eventer with typed sinks: ServiceAccount, ClusterRole (events list/watch) and binding, a
 * Role per webhook body ConfigMap, and a one-replica Deployment (id 'Resource').
 */
export class KubeEventer extends Construct {
  /** The image. */
  public readonly image: KubeEventerImage;
  /** Push frequency. */
  public readonly frequency: Duration;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The ServiceAccount. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The ClusterRole. */
  public readonly clusterRole: k8s.KubeClusterRole;

  private readonly owner: string;
  private readonly namespace: string;
  private readonly labels: Record<string, string>;
  private readonly resources: kplus.ContainerResources;
  private readonly _sinks: KubeEventerSink[] = [];
  private readonly rendered: SinkResources[] = [];
  private readonly configMapGrants = new Set<string>();

  constructor(scope: Construct, id: string, props: KubeEventerProps = {}) {
    super(scope, id);
    this.owner = `KubeEventer '${id}'`;
    this.image = props.image ?? KubeEventerImage.V1_2_7;
    registerImage(this, 'image', this.image.image, this.owner);
    this.frequency = props.frequency ?? Duration.seconds(30);
    checkInteger('frequency', this.frequency.toSeconds(), { min: 5, max: 180, owner: this.owner });
    this.resources = resolveResources(props.resources, {
      cpu: { request: kplus.Cpu.millis(50) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) },
    }, this.owner);
    this.namespace = chartNamespace(this, this.owner);
    this.labels = selectorLabels(this, 'kube-eventer');

    ({ serviceAccount: this.serviceAccount, clusterRole: this.clusterRole } = clusterReader(this, {
      owner: this.owner,
      labels: this.labels,
      rules: [{ apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] }],
    }));
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { labels: this.labels },
      spec: Lazy.any({ produce: () => this._toDeploymentSpec() }),
    });

    for (const sink of props.sinks ?? []) this.addSink(sink);
    this.node.addValidation({
      validate: () => (this._sinks.length === 0
        ? [`${describeProp('sinks', [], this.owner)} is empty: kube-eventer without a sink exports nothing. Pass 'sinks' or call addSink().`]
        : []),
    });
  }

  /** The sinks (a copy). */
  public get sinks(): KubeEventerSink[] {
    return [...this._sinks];
  }

  /** The container arguments, in order. */
  public get args(): string[] {
    return [
      '--source=kubernetes:https://kubernetes.default',
      `--frequency=${this.frequency.toSeconds()}s`,
      `--healthz-port=${KUBE_EVENTER_HEALTHZ_PORT}`,
      ...this.rendered.map((r) => r.argument),
    ];
  }

  /** Adds a sink; fails at once when it cannot work with this image or its cluster. */
  public addSink(sink: KubeEventerSink): void {
    if (this._sinks.includes(sink)) throw new PropError(`${describeProp('sinks', sink.kind, this.owner)} has the same sink object twice.`);
    const topic = sink.kafkaTopic;
    if (topic) {
      checkKafkaClientCompat({
        owner: this.owner,
        prop: 'image',
        image: this.image.reference,
        client: this.image.kafkaClient,
        cluster: topic.cluster,
        waysOut: [
          'send events to Kafka with Eventrouter (EventrouterImage.OPENSHIFT_V0_5_0 ships IBM/sarama v1.46.3) and keep kube-eventer for its other sinks;',
          `use a kube-eventer build that sets sarama's Config.Version (kube-eventer has no option for it), declared with KubeEventerImage.custom(image, { library, protocol: 'kafka4-compatible' });`,
          'write to a cluster that runs Kafka 3.x.',
        ],
      });
    }
    const index = this._sinks.length;
    const resources: SinkResources = { argument: '', env: [], volumes: [], mounts: [], templates: [] };
    const secretVolumes = new Map<string, k8s.Volume & { secret: { items: k8s.KeyToPath[] } }>();
    const context: KubeEventerSinkContext = {
      owner: this.owner,
      index,
      secretRef: (field, value) => {
        const name = `KUBE_EVENTER_SINK_${index}_${field}`;
        if (resources.env.some((e) => e.name === name)) throw new PropError(`${this.owner}: sink ${index} asked for env ${name} twice.`);
        resources.env.push(secretEnv(name, value));
        return `\${${name}}`;
      },
      secretFile: (file, value) => {
        let volume = secretVolumes.get(value.secret.name);
        if (!volume) {
          volume = { name: `sink-${index}-${secretVolumes.size}`, secret: { secretName: value.secret.name, items: [], defaultMode: 0o440 } };
          secretVolumes.set(value.secret.name, volume);
          resources.volumes.push(volume);
        }
        const dir = `${SINK_FILES_DIR}/${index}/${volume.name}`;
        if (!resources.mounts.some((m) => m.name === volume!.name)) resources.mounts.push({ name: volume.name, mountPath: dir, readOnly: true });
        volume.secret.items.push({ key: value.key, path: file });
        return `${dir}/${file}`;
      },
      bodyTemplate: (template) => {
        const cm = new k8s.KubeConfigMap(this, `Sink${index}Body`, { metadata: { labels: this.labels }, data: { content: template } });
        resources.templates.push(template);
        return { namespace: this.namespace, name: cm.name };
      },
      readConfigMap: (namespace, name) => this.grantConfigMapRead(namespace, name),
    };
    const binding = sink._bind(context);
    this._sinks.push(sink);
    this.rendered.push({ ...resources, argument: binding.argument });
  }

  private grantConfigMapRead(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.configMapGrants.has(key)) return;
    const n = this.configMapGrants.size;
    this.configMapGrants.add(key);
    const role = new k8s.KubeRole(this, `BodyReader${n}`, {
      metadata: { labels: this.labels, namespace },
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [name], verbs: ['get'] }],
    });
    new k8s.KubeRoleBinding(this, `BodyReader${n}Binding`, {
      metadata: { labels: this.labels, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: this.namespace }],
    });
  }

  /** @internal */
  public _toDeploymentSpec(): k8s.DeploymentSpec {
    const args = this.args;
    const env = this.rendered.flatMap((r) => r.env);
    const volumes = [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } }, ...this.rendered.flatMap((r) => r.volumes)];
    const mounts = [{ name: 'tmp', mountPath: '/tmp' }, ...this.rendered.flatMap((r) => r.mounts)];
    const probe = (initialDelay: Duration): k8s.Probe =>
      httpProbe('/healthz', 'healthz', { initialDelay, period: Duration.seconds(20), timeout: Duration.seconds(5) });
    return {
      // kube-eventer has no leader election: a second replica would export every event twice.
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: this.labels },
      template: {
        metadata: {
          labels: this.labels,
          // Args roll the pod by themselves; body templates are read once at start, so they count too.
          annotations: { [CONFIG_HASH_ANNOTATION]: configHash(this.image.reference, ...args, ...this.rendered.flatMap((r) => r.templates)) },
        },
        spec: {
          serviceAccountName: this.serviceAccount.name,
          securityContext: restrictedPodSecurityContext(USER_ID),
          containers: [{
            name: 'kube-eventer',
            image: this.image.reference,
            imagePullPolicy: 'IfNotPresent',
            command: ['/kube-eventer'],
            args,
            ...(env.length ? { env } : {}),
            ports: [{ name: 'healthz', containerPort: KUBE_EVENTER_HEALTHZ_PORT }],
            livenessProbe: probe(Duration.seconds(30)),
            readinessProbe: probe(Duration.seconds(5)),
            resources: renderResources(this.resources),
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: mounts,
          }],
          volumes,
        },
      },
    };
  }
}
