/**
 * The options of kube-eventer's sinks (KubeEventerSink.kafka, .webhook, .dingtalk, .wechat,
 * .elasticsearch, .sls, .influxdb, .mysql, .honeycomb) and the webhook's body template; the sinks
 * that render them are in kube-eventer-sinks.ts, which re-exports this module.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { checkNonEmpty } from '../validation';
import { alertmanagerWebhookTemplate, KubeEventerAlertmanagerWebhookOptions } from './kube-eventer-alert-body';

/** Event types kube-eventer filters on. `Normal` lets Normal and Warning events through. */
export type KubeEventerLevel = 'Normal' | 'Warning';

/** Codecs kube-eventer's Kafka sink accepts that work with its sarama (lz4 needs protocol >= 0.10, which it never sets). */
export type KubeEventerKafkaCompression = 'none' | 'gzip' | 'snappy';

/** SASL/PLAIN credentials of kube-eventer's Kafka sink. */
export interface KubeEventerKafkaSasl {
  /** User name, literal or from a Secret key. */
  readonly username: string | kplus.SecretValue;
  /** Password, from a Secret key. */
  readonly password: kplus.SecretValue;
}

/** TLS of kube-eventer's Kafka sink; each file is mounted from a Secret key. */
export interface KubeEventerKafkaTls {
  /** CA certificate (PEM) that signed the brokers' certificates. @default - none (then TLS is on only with a client certificate) */
  readonly caCert?: kplus.SecretValue;
  /** Client certificate (PEM) for mutual TLS; needs `clientKey`. @default - none */
  readonly clientCert?: kplus.SecretValue;
  /** Client private key (PEM); needs `clientCert`. @default - none */
  readonly clientKey?: kplus.SecretValue;
  /** `insecuressl`: skip verifying the brokers' certificates. @default false */
  readonly insecureSkipVerify?: boolean;
}

/** Options of KubeEventerSink.kafka. */
export interface KubeEventerKafkaSinkOptions {
  /** The topic events are written to (`eventstopic`); brokers come from its cluster. */
  readonly topic: IKafkaTopic;
  /** The cluster listener to connect to. @default - the cluster's workload listener (`cluster.bootstrapServers`) */
  readonly listener?: string;
  /** `compression`. @default 'none' */
  readonly compression?: KubeEventerKafkaCompression;
  /** `user` / `password` (SASL/PLAIN: sarama's default mechanism; Strimzi listeners offer SCRAM, not PLAIN). @default - no SASL */
  readonly sasl?: KubeEventerKafkaSasl;
  /** `cacert`, `cert`, `key`, `insecuressl`. @default - plaintext */
  readonly tls?: KubeEventerKafkaTls;
}

/** Options of KubeEventerSink.webhook. */
export interface KubeEventerWebhookSinkOptions {
  /** The http(s) endpoint. The options below are appended to its query, so the endpoint receives them too. */
  readonly url: string;
  /** `level`. @default - no level filter: every event (kube-eventer adds the filter only when `level` is given) */
  readonly level?: KubeEventerLevel;
  /** `namespaces`: only events of these namespaces (exact names). @default - all namespaces */
  readonly namespaces?: string[];
  /** `kinds`: only events about these object kinds (`Pod`, `Node`, ...). @default - all kinds */
  readonly kinds?: string[];
  /** `reason`: only events whose reason matches one of these regular expressions (no commas). @default - all reasons */
  readonly reasons?: string[];
  /** `method`. @default 'GET' (kube-eventer's default) */
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** `header`: literal request headers (no `=` in names or values). @default - none */
  readonly headers?: Record<string, string>;
  /** `header` values from Secret keys. They are also part of the URL the webhook is called with. @default - none */
  readonly secretHeaders?: Record<string, kplus.SecretValue>;
  /** `custom_body_configmap`: a Go template for the request body. @default - kube-eventer's built-in JSON body */
  readonly body?: KubeEventerWebhookBody;
}

/** The request body template of a webhook sink (a ConfigMap key `content` that kube-eventer reads at start). */
export class KubeEventerWebhookBody {
  /** A template rendered into a ConfigMap the KubeEventer creates (changes roll the pod). */
  public static template(template: string): KubeEventerWebhookBody {
    return new KubeEventerWebhookBody(checkNonEmpty('template', template, 'KubeEventerWebhookBody'), undefined);
  }

  /**
   * One Alertmanager webhook message per event (`{"receiver","status","alerts":[...],...}`), the body
   * KubeSphere Notification Manager takes on `POST /api/v2/alerts`. The alert has labels alertname,
   * severity, `extraLabels`, and from the involved object namespace, kind, name and reason (each left
   * out when empty); annotations message, component and host; startsAt = the event's last timestamp
   * (else its event time) in RFC 3339 UTC; fingerprint = the Event's UID. Every value is JSON-escaped
   * by the template itself (see kube-eventer-alert-body.ts). kube-eventer drops `"` from messages.
   */
  public static alertmanagerWebhook(options: KubeEventerAlertmanagerWebhookOptions = {}): KubeEventerWebhookBody {
    return new KubeEventerWebhookBody(alertmanagerWebhookTemplate(options), undefined);
  }

  /** An existing ConfigMap with the template in key `content`. */
  public static fromConfigMap(configMap: kplus.IConfigMap, namespace: string): KubeEventerWebhookBody {
    return new KubeEventerWebhookBody(undefined, { name: configMap.name, namespace: checkNonEmpty('namespace', namespace, 'KubeEventerWebhookBody') });
  }

  private constructor(
    /** @internal */ public readonly _template: string | undefined,
    /** @internal */ public readonly _configMap: { readonly name: string; readonly namespace: string } | undefined,
  ) {}
}

/** Options of KubeEventerSink.dingtalk. */
export interface KubeEventerDingTalkSinkOptions {
  /** `access_token` of the robot. */
  readonly accessToken: kplus.SecretValue;
  /** `sign`: the robot's signing secret. @default - unsigned */
  readonly signSecret?: kplus.SecretValue;
  /** Robot endpoint; kube-eventer always posts to https://<host><path>. @default 'https://oapi.dingtalk.com/robot/send' */
  readonly endpoint?: string;
  /** `level`. @default 'Warning' */
  readonly level?: KubeEventerLevel;
  /** `label`: lines prepended to each message. @default - none */
  readonly labels?: string[];
  /** `msg_type`. 'markdown' needs `clusterId` and `region`. @default 'text' */
  readonly msgType?: 'text' | 'markdown';
  /** `cluster_id`. @default - none */
  readonly clusterId?: string;
  /** `region`. @default - none */
  readonly region?: string;
  /** `namespaces`. @default - all namespaces */
  readonly namespaces?: string[];
  /** `kinds`. @default - all kinds */
  readonly kinds?: string[];
}

/** Options of KubeEventerSink.wechat. */
export interface KubeEventerWeChatSinkOptions {
  /** `corp_id`. */
  readonly corpId: string;
  /** `corp_secret`. */
  readonly corpSecret: kplus.SecretValue;
  /** `agent_id`. */
  readonly agentId: number;
  /** `to_user`. @default - '@all' */
  readonly toUsers?: string[];
  /** `level`. @default 'Warning' */
  readonly level?: KubeEventerLevel;
  /** `label`. @default - none */
  readonly labels?: string[];
  /** `namespaces`. @default - all namespaces */
  readonly namespaces?: string[];
  /** `kinds`. @default - all kinds */
  readonly kinds?: string[];
}

/** Options of KubeEventerSink.elasticsearch. */
export interface KubeEventerElasticsearchSinkOptions {
  /** `nodes`: http(s) URLs of the Elasticsearch nodes. */
  readonly nodes: string[];
  /** `ver`: Elasticsearch major version. @default 7 */
  readonly version?: 2 | 5 | 6 | 7;
  /** `esUserName` / `esUserSecret`. @default - no authentication */
  readonly credentials?: { readonly username: string | kplus.SecretValue; readonly password: kplus.SecretValue };
  /** `index`. @default - kube-eventer's 'heapster' */
  readonly index?: string;
  /** `cluster_name`. @default - kube-eventer's 'default' */
  readonly clusterName?: string;
  /** `use_namespace`: index per namespace. @default false */
  readonly useNamespace?: boolean;
  /** `maxRetries`. @default - the client's default */
  readonly maxRetries?: number;
  /** `healthCheck`. @default - the client's default (on) */
  readonly healthCheck?: boolean;
  /** `startupHealthcheckTimeout`. @default - the client's default */
  readonly startupHealthcheckTimeout?: Duration;
  /** `sniff`. @default - the client's default (on) */
  readonly sniff?: boolean;
  /** `bulkWorkers`. @default 5 */
  readonly bulkWorkers?: number;
  /** `pipeline`: ingest pipeline (ES >= 5). @default - none */
  readonly pipeline?: string;
}

/** Options of KubeEventerSink.sls. */
export interface KubeEventerSlsSinkOptions {
  /** `project`. */
  readonly project: string;
  /** `logStore`. */
  readonly logStore: string;
  /** `topic`. @default - none */
  readonly topic?: string;
  /** `regionId`. @default - from env RegionId or instance metadata */
  readonly regionId?: string;
  /** `accessKeyId` / `accessKeySecret`. @default - RAM role from instance metadata */
  readonly accessKey?: { readonly id: kplus.SecretValue; readonly secret: kplus.SecretValue };
  /** `internal`: use the VPC endpoint. @default true (kube-eventer's default) */
  readonly internal?: boolean;
  /** `label`: key/value pairs added to each log (no commas). @default - none */
  readonly labels?: Record<string, string>;
}

/** Options of KubeEventerSink.influxdb. */
export interface KubeEventerInfluxDbSinkOptions {
  /** http(s)://host:port of InfluxDB. */
  readonly url: string;
  /** `db`. @default 'k8s' */
  readonly database?: string;
  /** `user` / `pw`. @default - kube-eventer's root/root */
  readonly credentials?: { readonly username: string | kplus.SecretValue; readonly password: kplus.SecretValue };
  /** `retention`. @default - kube-eventer's '0' */
  readonly retentionPolicy?: string;
  /** `withfields`. @default false */
  readonly withFields?: boolean;
  /** `insecuressl`. @default false */
  readonly insecureSkipVerify?: boolean;
  /** `cluster_name`. @default - kube-eventer's 'default' */
  readonly clusterName?: string;
  /** `disable_counter_metrics`. @default false */
  readonly disableCounterMetrics?: boolean;
  /** `concurrency`. @default 1 */
  readonly concurrency?: number;
}

/** Options of KubeEventerSink.mysql. */
export interface KubeEventerMySqlSinkOptions {
  /** MySQL host. */
  readonly host: string;
  /** MySQL port. @default 3306 */
  readonly port?: number;
  /** Database. */
  readonly database: string;
  /** User, literal or from a Secret key. */
  readonly username: string | kplus.SecretValue;
  /** Password from a Secret key. kube-eventer logs the whole DSN, password included, at start: see `allowPasswordInLogs`. */
  readonly password: kplus.SecretValue;
  /** `table`. @default 'kube_event' */
  readonly table?: string;
  /** `charset` of the DSN. @default 'utf8' */
  readonly charset?: string;
  /** Accept that kube-eventer 1.2.14 prints the DSN with the password to its log (common/mysql/mysql.go). @default false - refused */
  readonly allowPasswordInLogs?: boolean;
}

/** Options of KubeEventerSink.honeycomb. */
export interface KubeEventerHoneycombSinkOptions {
  /** `writekey`. */
  readonly writeKey: kplus.SecretValue;
  /** `dataset`. @default - kube-eventer's 'heapster' */
  readonly dataset?: string;
  /** `apihost`. @default - 'https://api.honeycomb.io/' */
  readonly apiHost?: string;
}
