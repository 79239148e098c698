/**
 * A Notification Manager webhook Receiver (notification.kubesphere.io/v2beta2 `Receiver` with
 * `spec.webhook`, id 'Resource', cluster-scoped): NM POSTs its notifications (Alertmanager webhook
 * JSON by default) to a URL or to an in-cluster Service, with optional bearer token, basic auth or
 * TLS settings read from Secrets.
 *
 *   new NotificationManagerWebhookReceiver(chart, 'Pager', {
 *     target: NmWebhookTarget.url('https://pager.example.com/hooks/klaxon'),
 *     httpConfig: { bearerToken: { name: 'pager-token', key: 'token' } },
 *   });
 *   new NotificationManagerWebhookReceiver(chart, 'Audit', {
 *     target: NmWebhookTarget.service({ name: 'alert-audit', namespace: 'ops', port: 8080, path: '/alerts' }),
 *   });
 */
import { Construct } from 'constructs';
import { Receiver, ReceiverSpec, ReceiverSpecWebhook, ReceiverSpecWebhookHttpConfig } from '../../../imports/nm-receiver-notification.kubesphere.io';
import { checkDnsLabel, checkInteger, checkOneOf, checkUrl, describeProp, PropError } from '../../validation';
import { NmAlertSelector, NmSecretKeyRef, receiverCommon, renderCredential } from './support';

/** An in-cluster Service NM posts to. */
export interface NmWebhookServiceOptions {
  /** Service name (a DNS label). */
  readonly name: string;
  /** Namespace of the Service. */
  readonly namespace: string;
  /** Service port; always rendered (NM 2.6 joins `path` to the host without a '/' when no port is given). */
  readonly port: number;
  /** URL path. @default '/' */
  readonly path?: string;
  /** URL scheme. @default 'http' */
  readonly scheme?: 'http' | 'https';
}

/** Where a webhook receiver posts: exactly one of a URL or a Service, as NM requires. */
export class NmWebhookTarget {
  /** An http(s) URL without credentials in it (use `httpConfig` for those). */
  public static url(url: string): NmWebhookTarget {
    return new NmWebhookTarget({ url });
  }

  /** A Service in the cluster, addressed as `<scheme>://<name>.<namespace>:<port>/<path>`. */
  public static service(options: NmWebhookServiceOptions): NmWebhookTarget {
    return new NmWebhookTarget({ service: { ...options } });
  }

  private constructor(private readonly target: { readonly url?: string; readonly service?: NmWebhookServiceOptions }) {}

  /** @internal Checks the target and renders `url` or `service`. */
  public _render(owner: string): Pick<ReceiverSpecWebhook, 'url' | 'service'> {
    if (this.target.url !== undefined) {
      const url = checkUrl('target.url', this.target.url, owner);
      const parsed = new URL(url);
      if (parsed.username || parsed.password) {
        throw new PropError(`${describeProp('target.url', url.replace(/\/\/[^@/]*@/, '//***@'), owner)} carries credentials; NM refuses user:password in the URL. Use 'httpConfig.basicAuth' with a Secret.`);
      }
      return { url };
    }
    const s = this.target.service!;
    checkDnsLabel('target.service.name', s.name, owner);
    checkDnsLabel('target.service.namespace', s.namespace, owner);
    const port = checkInteger('target.service.port', s.port, { min: 1, max: 65535, owner });
    const scheme = checkOneOf('target.service.scheme', s.scheme ?? 'http', ['http', 'https'], owner);
    const path = s.path ?? '/';
    if (typeof path !== 'string' || !path.startsWith('/') || /\s/.test(path)) {
      throw new PropError(`${describeProp('target.service.path', path, owner)} must be a URL path starting with '/'.`);
    }
    return { service: { name: s.name, namespace: s.namespace, port, path, scheme } };
  }
}

/** TLS settings for the webhook's server. */
export interface NmWebhookTlsOptions {
  /** CA bundle to trust, from a Secret key. @default - the system roots */
  readonly rootCa?: NmSecretKeyRef;
  /** Client certificate and key for mutual TLS, from Secret keys. @default - none */
  readonly clientCertificate?: { readonly cert: NmSecretKeyRef; readonly key: NmSecretKeyRef };
  /** Name to verify the server's certificate against. @default - the URL's host */
  readonly serverName?: string;
}

/** HTTP settings of a webhook receiver; secrets only as Secret references. */
export interface NmWebhookHttpConfig {
  /** Bearer token, from a Secret key. @default - none */
  readonly bearerToken?: NmSecretKeyRef;
  /** Basic auth user name and password (from a Secret key). @default - none */
  readonly basicAuth?: { readonly username: string; readonly password: NmSecretKeyRef };
  /** TLS settings (https targets only). @default - none */
  readonly tls?: NmWebhookTlsOptions;
  /** HTTP proxy URL. @default - none */
  readonly proxyUrl?: string;
}

/** Props of a NotificationManagerWebhookReceiver. */
export interface NotificationManagerWebhookReceiverProps {
  /** Where NM posts: `NmWebhookTarget.url(url)` or `NmWebhookTarget.service({...})`. */
  readonly target: NmWebhookTarget;
  /** Authentication, TLS and proxy. @default - none */
  readonly httpConfig?: NmWebhookHttpConfig;
  /** Which alerts this receiver takes, by alert labels. @default - every alert */
  readonly alertSelector?: NmAlertSelector;
  /** Labels matching the NotificationManager's `globalReceiverSelector`. @default NM_GLOBAL_RECEIVER_LABELS ({ type: 'global' }, NM's helm chart) */
  readonly globalReceiverLabels?: Record<string, string>;
  /** Whether NM sends to this receiver. @default true */
  readonly enabled?: boolean;
}

/** A global webhook Receiver of Notification Manager ('Resource'). */
export class NotificationManagerWebhookReceiver extends Construct {
  /** Every label of the Receiver. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Receiver. */
  public readonly resource: Receiver;

  constructor(scope: Construct, id: string, props: NotificationManagerWebhookReceiverProps) {
    super(scope, id);
    const owner = `NotificationManagerWebhookReceiver '${id}'`;
    if (!(props.target instanceof NmWebhookTarget)) {
      throw new PropError(`${describeProp('target', props.target, owner)} must be NmWebhookTarget.url(url) or NmWebhookTarget.service({ name, namespace, port }).`);
    }
    const target = props.target._render(owner);
    const httpConfig = renderHttpConfig(props.httpConfig, target, owner);
    const { alertSelector, labels, enabled } = receiverCommon(props, owner);
    this.labels = labels;
    const spec: ReceiverSpec = {
      webhook: {
        ...target,
        ...(httpConfig ? { httpConfig } : {}),
        ...(alertSelector ? { alertSelector } : {}),
        ...enabled,
      },
    };
    this.resource = new Receiver(this, 'Resource', { metadata: { labels: { ...this.labels } }, spec });
  }
}

function renderHttpConfig(config: NmWebhookHttpConfig | undefined, target: Pick<ReceiverSpecWebhook, 'url' | 'service'>, owner: string): ReceiverSpecWebhookHttpConfig | undefined {
  if (config === undefined) return undefined;
  if (config.bearerToken && config.basicAuth) {
    throw new PropError(`${describeProp('httpConfig', { bearerToken: '…', basicAuth: '…' }, owner)} sets both 'bearerToken' and 'basicAuth'; an HTTP request carries one Authorization header. Keep one.`);
  }
  const out: { -readonly [K in keyof ReceiverSpecWebhookHttpConfig]: ReceiverSpecWebhookHttpConfig[K] } = {};
  if (config.bearerToken) out.bearerToken = renderCredential('httpConfig.bearerToken', config.bearerToken, owner);
  if (config.basicAuth) {
    const username = config.basicAuth.username;
    if (typeof username !== 'string' || username.trim() === '' || username.includes(':')) {
      throw new PropError(`${describeProp('httpConfig.basicAuth.username', username, owner)} must be a non-empty user name without ':'.`);
    }
    out.basicAuth = { username, password: renderCredential('httpConfig.basicAuth.password', config.basicAuth.password, owner) };
  }
  if (config.tls) {
    const https = target.url !== undefined ? target.url.startsWith('https:') : target.service?.scheme === 'https';
    if (!https) {
      const where = target.url ?? `${target.service!.scheme}://${target.service!.name}.${target.service!.namespace}:${target.service!.port}`;
      throw new PropError(`${describeProp('httpConfig.tls', config.tls, owner)} has no effect on the plain http target ${where}; use an https URL or scheme 'https'.`);
    }
    const tls = config.tls;
    out.tlsConfig = {
      ...(tls.rootCa ? { rootCa: renderCredential('httpConfig.tls.rootCa', tls.rootCa, owner) } : {}),
      ...(tls.clientCertificate
        ? {
          clientCertificate: {
            cert: renderCredential('httpConfig.tls.clientCertificate.cert', tls.clientCertificate.cert, owner),
            key: renderCredential('httpConfig.tls.clientCertificate.key', tls.clientCertificate.key, owner),
          },
        }
        : {}),
      ...(tls.serverName !== undefined ? { serverName: tls.serverName } : {}),
    };
  }
  if (config.proxyUrl !== undefined) out.proxyUrl = checkUrl('httpConfig.proxyUrl', config.proxyUrl, owner);
  return Object.keys(out).length > 0 ? out : undefined;
}
