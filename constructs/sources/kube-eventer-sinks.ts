/**
 * Typed kube-eventer sinks. Each renders one `--sink=<name>:<url>` argument with the option names
 * kube-eventer 1.2.14 really parses (sinks/<name>/*.go and common/<name>/*.go).
 *
 * Secrets: kube-eventer runs os.ExpandEnv over the text after `<name>:` before parsing it as a
 * URL (common/flags/flags.go). A secret is therefore rendered as `${KUBE_EVENTER_SINK_<n>_<FIELD>}`
 * and the container gets that env var from the Secret: the manifest never holds the value.
 * Two consequences, checked or documented here:
 *  - a literal `$` in any option would be expanded too, so literal values containing `$` are refused;
 *  - the secret's value is pasted into the URL before it is parsed, so it must be URL-query safe
 *    (store it percent-encoded if it contains `&`, `+`, `%`, `#`, `?` or spaces).
 * Kubernetes only expands `$(VAR)` in args, never `${VAR}`, so the reference survives to the program.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { bootstrapBrokers } from '../kafka/kafka-client';
import { alertmanagerWebhookTemplate, KubeEventerAlertmanagerWebhookOptions } from './kube-eventer-alert-body';
import { checkInteger, checkNonEmpty, checkNonEmptyList, checkOneOf, checkUrl, describeProp, PropError } from '../validation';

/** Event types kube-eventer filters on. `Normal` lets Normal and Warning events through. */
export type KubeEventerLevel = 'Normal' | 'Warning';

/** Codecs kube-eventer's Kafka sink accepts that work with its sarama (lz4 needs protocol >= 0.10, which it never sets). */
export type KubeEventerKafkaCompression = 'none' | 'gzip' | 'snappy';

/** What a sink asks of the KubeEventer it is added to. */
export interface KubeEventerSinkContext {
  /** `KubeEventer 'id'`, for messages. */
  readonly owner: string;
  /** Position of the sink among the KubeEventer's sinks (unique per sink). */
  readonly index: number;
  /** Adds an env var from the Secret key and returns `${NAME}` for the sink URL. */
  secretRef(field: string, value: kplus.SecretValue): string;
  /** Mounts the Secret key as a read-only file and returns its path. */
  secretFile(field: string, value: kplus.SecretValue): string;
  /** Creates a ConfigMap with `content` = template and returns its namespace and name. */
  bodyTemplate(template: string): { readonly namespace: string; readonly name: string };
  /** Grants `get` on one ConfigMap (kube-eventer reads it once at start). */
  readConfigMap(namespace: string, name: string): void;
}

/** The rendered sink. */
export interface KubeEventerSinkBinding {
  /** The whole `--sink=...` argument. */
  readonly argument: string;
}

/** One `--sink=` of kube-eventer. Create with the static factories. */
export abstract class KubeEventerSink {
  /**
   * Kafka: `--sink=kafka:?brokers=...&eventstopic=...`. Brokers and topic come from the topic object.
   * kube-eventer writes one JSON record per event (see functions/contracts/event-formats.ts).
   */
  public static kafka(options: KubeEventerKafkaSinkOptions): KubeEventerSink {
    return new KafkaSink(options);
  }

  /** Generic webhook: `--sink=webhook:<url>?level=...&header=...`. */
  public static webhook(options: KubeEventerWebhookSinkOptions): KubeEventerSink {
    return new WebhookSink(options);
  }

  /** DingTalk robot: `--sink=dingtalk:<endpoint>?access_token=...`. */
  public static dingtalk(options: KubeEventerDingTalkSinkOptions): KubeEventerSink {
    return new DingTalkSink(options);
  }

  /** WeCom (enterprise WeChat) app: `--sink=wechat:?corp_id=...`. */
  public static wechat(options: KubeEventerWeChatSinkOptions): KubeEventerSink {
    return new WeChatSink(options);
  }

  /** Elasticsearch: `--sink=elasticsearch:?nodes=...&ver=...`. */
  public static elasticsearch(options: KubeEventerElasticsearchSinkOptions): KubeEventerSink {
    return new ElasticsearchSink(options);
  }

  /** Alibaba Cloud Log Service: `--sink=sls:https://sls.aliyuncs.com?project=...&logStore=...`. */
  public static sls(options: KubeEventerSlsSinkOptions): KubeEventerSink {
    return new SlsSink(options);
  }

  /** InfluxDB 1.x: `--sink=influxdb:<url>?db=...`. */
  public static influxdb(options: KubeEventerInfluxDbSinkOptions): KubeEventerSink {
    return new InfluxDbSink(options);
  }

  /** MySQL: `--sink=mysql:?<user>:<password>@tcp(<host>:<port>)/<db>?charset=...&table=...`. */
  public static mysql(options: KubeEventerMySqlSinkOptions): KubeEventerSink {
    return new MySqlSink(options);
  }

  /** Honeycomb: `--sink=honeycomb:?dataset=...&writekey=...`. */
  public static honeycomb(options: KubeEventerHoneycombSinkOptions): KubeEventerSink {
    return new HoneycombSink(options);
  }

  /** kube-eventer's own log (klog): `--sink=log`. */
  public static log(): KubeEventerSink {
    return new LogSink();
  }

  /** The sink name kube-eventer knows it by (`kafka`, `webhook`, ...). */
  public abstract readonly kind: string;

  /** The Kafka topic this sink writes to, if it is a Kafka sink. */
  public get kafkaTopic(): IKafkaTopic | undefined {
    return undefined;
  }

  /** @internal */
  public abstract _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding;
}

// ---------------------------------------------------------------------------------------------
// Options

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

// ---------------------------------------------------------------------------------------------
// Rendering helpers

/** A query string built in order; literal values are percent-encoded, secret refs are not. */
class Query {
  private readonly parts: string[] = [];

  constructor(private readonly owner: string) {}

  /** Adds `key=value` for a literal value. */
  public add(key: string, value: string | number | boolean | undefined, prop: string = key): this {
    if (value === undefined) return this;
    this.parts.push(`${key}=${encodeLiteral(prop, String(value), this.owner)}`);
    return this;
  }

  /** Adds `key=${VAR}`. */
  public addRef(key: string, ref: string): this {
    this.parts.push(`${key}=${ref}`);
    return this;
  }

  /** Adds `key=a,b,c` (kube-eventer splits the first value on commas). */
  public addList(key: string, values: readonly string[] | undefined, prop: string): this {
    if (values === undefined) return this;
    checkNonEmptyList(prop, values, this.owner);
    for (const v of values) {
      if (v.includes(',')) throw new PropError(`${describeProp(prop, values, this.owner)} has ${JSON.stringify(v)}, which contains ',': kube-eventer splits '${key}' on commas.`);
      checkNonEmpty(prop, v, this.owner);
    }
    return this.add(key, values.join(','), prop);
  }

  public toString(): string {
    return this.parts.join('&');
  }
}

/** Percent-encodes a literal query value (keeping `:/,=@` readable) after refusing `$`. */
function encodeLiteral(prop: string, value: string, owner: string): string {
  checkNoDollar(prop, value, owner);
  return encodeURIComponent(value)
    .replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3D/g, '=').replace(/%40/g, '@');
}

function checkNoDollar(prop: string, value: string, owner: string): void {
  if (value.includes('$')) {
    throw new PropError(
      `${describeProp(prop, value, owner)} contains '$': kube-eventer expands $VAR in --sink before parsing it, so the value would change. Put it in a Secret and pass it as a secret option.`,
    );
  }
}

function addUserLike(query: Query, context: KubeEventerSinkContext, key: string, value: string | kplus.SecretValue, prop: string, owner: string): void {
  if (typeof value === 'string') query.add(key, checkNonEmpty(prop, value, owner), prop);
  else query.addRef(key, context.secretRef('USER', value));
}

function checkLevel(level: KubeEventerLevel | undefined, owner: string): KubeEventerLevel | undefined {
  return level === undefined ? undefined : checkOneOf<KubeEventerLevel>('level', level, ['Normal', 'Warning'], owner);
}

function joinUrl(base: string, query: Query): string {
  const q = query.toString();
  if (!q) return base;
  return `${base}${base.includes('?') ? '&' : '?'}${q}`;
}

// ---------------------------------------------------------------------------------------------
// Sinks

class KafkaSink extends KubeEventerSink {
  public readonly kind = 'kafka';
  private readonly owner = 'KubeEventerSink.kafka';
  private readonly compression: KubeEventerKafkaCompression;

  constructor(private readonly options: KubeEventerKafkaSinkOptions) {
    super();
    const compression = options.compression ?? 'none';
    if ((compression as string) === 'lz4') {
      throw new PropError(
        `${describeProp('compression', compression, this.owner)} cannot work: kube-eventer's sarama (v1.22.1) refuses lz4 unless a protocol version >= 0.10 is set, which kube-eventer never sets, so the sink would not start. Use 'gzip' or 'snappy'.`,
      );
    }
    this.compression = checkOneOf('compression', compression, ['none', 'gzip', 'snappy'], this.owner);
    const tls = options.tls;
    if (tls) {
      if (tls.clientCert && !tls.clientKey) {
        throw new PropError(`${describeProp('tls.clientCert', `${tls.clientCert.secret.name}/${tls.clientCert.key}`, this.owner)} needs 'tls.clientKey': kube-eventer loads the client certificate only together with its key.`);
      }
      if (tls.clientKey && !tls.clientCert) {
        throw new PropError(`${describeProp('tls.clientKey', `${tls.clientKey.secret.name}/${tls.clientKey.key}`, this.owner)} needs 'tls.clientCert': kube-eventer loads the client key only together with its certificate.`);
      }
      if (!tls.caCert && !tls.clientCert) {
        throw new PropError(`${describeProp('tls', tls.insecureSkipVerify === undefined ? {} : { insecureSkipVerify: tls.insecureSkipVerify }, this.owner)} turns nothing on: kube-eventer enables TLS only with 'caCert' or 'clientCert'+'clientKey'. Set one of them or remove 'tls'.`);
      }
    }
  }

  public get kafkaTopic(): IKafkaTopic {
    return this.options.topic;
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const { topic, listener, sasl, tls } = this.options;
    const brokers = bootstrapBrokers(topic, `the Kafka sink of ${context.owner}`, listener);
    const query = new Query(this.owner);
    for (const broker of brokers) query.add('brokers', broker);
    query.add('eventstopic', topic.topicName);
    query.add('compression', this.compression);
    if (sasl) {
      addUserLike(query, context, 'user', sasl.username, 'sasl.username', this.owner);
      query.addRef('password', context.secretRef('PASSWORD', sasl.password));
    }
    if (tls) {
      if (tls.caCert) query.add('cacert', context.secretFile('ca.crt', tls.caCert));
      if (tls.clientCert && tls.clientKey) {
        query.add('cert', context.secretFile('client.crt', tls.clientCert));
        query.add('key', context.secretFile('client.key', tls.clientKey));
      }
      if (tls.insecureSkipVerify) query.add('insecuressl', true);
    }
    return { argument: `--sink=kafka:?${query}` };
  }
}

class WebhookSink extends KubeEventerSink {
  public readonly kind = 'webhook';
  private readonly owner = 'KubeEventerSink.webhook';

  constructor(private readonly options: KubeEventerWebhookSinkOptions) {
    super();
    if (options.url === undefined || options.url === '') {
      throw new PropError(`${describeProp('url', options.url, this.owner)} is required: kube-eventer refuses a webhook sink without a host.`);
    }
    checkUrl('url', options.url, this.owner);
    checkNoDollar('url', options.url, this.owner);
    checkLevel(options.level, this.owner);
    if (options.method !== undefined) checkOneOf('method', options.method, ['GET', 'POST', 'PUT', 'PATCH'], this.owner);
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.length === 0 || name.includes('=') || value.includes('=')) {
        throw new PropError(`${describeProp('headers', { [name]: value }, this.owner)} cannot be sent: kube-eventer splits 'header' on '=' and drops headers whose name or value contains one.`);
      }
    }
    for (const name of Object.keys(options.secretHeaders ?? {})) {
      if (name.length === 0 || name.includes('=')) throw new PropError(`${describeProp('secretHeaders', name, this.owner)} is not a header name kube-eventer can send (no '=').`);
      if (options.headers && name in options.headers) throw new PropError(`${describeProp('secretHeaders', name, this.owner)} repeats a header of 'headers'.`);
    }
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner)
      .add('level', o.level)
      .addList('namespaces', o.namespaces, 'namespaces')
      .addList('kinds', o.kinds, 'kinds')
      .addList('reason', o.reasons, 'reasons')
      .add('method', o.method);
    for (const [name, value] of Object.entries(o.headers ?? {})) query.add('header', `${name}=${value}`, 'headers');
    Object.entries(o.secretHeaders ?? {}).forEach(([name, value], i) => {
      query.addRef('header', `${encodeLiteral('secretHeaders', name, this.owner)}=${context.secretRef(`HEADER_${i}`, value)}`);
    });
    if (o.body) {
      const cm = o.body._configMap ?? context.bodyTemplate(o.body._template!);
      context.readConfigMap(cm.namespace, cm.name);
      query.add('custom_body_configmap', cm.name).add('custom_body_configmap_namespace', cm.namespace);
    }
    return { argument: `--sink=webhook:${joinUrl(o.url, query)}` };
  }
}

class DingTalkSink extends KubeEventerSink {
  public readonly kind = 'dingtalk';
  private readonly owner = 'KubeEventerSink.dingtalk';
  private readonly endpoint: string;

  constructor(private readonly options: KubeEventerDingTalkSinkOptions) {
    super();
    this.endpoint = options.endpoint ?? 'https://oapi.dingtalk.com/robot/send';
    checkUrl('endpoint', this.endpoint, this.owner);
    if (!this.endpoint.startsWith('https://') || this.endpoint.includes('?')) {
      throw new PropError(`${describeProp('endpoint', this.endpoint, this.owner)} must be an https:// URL without a query: kube-eventer always posts to https://<host><path>.`);
    }
    checkNoDollar('endpoint', this.endpoint, this.owner);
    checkLevel(options.level, this.owner);
    const msgType = checkOneOf('msgType', options.msgType ?? 'text', ['text', 'markdown'], this.owner);
    if (msgType === 'markdown' && (!options.clusterId || !options.region)) {
      throw new PropError(`${describeProp('msgType', msgType, this.owner)} needs 'clusterId' and 'region' (kube-eventer's markdown message is built from them).`);
    }
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner).addRef('access_token', context.secretRef('ACCESS_TOKEN', o.accessToken));
    if (o.signSecret) query.addRef('sign', context.secretRef('SIGN', o.signSecret));
    query.add('level', o.level);
    for (const label of o.labels ?? []) query.add('label', checkNonEmpty('labels', label, this.owner), 'labels');
    query.add('msg_type', o.msgType).add('cluster_id', o.clusterId, 'clusterId').add('region', o.region)
      .addList('namespaces', o.namespaces, 'namespaces').addList('kinds', o.kinds, 'kinds');
    return { argument: `--sink=dingtalk:${joinUrl(this.endpoint, query)}` };
  }
}

class WeChatSink extends KubeEventerSink {
  public readonly kind = 'wechat';
  private readonly owner = 'KubeEventerSink.wechat';

  constructor(private readonly options: KubeEventerWeChatSinkOptions) {
    super();
    checkNonEmpty('corpId', options.corpId, this.owner);
    checkInteger('agentId', options.agentId, { min: 0, owner: this.owner });
    checkLevel(options.level, this.owner);
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner)
      .add('corp_id', o.corpId, 'corpId')
      .addRef('corp_secret', context.secretRef('CORP_SECRET', o.corpSecret))
      .add('agent_id', o.agentId, 'agentId')
      .addList('to_user', o.toUsers, 'toUsers')
      .add('level', o.level);
    for (const label of o.labels ?? []) query.add('label', checkNonEmpty('labels', label, this.owner), 'labels');
    query.addList('namespaces', o.namespaces, 'namespaces').addList('kinds', o.kinds, 'kinds');
    return { argument: `--sink=wechat:?${query}` };
  }
}

class ElasticsearchSink extends KubeEventerSink {
  public readonly kind = 'elasticsearch';
  private readonly owner = 'KubeEventerSink.elasticsearch';

  constructor(private readonly options: KubeEventerElasticsearchSinkOptions) {
    super();
    checkNonEmptyList('nodes', options.nodes, this.owner);
    for (const node of options.nodes) checkUrl('nodes', node, this.owner);
    if (options.version !== undefined && ![2, 5, 6, 7].includes(options.version)) {
      throw new PropError(`${describeProp('version', options.version, this.owner)} must be one of 2, 5, 6, 7 (the Elasticsearch clients kube-eventer has).`);
    }
    if (options.maxRetries !== undefined) checkInteger('maxRetries', options.maxRetries, { min: 0, owner: this.owner });
    if (options.bulkWorkers !== undefined) checkInteger('bulkWorkers', options.bulkWorkers, { min: 1, owner: this.owner });
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner);
    for (const node of o.nodes) query.add('nodes', node);
    query.add('ver', o.version ?? 7, 'version');
    if (o.credentials) {
      addUserLike(query, context, 'esUserName', o.credentials.username, 'credentials.username', this.owner);
      query.addRef('esUserSecret', context.secretRef('PASSWORD', o.credentials.password));
    }
    query.add('index', o.index).add('cluster_name', o.clusterName, 'clusterName');
    // kube-eventer turns use_namespace on when the key is present, whatever its value.
    if (o.useNamespace) query.add('use_namespace', true, 'useNamespace');
    query.add('maxRetries', o.maxRetries).add('healthCheck', o.healthCheck)
      .add('startupHealthcheckTimeout', o.startupHealthcheckTimeout?.toSeconds())
      .add('sniff', o.sniff).add('bulkWorkers', o.bulkWorkers).add('pipeline', o.pipeline);
    return { argument: `--sink=elasticsearch:?${query}` };
  }
}

class SlsSink extends KubeEventerSink {
  public readonly kind = 'sls';
  private readonly owner = 'KubeEventerSink.sls';

  constructor(private readonly options: KubeEventerSlsSinkOptions) {
    super();
    checkNonEmpty('project', options.project, this.owner);
    checkNonEmpty('logStore', options.logStore, this.owner);
    for (const [k, v] of Object.entries(options.labels ?? {})) {
      if (k.includes(',') || v.includes(',') || k.length === 0) {
        throw new PropError(`${describeProp('labels', { [k]: v }, this.owner)} cannot be sent: kube-eventer reads each label as 'key,value'.`);
      }
    }
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner).add('project', o.project).add('logStore', o.logStore).add('topic', o.topic).add('regionId', o.regionId);
    if (o.accessKey) {
      query.addRef('accessKeyId', context.secretRef('ACCESS_KEY_ID', o.accessKey.id));
      query.addRef('accessKeySecret', context.secretRef('ACCESS_KEY_SECRET', o.accessKey.secret));
    }
    query.add('internal', o.internal);
    for (const [k, v] of Object.entries(o.labels ?? {})) query.add('label', `${k},${v}`, 'labels');
    return { argument: `--sink=sls:https://sls.aliyuncs.com?${query}` };
  }
}

class InfluxDbSink extends KubeEventerSink {
  public readonly kind = 'influxdb';
  private readonly owner = 'KubeEventerSink.influxdb';

  constructor(private readonly options: KubeEventerInfluxDbSinkOptions) {
    super();
    checkUrl('url', options.url, this.owner);
    checkNoDollar('url', options.url, this.owner);
    if (options.url.includes('?')) throw new PropError(`${describeProp('url', options.url, this.owner)} must not have a query; use the typed options.`);
    if (options.concurrency !== undefined) checkInteger('concurrency', options.concurrency, { min: 1, owner: this.owner });
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner);
    if (o.credentials) {
      addUserLike(query, context, 'user', o.credentials.username, 'credentials.username', this.owner);
      query.addRef('pw', context.secretRef('PASSWORD', o.credentials.password));
    }
    query.add('db', o.database ?? 'k8s', 'database').add('retention', o.retentionPolicy, 'retentionPolicy')
      .add('withfields', o.withFields, 'withFields').add('insecuressl', o.insecureSkipVerify, 'insecureSkipVerify')
      .add('cluster_name', o.clusterName, 'clusterName').add('disable_counter_metrics', o.disableCounterMetrics, 'disableCounterMetrics')
      .add('concurrency', o.concurrency);
    return { argument: `--sink=influxdb:${joinUrl(o.url, query)}` };
  }
}

const DSN_SAFE = /^[A-Za-z0-9._-]+$/;

class MySqlSink extends KubeEventerSink {
  public readonly kind = 'mysql';
  private readonly owner = 'KubeEventerSink.mysql';

  constructor(private readonly options: KubeEventerMySqlSinkOptions) {
    super();
    for (const [prop, value] of [['host', options.host], ['database', options.database], ['table', options.table ?? 'kube_event'], ['charset', options.charset ?? 'utf8']] as const) {
      if (!DSN_SAFE.test(value ?? '')) {
        throw new PropError(`${describeProp(prop, value, this.owner)} must be letters, digits, '.', '_' or '-': kube-eventer passes the DSN through URL parsing unescaped.`);
      }
    }
    if (typeof options.username === 'string' && !DSN_SAFE.test(options.username)) {
      throw new PropError(`${describeProp('username', options.username, this.owner)} must be letters, digits, '.', '_' or '-' (or come from a Secret).`);
    }
    checkInteger('port', options.port ?? 3306, { min: 1, max: 65535, owner: this.owner });
    if (!options.allowPasswordInLogs) {
      throw new PropError(
        `${describeProp('allowPasswordInLogs', options.allowPasswordInLogs, this.owner)} must be true to use the MySQL sink: kube-eventer 1.2.14 logs the whole DSN, password included, when it starts (common/mysql/mysql.go). Set it only if the pod's logs are as protected as the Secret.`,
      );
    }
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const user = typeof o.username === 'string' ? o.username : context.secretRef('USER', o.username);
    const password = context.secretRef('PASSWORD', o.password);
    // The DSN is the raw query; with `table`, kube-eventer keeps only the text before the first '&'.
    const dsn = `${user}:${password}@tcp(${o.host}:${o.port ?? 3306})/${o.database}?charset=${o.charset ?? 'utf8'}`;
    return { argument: `--sink=mysql:?${dsn}&table=${o.table ?? 'kube_event'}` };
  }
}

class HoneycombSink extends KubeEventerSink {
  public readonly kind = 'honeycomb';
  private readonly owner = 'KubeEventerSink.honeycomb';

  constructor(private readonly options: KubeEventerHoneycombSinkOptions) {
    super();
    if (options.apiHost !== undefined) checkUrl('apiHost', options.apiHost, this.owner);
  }

  /** @internal */
  public _bind(context: KubeEventerSinkContext): KubeEventerSinkBinding {
    const o = this.options;
    const query = new Query(this.owner).add('dataset', o.dataset).add('apihost', o.apiHost, 'apiHost')
      .addRef('writekey', context.secretRef('WRITE_KEY', o.writeKey));
    return { argument: `--sink=honeycomb:?${query}` };
  }
}

class LogSink extends KubeEventerSink {
  public readonly kind = 'log';

  /** @internal */
  public _bind(): KubeEventerSinkBinding {
    return { argument: '--sink=log' };
  }
}
