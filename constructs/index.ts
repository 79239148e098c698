/**
 * Klaxon's public API: the constructs, their props, and the classes and types those props take
 * (static factories such as `AlertSink`, `ContainerImage`, `KubeEventerSink`). Helpers the constructs
 * share (validation, pod and Notification Manager support, config renderers) stay internal to their
 * modules; `test/constructs/public-api.test.ts` keeps it so.
 */
export { type AlertRule, type AlertThreshold, type EventMatch, type LogMatch } from './alerting/alert-rule';
export {
  AlertSink, type AlertmanagerSinkOptions, type BoundAlertSink, type NotificationManagerSinkOptions,
  type SecretHeader, type SinkGrouping, type SinkSecretEnv, type SlackSinkOptions, type WebhookSinkOptions,
} from './alerting/alert-sink';
export { DEFAULT_EVENT_RULES } from './alerting/default-event-rules';
export { LogAlerter, type LogAlerterProps } from './workloads/log-alerter';
export { SinkRetryTopics, type SinkRetryTopic, type SinkRetryTopicsProps } from './alerting/sink-retry-topics';
export {
  type NmAlertSelector, type NmReceiverCommonProps, type NmSecretKeyRef, type NmSelectorOperator,
  type NmSelectorRequirement,
} from './alerting/notification-manager/support';
export {
  NotificationManagerSlackConfig, type NotificationManagerSlackConfigProps,
} from './alerting/notification-manager/slack-config';
export {
  NotificationManagerSlackReceiver, type NotificationManagerSlackReceiverProps,
} from './alerting/notification-manager/slack-receiver';
export {
  NmWebhookTarget, NotificationManagerWebhookReceiver, type NmWebhookHttpConfig,
  type NmWebhookServiceOptions, type NmWebhookTlsOptions, type NotificationManagerWebhookReceiverProps,
} from './alerting/notification-manager/webhook-receiver';
export { ConsumerGroup, type ConsumerGroupProps } from './kafka/consumer-group';
export { KafkaClientAccess } from './kafka/kafka-client';
export {
  DEFAULT_KAFKA_VERSION, KafkaCluster, KafkaStorage, SUPPORTED_KAFKA_VERSIONS, type EphemeralStorageOptions,
  type IKafkaCluster, type KafkaClusterProps, type KafkaListener, type KafkaListenerOptions,
  type ListenerAuthentication, type ListenerClientPeer,
  type PersistentClaimStorageOptions,
} from './kafka/kafka-cluster';
export { KafkaTopic, type CleanupPolicy, type IKafkaTopic, type KafkaTopicProps } from './kafka/kafka-topic';
export {
  KafkaUser, type AclOperation, type KafkaAcl, type KafkaUserAuthentication, type KafkaUserProps,
} from './kafka/kafka-user';
export { KlaxonTopics, type KlaxonTopicsProps } from './kafka/klaxon-topics';
export {
  KlaxonNetworkPolicies, type ExternalEgress, type KlaxonNetworkPoliciesProps, type PodPeer,
} from './network/network-policies';
export { ContainerImage, KLAXON_IMAGES, type ImagePolicy } from './images';
export { KlaxonChart } from './klaxon-chart';
export {
  KlaxonPipeline, NOTIFICATION_MANAGER_ALERTS_URL, type LogAlerterOptions, type KlaxonFunctionCode,
  type KlaxonPipelineProps, type NotificationsOptions, type WorkloadScaling,
} from './pipeline';
export { KafkaLagScaler, type KafkaLagScalerProps, type OffsetResetPolicy } from './scaling/kafka-lag-scaler';
export { LogShipping, type LogShippingContext } from './shipping/bind';
export { FluentBit, type FluentBitLogLevel, type FluentBitProps } from './shipping/fluent-bit';
export {
  FluentOperatorKafkaOutput, type FluentOperatorKafkaOutputProps,
} from './shipping/fluent-operator-output';
export {
  type ContainerLogFormat, type ILogShipper, type KafkaTimestampFormat, type LogShippingOptions,
} from './shipping/log-shipping';
export { EventSource, type EventSourceContext } from './sources/bind';
export { EventExporter, type EventExporterProps, type EventType } from './sources/event-exporter';
export {
  Eventrouter, EventrouterImage, type EventrouterProps, type EventrouterSasl,
} from './sources/eventrouter';
export { type KafkaClientInfo, type KafkaProtocolSupport } from './sources/kafka-client-compat';
export { KubeEventer, KubeEventerImage, type KubeEventerProps } from './sources/kube-eventer';
export { type KubeEventerAlertmanagerWebhookOptions } from './sources/kube-eventer-alert-body';
export {
  KubeEventerSink, KubeEventerWebhookBody, type KubeEventerDingTalkSinkOptions,
  type KubeEventerElasticsearchSinkOptions, type KubeEventerHoneycombSinkOptions,
  type KubeEventerInfluxDbSinkOptions, type KubeEventerKafkaCompression, type KubeEventerKafkaSasl,
  type KubeEventerKafkaSinkOptions, type KubeEventerKafkaTls, type KubeEventerLevel,
  type KubeEventerMySqlSinkOptions, type KubeEventerSinkBinding, type KubeEventerSinkContext,
  type KubeEventerSlsSinkOptions, type KubeEventerWeChatSinkOptions, type KubeEventerWebhookSinkOptions,
} from './sources/kube-eventer-sinks';
export { PropError } from './validation';
export { EventsFanout, type EventsFanoutProps } from './workloads/events-fanout';
export { NamespaceTopics, type CreatedNamespaceTopicOptions } from './workloads/namespace-topics';
export {
  BundleCode, FunctionCode, ImageCode, type BundleCodeOptions, type FunctionCodeBindOptions,
  type FunctionCodeConfig, type FunctionCodeInit, type ImageCodeOptions,
} from './workloads/function-code';
export {
  KafkaFunction, type KafkaFunctionOptions, type KafkaFunctionProps, type LogLevel,
} from './workloads/kafka-function';
