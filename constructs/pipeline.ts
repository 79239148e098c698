/**
 * The whole Klaxon stack for one environment: Kafka, the event sources and log shippers that
 * feed it, and the workloads that read it. Every part is a public field, so an environment in
 * main.ts can reach in and extend it (`pipeline.topics.logs`, `pipeline.sourcesChart`).
 *
 * Charts are ordered with `addDependency`, so `dist/<env>/` files are numbered in apply order:
 * kafka (namespace, cluster, topics) → sources and logging → workloads (with their KEDA scalers)
 * → notifications (Notification Manager receivers, when configured).
 */
import { k8s } from 'cdk8s-plus-27';
import { DEFAULT_NOTIFICATION_MANAGER_URL } from '../functions/contracts/alert-sinks';
import { WORKLOAD_IDENTITIES } from '../functions/contracts/workload-env';
import { Construct, IConstruct } from 'constructs';
import { AlertSink } from './alerting/alert-sink';
import { LogAlerter, LogAlerterProps } from './workloads/log-alerter';
import { NotificationManagerSlackConfig, NotificationManagerSlackConfigProps } from './alerting/notification-manager/slack-config';
import { NotificationManagerSlackReceiver, NotificationManagerSlackReceiverProps } from './alerting/notification-manager/slack-receiver';
import { NotificationManagerWebhookReceiver, NotificationManagerWebhookReceiverProps } from './alerting/notification-manager/webhook-receiver';
import { KafkaCluster, KafkaClusterProps } from './kafka/kafka-cluster';
import { KafkaUser } from './kafka/kafka-user';
import { KlaxonNetworkPolicies, KlaxonNetworkPoliciesProps } from './network/network-policies';
import { KlaxonTopics, KlaxonTopicsProps } from './kafka/klaxon-topics';
import { checkPinnedImages, ImagePolicy } from './images';
import { KlaxonChart } from './klaxon-chart';
import { LogShipping } from './shipping/bind';
import type { ILogShipper } from './shipping/log-shipping';
import { EventSource } from './sources/bind';
import { EventExporter } from './sources/event-exporter';
import { Eventrouter } from './sources/eventrouter';
import { KubeEventer } from './sources/kube-eventer';
import { KafkaLagScaler, KafkaLagScalerProps } from './scaling/kafka-lag-scaler';
import { checkNamespaceName, describeProp, PropError } from './validation';
import { EventsFanout, EventsFanoutProps } from './workloads/events-fanout';
import { FunctionCode } from './workloads/function-code';

/** In-cluster URL of KubeSphere Notification Manager's alert API (Alertmanager webhook shape); the log-alerter's default too. */
export const NOTIFICATION_MANAGER_ALERTS_URL = DEFAULT_NOTIFICATION_MANAGER_URL;

/** The KafkaUser the log shipper logs in as when its listener authenticates (its Secret has the same name). */
export const LOG_SHIPPER_USER = 'klaxon-log-shipper';

/** The code of each Klaxon workload (main.ts reads the bundles `npm run build:functions` writes). */
export interface KlaxonFunctionCode {
  /** Code of events-fanout. */
  readonly eventsFanout: FunctionCode;
  /** Code of log-alerter. */
  readonly logAlerter: FunctionCode;
  /** Code of event-exporter; required while `EventSource.exporter()` is a source. @default - none */
  readonly eventExporter?: FunctionCode;
}

/** KEDA scaling of one workload on its consumer lag, or `false` for a fixed replica count. */
export type WorkloadScaling = Omit<KafkaLagScalerProps, 'function'> | false;

/** The log-alerter: its rules, sinks and options. */
export interface LogAlerterOptions extends Omit<LogAlerterProps, 'source' | 'deadLetter' | 'code' | 'sinks'> {
  /** Where alerts go. @default [AlertSink.notificationManager()] (NOTIFICATION_MANAGER_ALERTS_URL) */
  readonly sinks?: AlertSink[];
}

/** Notification Manager receivers that take the alerts onward (NM itself is installed separately). */
export interface NotificationsOptions {
  /** A global Slack receiver and its Config (bot token by Secret reference). @default - none */
  readonly slack?: Omit<NotificationManagerSlackReceiverProps, 'config'> & { readonly token: NotificationManagerSlackConfigProps['token'] };
  /** Global webhook receivers. @default - none */
  readonly webhooks?: NotificationManagerWebhookReceiverProps[];
}

/** Props of a KlaxonPipeline. */
export interface KlaxonPipelineProps {
  /** Namespace of Kafka, the event sources and the workloads. @default 'klaxon' */
  readonly namespace?: string;
  /** Namespace of the Fluent Bit DaemonSet; Pod Security `privileged`, since it mounts host paths. @default 'klaxon-logging' */
  readonly loggingNamespace?: string;
  /** The Strimzi Kafka cluster. @default - KafkaCluster defaults: one dual-role broker, ephemeral storage */
  readonly kafka?: KafkaClusterProps;
  /** The standard topic set (logs, cluster-events, per-namespace fanout topics, dead letters). @default - KlaxonTopics defaults */
  readonly topics?: Omit<KlaxonTopicsProps, 'cluster'>;
  /** Where Kubernetes Events come from (each writes `cluster-events`); at most one of each kind. @default [EventSource.exporter()] */
  readonly eventSources?: EventSource[];
  /** How container logs reach the `logs` topic. @default LogShipping.fluentBit() */
  readonly logShipping?: LogShipping;
  /** Code of the workloads. */
  readonly code: KlaxonFunctionCode;
  /** events-fanout options (resources, log level, …). @default - EventsFanout defaults */
  readonly eventsFanout?: Omit<EventsFanoutProps, 'topics' | 'code'>;
  /** The log-alerter (and its event-alerter) over `logs` and `cluster-events`: rules (at least one) and sinks. */
  readonly logAlerter: LogAlerterOptions;
  /** KEDA ScaledObjects on consumer lag, per workload. @default - both scaled 0..partitions with KafkaLagScaler defaults */
  readonly scaling?: { readonly eventsFanout?: WorkloadScaling; readonly logAlerter?: WorkloadScaling };
  /** Notification Manager receivers (Slack, webhooks), in their own chart. @default - none: NM's own receivers are used */
  readonly notifications?: NotificationsOptions;
  /** Whether pods must run images pinned by digest (checked at synth over every pod of the app). @default - tags allowed */
  readonly images?: ImagePolicy;
  /** Klaxon's NetworkPolicies (in the workloads chart), or `false` for none. @default - KlaxonNetworkPolicies defaults (monitoring namespace 'monitoring') */
  readonly networkPolicies?: Omit<KlaxonNetworkPoliciesProps, 'cluster'> | false;
}

/**
 * Every manifest of one environment's Klaxon pipeline, as a set of ordered charts added to an app.
 * Not a construct itself: its charts sit directly under the app so their files are named after them
 * (`dist/<env>/0000-kafka.k8s.yaml`, …).
 */
export class KlaxonPipeline {
  /** Namespace of Kafka, the event sources and the workloads. */
  public readonly namespace: string;
  /** Namespace of the log shipper's pods. */
  public readonly loggingNamespace: string;
  /** Chart with the Namespace, the Kafka cluster, its node pools, topics and users. */
  public readonly kafkaChart: KlaxonChart;
  /** The Kafka cluster. */
  public readonly cluster: KafkaCluster;
  /** The standard topics. */
  public readonly topics: KlaxonTopics;
  /** Chart with the event sources (event-exporter, eventrouter, kube-eventer). */
  public readonly sourcesChart: KlaxonChart;
  /** The event sources, as bound from `eventSources`. */
  public readonly sources: IConstruct[];
  /** event-exporter → cluster-events (the default source), when it is a source. */
  public readonly exporter?: EventExporter;
  /** eventrouter → cluster-events, when it is a source. */
  public readonly eventrouter?: Eventrouter;
  /** kube-eventer, when it is a source (e.g. `KubeEventerWebhookBody.alertmanagerWebhook()` to Notification Manager). */
  public readonly kubeEventer?: KubeEventer;
  /** Chart with the log shipper (and its namespace, for the Fluent Bit DaemonSet); empty with `LogShipping.none()`. */
  public readonly loggingChart: KlaxonChart;
  /** The log shipper writing container logs to `logs`; absent with `LogShipping.none()`. */
  public readonly logShipper?: ILogShipper;
  /** Chart with the workloads that read Kafka. */
  public readonly workloadsChart: KlaxonChart;
  /** events-fanout: cluster-events → one topic per namespace. */
  public readonly eventsFanout: EventsFanout;
  /** log-alerter: logs → alerts to its sinks. */
  public readonly logAlerter: LogAlerter;
  /** KEDA scalers of the workloads (absent where scaling is `false`). */
  public readonly scalers: { readonly eventsFanout?: KafkaLagScaler; readonly logAlerter?: KafkaLagScaler };
  /** Chart with the Notification Manager receivers, when any is configured. */
  public readonly notificationsChart?: KlaxonChart;
  /** Klaxon's NetworkPolicies (absent with `networkPolicies: false`). */
  public readonly networkPolicies?: KlaxonNetworkPolicies;

  constructor(app: Construct, props: KlaxonPipelineProps) {
    this.namespace = checkNamespaceName('namespace', props.namespace ?? 'klaxon', 'KlaxonPipeline');
    this.loggingNamespace = checkNamespaceName('loggingNamespace', props.loggingNamespace ?? 'klaxon-logging', 'KlaxonPipeline');
    if (this.loggingNamespace === this.namespace) {
      throw new PropError(`${describeProp('loggingNamespace', this.loggingNamespace, 'KlaxonPipeline')} must differ from 'namespace': the log shipper needs Pod Security 'privileged', the rest runs under 'baseline'/'restricted'.`);
    }

    this.kafkaChart = new KlaxonChart(app, 'kafka', { namespace: this.namespace });
    namespace(this.kafkaChart, this.namespace, 'baseline');
    this.cluster = new KafkaCluster(this.kafkaChart, 'Kafka', props.kafka);
    this.topics = new KlaxonTopics(this.cluster, 'Topics', { ...props.topics, cluster: this.cluster });

    this.sourcesChart = new KlaxonChart(app, 'sources', { namespace: this.namespace });
    this.sourcesChart.addDependency(this.kafkaChart);
    // On a workload listener that authenticates, each workload gets its own KafkaUser (least privilege:
    // the workload grants it exactly its ACLs, and its pods and scaler log in as it).
    const workloadUser = (id: string, userName: string): KafkaUser | undefined =>
      this.cluster.workloadListener.authentication === 'none' ? undefined : new KafkaUser(this.cluster, id, { userName });
    const eventSources = props.eventSources ?? [EventSource.exporter()];
    const kinds = eventSources.map((source) => source.kind);
    const twice = kinds.find((kind, i) => kinds.indexOf(kind) !== i);
    if (twice !== undefined) throw new PropError(`${describeProp('eventSources', kinds, 'KlaxonPipeline')} names '${twice}' twice: every source writes every Event, so each would arrive twice.`);
    this.sources = eventSources.map((source) => source.bind({
      chart: this.sourcesChart,
      topic: this.topics.clusterEvents,
      cluster: this.cluster,
      exporterCode: props.code.eventExporter,
      workloadUser,
    }));
    this.exporter = this.sources.find((s): s is EventExporter => s instanceof EventExporter);
    this.eventrouter = this.sources.find((s): s is Eventrouter => s instanceof Eventrouter);
    this.kubeEventer = this.sources.find((s): s is KubeEventer => s instanceof KubeEventer);

    const loggingChart = (this.loggingChart = new KlaxonChart(app, 'logging', { namespace: this.loggingNamespace }));
    loggingChart.addDependency(this.kafkaChart);
    let shipperUser: KafkaUser | undefined;
    this.logShipper = (props.logShipping ?? LogShipping.fluentBit()).bind({
      chart: loggingChart,
      topic: this.topics.logs,
      cluster: this.cluster,
      // On a listener that authenticates, the shipper logs in as its own KafkaUser (Write on `logs` only).
      shipperUser: (listener) => {
        const on = listener === undefined ? this.cluster.workloadListener : this.cluster.listener(listener);
        if (on.authentication !== 'scram-sha-512') return undefined;
        return (shipperUser ??= new KafkaUser(this.cluster, 'LogShipperUser', { userName: LOG_SHIPPER_USER, authentication: 'scram-sha-512' }));
      },
      addNamespace: (podSecurity) => namespace(loggingChart, this.loggingNamespace, podSecurity),
    });

    this.workloadsChart = new KlaxonChart(app, 'workloads', { namespace: this.namespace });
    this.workloadsChart.addDependency(this.kafkaChart);
    this.eventsFanout = new EventsFanout(this.workloadsChart, 'EventsFanout', {
      ...props.eventsFanout,
      user: props.eventsFanout?.user ?? workloadUser('EventsFanoutUser', WORKLOAD_IDENTITIES.eventsFanout.name),
      topics: this.topics,
      code: props.code.eventsFanout,
    });
    const { sinks, ...logAlerter } = props.logAlerter;
    this.logAlerter = new LogAlerter(this.workloadsChart, 'LogAlerter', {
      ...logAlerter,
      user: logAlerter.user ?? workloadUser('LogAlerterUser', WORKLOAD_IDENTITIES.logAlerter.name),
      source: this.topics.logs,
      events: this.topics.clusterEvents,
      deadLetter: this.topics.deadLetter,
      code: props.code.logAlerter,
      sinks: sinks ?? [AlertSink.notificationManager()],
    });
    const scaler = (id: string, workload: 'eventsFanout' | 'logAlerter', target: EventsFanout | LogAlerter): KafkaLagScaler | undefined => {
      const scaling = props.scaling?.[workload];
      if (scaling === false) return undefined;
      const replicas = props[workload]?.replicas;
      if (replicas !== undefined) {
        throw new PropError(
          `${describeProp(`${workload}.replicas`, replicas, 'KlaxonPipeline')} would be ignored: KEDA owns the replica count while 'scaling.${workload}' is on. ` +
          `Set 'scaling.${workload}.minReplicas' (and maxReplicas) instead, or 'scaling.${workload}: false' for a fixed count.`,
        );
      }
      return new KafkaLagScaler(this.workloadsChart, id, { ...scaling, function: target.function });
    };
    this.scalers = {
      eventsFanout: scaler('EventsFanoutScaler', 'eventsFanout', this.eventsFanout),
      logAlerter: scaler('LogAlerterScaler', 'logAlerter', this.logAlerter),
    };

    checkPinnedImages(this.workloadsChart, props.images ?? {}, 'KlaxonPipeline');
    // Built last: the policies are derived from every pod and Kafka client the pipeline holds.
    if (props.networkPolicies !== false) {
      this.networkPolicies = new KlaxonNetworkPolicies(this.workloadsChart, 'NetworkPolicies', { ...props.networkPolicies, cluster: this.cluster });
    }

    const notifications = props.notifications;
    if (notifications && (notifications.slack || (notifications.webhooks ?? []).length > 0)) {
      this.notificationsChart = new KlaxonChart(app, 'notifications', {});
      this.notificationsChart.addDependency(this.workloadsChart);
      if (notifications.slack) {
        const { token, ...receiver } = notifications.slack;
        const config = new NotificationManagerSlackConfig(this.notificationsChart, 'SlackConfig', { token });
        new NotificationManagerSlackReceiver(this.notificationsChart, 'SlackReceiver', { ...receiver, config });
      }
      (notifications.webhooks ?? []).forEach((webhook, i) => new NotificationManagerWebhookReceiver(this.notificationsChart!, `WebhookReceiver${i}`, webhook));
    }
  }
}

/** A Namespace object with the Pod Security level its pods need (warning on anything below 'restricted'). */
function namespace(scope: Construct, name: string, enforce: 'privileged' | 'baseline' | 'restricted'): k8s.KubeNamespace {
  return new k8s.KubeNamespace(scope, 'Namespace', {
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/part-of': 'klaxon',
        'pod-security.kubernetes.io/enforce': enforce,
        'pod-security.kubernetes.io/warn': enforce === 'privileged' ? 'privileged' : 'restricted',
      },
    },
  });
}
