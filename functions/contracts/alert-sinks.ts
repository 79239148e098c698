/**
 * Where the log-alerter delivers alerts (ALERTER_SINKS, a JSON array of AlertSinkSpec) and the
 * shapes it sends. Shared by the LogAlerter construct (renders and checks the JSON at synth) and
 * the workload (checks it at start). Pure module: safe to import from constructs/ and functions/.
 *
 * Secrets never appear in the JSON: a Slack webhook URL or a webhook header value is named by the
 * env variable that holds it (`urlEnv`, `secretHeader.valueEnv`); the Deployment fills that variable
 * from a Secret key (valueFrom.secretKeyRef).
 *
 * Sinks:
 *  - `notification-manager`: POST `url` with an Alertmanager webhook message (version 4), the body
 *    KubeSphere Notification Manager takes on /api/v2/alerts and the same shape kube-eventer's
 *    webhook body renders (constructs/sources/kube-eventer-alert-body.ts). One message per alert.
 *  - `alertmanager`: POST `<url>/api/v2/alerts` with an array of one postable alert (labels,
 *    annotations, startsAt, generatorURL, and endsAt for a threshold rule's alert: ahead while it
 *    fires, the resolve time once resolved). Without endsAt Alertmanager resolves the alert after
 *    its resolve_timeout unless the same alert is posted again.
 *  - `slack`: POST the incoming-webhook URL read from env `urlEnv` with `{ text, blocks }`.
 *  - `webhook`: `method` (POST or PUT) `url` with `headers`, plus `secretHeader` whose value is read
 *    from env `valueEnv`; the body is the alert (AlertmanagerAlert) as JSON.
 * Every sink has a `name` (unique; metric label and dead-letter reason) and `timeoutMs` per request.
 */
import { isObject, show } from './alert-rules';

export const SINK_TYPES = ['notification-manager', 'alertmanager', 'slack', 'webhook'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** KubeSphere Notification Manager's webhook in its default namespace. */
export const DEFAULT_NOTIFICATION_MANAGER_URL = 'http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts';

/** The Alertmanager v2 API path alerts are posted to, after the `alertmanager` sink's base URL. */
export const ALERTMANAGER_ALERTS_PATH = '/api/v2/alerts';

/** Per-request timeout of a sink that sets none. */
export const DEFAULT_SINK_TIMEOUT_MS = 10_000;

/** Range of `timeoutMs`. */
export const SINK_TIMEOUT_MS_RANGE = { min: 100, max: 300_000 } as const;

/** The `receiver` of Alertmanager webhook messages the alerter sends. */
export const ALERTER_RECEIVER = 'klaxon-log-alerter';

/** Methods of the webhook sink. */
export const WEBHOOK_METHODS = ['POST', 'PUT'] as const;

interface SinkCommon {
  /** Unique name: metric label and dead-letter reason. @default - the type, numbered from the second of a type on (`slack-2`) */
  readonly name?: string;
  /** Per-request timeout. @default DEFAULT_SINK_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

export interface NotificationManagerSinkSpec extends SinkCommon {
  readonly type: 'notification-manager';
  /** @default DEFAULT_NOTIFICATION_MANAGER_URL */
  readonly url?: string;
}

export interface AlertmanagerSinkSpec extends SinkCommon {
  readonly type: 'alertmanager';
  /** Base URL of Alertmanager (`http://alertmanager-main.monitoring.svc:9093`); alerts go to `<url>/api/v2/alerts`. */
  readonly url: string;
}

/**
 * Grouping of a Slack or webhook sink (no Alertmanager in front): alerts with equal `by` labels are
 * one group; the first alert of a group waits `waitSeconds`, then one message carries every alert
 * that arrived, with the count; later alerts of the group go out together at most every
 * `intervalSeconds`. Held in memory: a restart loses the alerts waiting in a group.
 */
export interface SinkGroupSpec {
  /** Label names that make a group (e.g. ['alertname', 'namespace']). */
  readonly by: readonly string[];
  /** @default 30 */
  readonly waitSeconds?: number;
  /** @default 300 */
  readonly intervalSeconds?: number;
}

export const DEFAULT_GROUP_WAIT_SECONDS = 30;
export const DEFAULT_GROUP_INTERVAL_SECONDS = 300;

export interface SlackSinkSpec extends SinkCommon {
  readonly type: 'slack';
  /** The env variable holding the incoming-webhook URL (filled from a Secret). */
  readonly urlEnv: string;
  /** @default - one message per alert */
  readonly group?: SinkGroupSpec;
}

export interface WebhookSinkSpec extends SinkCommon {
  readonly type: 'webhook';
  readonly url: string;
  /** @default 'POST' */
  readonly method?: (typeof WEBHOOK_METHODS)[number];
  /** Plain headers (never credentials). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A header whose value is read from env `valueEnv` (filled from a Secret), e.g. Authorization. */
  readonly secretHeader?: { readonly name: string; readonly valueEnv: string };
  /** @default - one message per alert */
  readonly group?: SinkGroupSpec;
}

export type AlertSinkSpec = NotificationManagerSinkSpec | AlertmanagerSinkSpec | SlackSinkSpec | WebhookSinkSpec;

// ---------------------------------------------------------------------------------------------
// Alert shapes

/** An alert as the alerter builds it, and as the `webhook` sink sends it (Alertmanager's alert fields). */
export interface AlertmanagerAlert {
  /** 'resolved' once a threshold rule's window holds too few occurrences (endsAt is then the resolve time). */
  readonly status: 'firing' | 'resolved';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** RFC 3339: the log record's time. */
  readonly startsAt: string;
  /** Go's zero time for a firing alert of a rule without threshold; the time it ends otherwise (re-sent before it while firing). */
  readonly endsAt: string;
  readonly generatorURL: string;
  /** sha256 (16 hex) of the sorted label set: the throttle key. */
  readonly fingerprint: string;
}

/** Go's zero time.Time in RFC 3339: `endsAt` of a firing alert in a webhook message. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The Alertmanager webhook message (version 4): notification-manager's body. */
export interface AlertmanagerWebhookMessage {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly alerts: readonly AlertmanagerAlert[];
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly commonLabels: Readonly<Record<string, string>>;
  readonly commonAnnotations: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly version: '4';
  readonly groupKey: string;
}

/** One element of the Alertmanager v2 `POST /api/v2/alerts` array. */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/** A Slack incoming-webhook message: `text` is the notification fallback, `blocks` the layout. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: ReadonlyArray<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** One problem of a sink list. */
export interface SinkProblem {
  readonly index: number;
  /** The sink's effective name, when it has one. */
  readonly sink?: string;
  readonly field: string;
  readonly value: unknown;
  readonly problem: string;
}

/** `sink 'slack' (sinks[2]): 'urlEnv' ("x y") is not ...` */
export function formatSinkProblem(p: SinkProblem): string {
  const who = p.sink !== undefined ? `sink ${JSON.stringify(p.sink)} (sinks[${p.index}])` : `sinks[${p.index}]`;
  return `${who}: '${p.field}' (${show(p.value)}) ${p.problem}`;
}

/** An env variable name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A sink name: lowercase letters, digits and '-' (it ends up in a metric label and a dead-letter reason). */
export const SINK_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What fetch sends as a header value: tab, printable ASCII and Latin-1 (RFC 9110 field-value; no CR, LF or NUL). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const FIELDS: Record<SinkType, readonly string[]> = {
  'notification-manager': ['type', 'name', 'timeoutMs', 'url'],
  'alertmanager': ['type', 'name', 'timeoutMs', 'url'],
  'slack': ['type', 'name', 'timeoutMs', 'urlEnv', 'group'],
  'webhook': ['type', 'name', 'timeoutMs', 'url', 'method', 'headers', 'secretHeader', 'group'],
};

/** The effective names of `sinks`: `name`, else the type, numbered from the second of a type on. */
export function sinkNames(sinks: readonly { readonly type?: unknown; readonly name?: unknown }[]): string[] {
  const seen = new Map<string, number>();
  return sinks.map((s) => {
    if (typeof s.name === 'string') return s.name;
    const type = String(s.type);
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return n === 1 ? type : `${type}-${n}`;
  });
}

/**
 * Every problem of `sinks` (typed, or parsed from JSON), [] when valid. `env`, when given (the
 * workload at start), is also checked for the variables the sinks read secrets from.
 */
export function alertSinkProblems(sinks: unknown, env?: Readonly<Record<string, string | undefined>>): SinkProblem[] {
  if (!Array.isArray(sinks)) return [{ index: 0, field: '', value: sinks, problem: 'must be a list of sinks' }];
  if (sinks.length === 0) return [{ index: 0, field: '', value: sinks, problem: 'must list at least one sink: alerts would go nowhere' }];
  const problems: SinkProblem[] = [];
  const names = sinkNames(sinks.map((s: unknown) => (isObject(s) ? s : {})));
  const firstOf = new Map<string, number>();
  sinks.forEach((raw: unknown, index) => {
    const sink = isObject(raw) && (SINK_TYPES as readonly unknown[]).includes(raw.type) ? names[index] : undefined;
    const add = (field: string, value: unknown, problem: string): void => {
      problems.push({ index, sink, field, value, problem });
    };
    if (!isObject(raw)) return add('', raw, 'must be an object with a type');
    const type = raw.type as SinkType;
    if (!(SINK_TYPES as readonly unknown[]).includes(type)) return add('type', raw.type, `must be one of ${SINK_TYPES.join(', ')}`);
    for (const key of Object.keys(raw)) if (!FIELDS[type].includes(key)) add(key, raw[key], `is not a field of a ${type} sink (${FIELDS[type].join(', ')})`);
    const name = names[index];
    if (typeof name !== 'string' || !SINK_NAME.test(name) || name.length > 63) {
      add('name', raw.name, "must be 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit");
    } else if (firstOf.has(name)) {
      add('name', name, `is also the name of sinks[${firstOf.get(name)}]; give each sink its own 'name'`);
    } else firstOf.set(name, index);
    if (raw.timeoutMs !== undefined) {
      const t = raw.timeoutMs;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < SINK_TIMEOUT_MS_RANGE.min || t > SINK_TIMEOUT_MS_RANGE.max) {
        add('timeoutMs', t, `must be a whole number of milliseconds from ${SINK_TIMEOUT_MS_RANGE.min} to ${SINK_TIMEOUT_MS_RANGE.max}`);
      }
    }
    const url = (field: string, value: unknown, required: boolean): void => {
      if (value === undefined && !required) return;
      if (!isHttpUrl(value)) add(field, value, 'must be an http:// or https:// URL');
      else if (new URL(value).username || new URL(value).password) add(field, '<redacted>', 'must not carry credentials; use a secret header (webhook) or a Secret-backed sink');
    };
    const envName = (field: string, value: unknown): void => {
      if (typeof value !== 'string' || !ENV_NAME.test(value)) return add(field, value, "must be an environment variable name (letters, digits and '_', not starting with a digit)");
      if (env !== undefined && (env[value] === undefined || env[value]!.trim() === '')) {
        add(field, value, 'names an environment variable that is not set; the Deployment fills it from a Secret key (is the Secret there?)');
      } else if (env !== undefined && field === 'urlEnv' && !isHttpUrl(env[value]!.trim())) {
        add(field, value, 'names an environment variable whose value is not an http:// or https:// URL');
      } else if (env !== undefined && field === 'secretHeader.valueEnv' && !HEADER_VALUE.test(env[value]!.trim())) {
        add(field, value, 'names an environment variable whose value cannot be sent as a header value (line breaks, control characters or characters beyond Latin-1); check the Secret key');
      }
    };
    if (raw.group !== undefined) groupProblems(raw.group, add);
    switch (type) {
      case 'notification-manager':
        url('url', raw.url, false);
        break;
      case 'alertmanager':
        url('url', raw.url, true);
        if (isHttpUrl(raw.url) && alertmanagerBaseProblem(raw.url)) add('url', raw.url, alertmanagerBaseProblem(raw.url)!);
        break;
      case 'slack':
        envName('urlEnv', raw.urlEnv);
        break;
      case 'webhook': {
        url('url', raw.url, true);
        if (raw.method !== undefined && !(WEBHOOK_METHODS as readonly unknown[]).includes(raw.method)) add('method', raw.method, `must be one of ${WEBHOOK_METHODS.join(', ')}`);
        const headerNames = new Set<string>();
        if (raw.headers !== undefined) {
          if (!isObject(raw.headers)) add('headers', raw.headers, 'must be an object of header name to value');
          else {
            for (const [h, v] of Object.entries(raw.headers)) {
              if (!HEADER_NAME.test(h)) add(`headers.${h}`, v, 'has a name that is not an HTTP header name');
              else if (typeof v !== 'string' || /[\r\n\0]/.test(v)) add(`headers.${h}`, v, 'must be a string without line breaks');
              else if (h.toLowerCase() === 'content-type') add(`headers.${h}`, v, 'is set by the alerter (application/json)');
              headerNames.add(h.toLowerCase());
            }
          }
        }
        if (raw.secretHeader !== undefined) {
          const sh = raw.secretHeader;
          if (!isObject(sh) || typeof sh.name !== 'string' || !HEADER_NAME.test(sh.name)) add('secretHeader.name', isObject(sh) ? sh.name : sh, 'must be an HTTP header name');
          else if (headerNames.has(sh.name.toLowerCase())) add('secretHeader.name', sh.name, "is also in 'headers'; set it once");
          else if (sh.name.toLowerCase() === 'content-type') add('secretHeader.name', sh.name, 'is set by the alerter (application/json)');
          if (isObject(sh)) envName('secretHeader.valueEnv', sh.valueEnv);
        }
        break;
      }
    }
  });
  return problems;
}

function groupProblems(group: unknown, add: (field: string, value: unknown, problem: string) => void): void {
  if (!isObject(group)) return add('group', group, 'must be an object { by, waitSeconds, intervalSeconds }');
  for (const key of Object.keys(group)) if (!['by', 'waitSeconds', 'intervalSeconds'].includes(key)) add(`group.${key}`, group[key], 'is not a group field (by, waitSeconds, intervalSeconds)');
  const by = group.by;
  if (!Array.isArray(by) || by.length === 0 || by.some((l) => typeof l !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l))) {
    add('group.by', by, 'must be a non-empty list of label names (e.g. ["alertname", "namespace"])');
  }
  const seconds = (field: 'waitSeconds' | 'intervalSeconds', min: number, max: number): void => {
    const v = group[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) add(`group.${field}`, v, `must be a whole number of seconds from ${min} to ${max}`);
  };
  seconds('waitSeconds', 0, 3600);
  seconds('intervalSeconds', 1, 86_400);
}

/** Why `url` is not an Alertmanager base URL (the alerter appends ALERTMANAGER_ALERTS_PATH), or undefined. */
function alertmanagerBaseProblem(url: string): string | undefined {
  const u = new URL(url);
  if (u.search !== '' || u.hash !== '') return "must be Alertmanager's base URL without '?' query or '#' fragment (e.g. http://alertmanager-main.monitoring.svc:9093)";
  if (/\/api\/v[12](\/|$)/.test(u.pathname)) {
    return `must be Alertmanager's base URL (e.g. http://alertmanager-main.monitoring.svc:9093, or with its --web.route-prefix): the alerter appends ${ALERTMANAGER_ALERTS_PATH} itself`;
  }
  return undefined;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}


/**
 * True when the alerter sends `spec` its alerts one by one, so an alert it cannot take now can be
 * parked in its retry topic: every sink but a grouped Slack or webhook sink (whose messages are
 * grouped in memory).
 */
export function sinkIsParkable(spec: AlertSinkSpec): boolean {
  return !((spec.type === 'slack' || spec.type === 'webhook') && spec.group !== undefined);
}
