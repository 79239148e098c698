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
import * as kplus from 'cdk8s-plus-27';
import { bootstrapBrokers } from '../kafka/kafka-client';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { checkInteger, checkNonEmpty, checkNonEmptyList, checkOneOf, checkUrl, describeProp, PropError } from '../validation';
import type {
  KubeEventerDingTalkSinkOptions, KubeEventerElasticsearchSinkOptions, KubeEventerHoneycombSinkOptions, KubeEventerInfluxDbSinkOptions,
  KubeEventerKafkaCompression, KubeEventerKafkaSinkOptions, KubeEventerMySqlSinkOptions, KubeEventerSlsSinkOptions,
  KubeEventerWebhookSinkOptions, KubeEventerWeChatSinkOptions,
} from './kube-eventer-sink-options';
import { addUserLike, checkLevel, checkNoDollar, encodeLiteral, joinUrl, Query } from './kube-eventer-sink-query';


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

export * from './kube-eventer-sink-options';

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
