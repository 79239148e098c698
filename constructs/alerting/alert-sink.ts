/**
 * Where a LogAlerter delivers alerts: `AlertSink.notificationManager()`, `.alertmanager({ url })`,
 * `.slack({ webhookUrl })`, `.webhook({ url, ... })`. Each renders one entry of the workload's
 * ALERTER_SINKS JSON (functions/contracts/alert-sinks.ts, which documents bodies and retries).
 * Credentials are Secret references (`kplus.SecretValue`: a Secret and a key): the JSON names an env
 * variable, and the Deployment fills that variable with `valueFrom.secretKeyRef`. No secret value
 * is ever rendered.
 *
 *   const slackUrl = { secret: kplus.Secret.fromSecretName(chart, 'Slack', 'klaxon-slack'), key: 'webhook-url' };
 *   AlertSink.slack({ webhookUrl: slackUrl });
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AlertSinkSpec, SinkGroupSpec, SinkType, WEBHOOK_METHODS } from '../../functions/contracts/alert-sinks';
import { alerterSecretEnv } from '../../functions/contracts/workload-env';

interface SinkOptionsBase {
  /** Unique name among the alerter's sinks: metric label and dead-letter reason. @default - the type (`slack`), numbered from the second of a type on (`slack-2`) */
  readonly name?: string;
  /** Time one request may take before it counts as failed (and is retried). @default Duration.seconds(10) */
  readonly timeout?: Duration;
}

/** Options of AlertSink.notificationManager. */
export interface NotificationManagerSinkOptions extends SinkOptionsBase {
  /** Notification Manager's webhook URL. @default 'http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts' */
  readonly url?: string;
}

/** Options of AlertSink.alertmanager. */
export interface AlertmanagerSinkOptions extends SinkOptionsBase {
  /** Base URL of Alertmanager; alerts are posted to `<url>/api/v2/alerts`. */
  readonly url: string;
}

/** Grouping of a Slack or webhook sink: one message per group of alerts, with the count (see alert-sinks.ts). */
export interface SinkGrouping {
  /** Label names whose equal values make a group, e.g. ['alertname', 'namespace']. */
  readonly by: string[];
  /** How long a group's first alert waits for others. @default Duration.seconds(30) */
  readonly wait?: Duration;
  /** Least time between two messages of one group. @default Duration.minutes(5) */
  readonly interval?: Duration;
}

/** Options of AlertSink.slack. */
export interface SlackSinkOptions extends SinkOptionsBase {
  /** The Secret key holding the Slack incoming-webhook URL. */
  readonly webhookUrl: kplus.SecretValue;
  /** One message per group of alerts instead of one per alert. @default - one message per alert */
  readonly group?: SinkGrouping;
}

/** A header whose value is a Secret key. */
export interface SecretHeader {
  /** Header name, e.g. 'Authorization'. */
  readonly name: string;
  /** The Secret key holding the header value. */
  readonly value: kplus.SecretValue;
}

/** Options of AlertSink.webhook. */
export interface WebhookSinkOptions extends SinkOptionsBase {
  /** Where the alert is sent. */
  readonly url: string;
  /** HTTP method. @default 'POST' */
  readonly method?: (typeof WEBHOOK_METHODS)[number];
  /** Plain headers (never credentials: use `secretHeader`). @default - none */
  readonly headers?: Record<string, string>;
  /** One header whose value comes from a Secret key. @default - none */
  readonly secretHeader?: SecretHeader;
  /** One message per group of alerts instead of one per alert. @default - one message per alert */
  readonly group?: SinkGrouping;
}

/** A secret env variable the Deployment must fill from a Secret key. */
export interface SinkSecretEnv {
  readonly name: string;
  readonly value: kplus.SecretValue;
}

/** What a sink renders at a position of the alerter's sink list. */
export interface BoundAlertSink {
  readonly spec: AlertSinkSpec;
  readonly secrets: readonly SinkSecretEnv[];
}

/** A destination of alerts. */
export class AlertSink {
  /** KubeSphere Notification Manager: an Alertmanager webhook message per alert. */
  public static notificationManager(options: NotificationManagerSinkOptions = {}): AlertSink {
    return new AlertSink('notification-manager', options, () => ({
      spec: { type: 'notification-manager', ...common(options), ...(options.url !== undefined ? { url: options.url } : {}) },
      secrets: [],
    }));
  }

  /** Prometheus Alertmanager's v2 API (`POST /api/v2/alerts`). */
  public static alertmanager(options: AlertmanagerSinkOptions): AlertSink {
    return new AlertSink('alertmanager', options, () => ({ spec: { type: 'alertmanager', ...common(options), url: options.url }, secrets: [] }));
  }

  /** A Slack incoming webhook whose URL is a Secret key. */
  public static slack(options: SlackSinkOptions): AlertSink {
    return new AlertSink('slack', options, (index) => {
      const urlEnv = alerterSecretEnv(index, 'URL');
      return { spec: { type: 'slack', ...common(options), urlEnv, ...grouping(options.group) }, secrets: [{ name: urlEnv, value: options.webhookUrl }] };
    });
  }

  /** Any HTTP endpoint: the alert as JSON, with plain headers and one optional Secret-backed header. */
  public static webhook(options: WebhookSinkOptions): AlertSink {
    return new AlertSink('webhook', options, (index) => {
      const valueEnv = alerterSecretEnv(index, 'HEADER');
      return {
        spec: {
          type: 'webhook',
          ...common(options),
          url: options.url,
          ...(options.method !== undefined ? { method: options.method } : {}),
          ...(options.headers !== undefined ? { headers: { ...options.headers } } : {}),
          ...(options.secretHeader !== undefined ? { secretHeader: { name: options.secretHeader.name, valueEnv } } : {}),
          ...grouping(options.group),
        },
        secrets: options.secretHeader !== undefined ? [{ name: valueEnv, value: options.secretHeader.value }] : [],
      };
    });
  }

  private constructor(
    /** The sink type. */
    public readonly type: SinkType,
    private readonly options: SinkOptionsBase,
    private readonly render: (index: number) => BoundAlertSink,
  ) {}

  /** The name given, if any. */
  public get name(): string | undefined {
    return this.options.name;
  }

  /** @internal The JSON entry and the secret env variables of this sink at `index` in the list. */
  public _bind(index: number): BoundAlertSink {
    return this.render(index);
  }
}

function common(options: SinkOptionsBase): { name?: string; timeoutMs?: number } {
  return {
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.timeout !== undefined ? { timeoutMs: options.timeout.toMilliseconds() } : {}),
  };
}

/** The spec's `group` (durations in seconds; the shared validator checks them) or nothing. */
function grouping(group: SinkGrouping | undefined): { group?: SinkGroupSpec } {
  if (group === undefined) return {};
  return {
    group: {
      by: group.by,
      ...(group.wait !== undefined ? { waitSeconds: group.wait.toMilliseconds() / 1000 } : {}),
      ...(group.interval !== undefined ? { intervalSeconds: group.interval.toMilliseconds() / 1000 } : {}),
    },
  };
}
