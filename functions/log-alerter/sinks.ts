/**
 * Delivery of one alert to one sink over HTTP (node:http / node:https with a keep-alive agent per
 * protocol: a POST costs about a quarter of the CPU of global fetch, and connections are reused),
 * and what the answer means:
 *  - 2xx: accepted;
 *  - 408, 425, 429, 5xx, a timeout, a refused or reset connection: transient (retry; a Retry-After
 *    header, in seconds or as an HTTP date, says how long at least, capped at MAX_RETRY_AFTER_MS);
 *  - a redirect (3xx) is not followed (a client following it would re-send the POST as a bodiless
 *    GET and take the 2xx of that GET for a delivery). It is permanent, naming the Location to
 *    configure instead;
 *  - a request that cannot be made as configured (a header value Node refuses, a URL that is not
 *    http or https): permanent;
 *  - any other answer (400, 401, 403, 404, 405, 410, 413, 422, ...): permanent, no retry fixes it.
 */
import {
  ALERTMANAGER_ALERTS_PATH,
  AlertSinkSpec,
  AlertmanagerAlert,
  DEFAULT_GROUP_INTERVAL_SECONDS,
  DEFAULT_GROUP_WAIT_SECONDS,
  DEFAULT_NOTIFICATION_MANAGER_URL,
  SinkGroupSpec,
  DEFAULT_SINK_TIMEOUT_MS,
  SinkType,
  sinkNames,
} from '../contracts/alert-sinks';
import * as http from 'http';
import * as https from 'https';
import type { Env } from '../runtime/config';
import { alertmanagerAlerts, notificationManagerMessage, slackGroupMessage, slackMessage, webhookBody, webhookGroupBody } from './bodies';
import type { GroupSettings } from './grouper';

/** The longest Retry-After honoured; a sink asking for more is asked again after this. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Characters of a response body kept in a failure's detail. */
const BODY_CHARS = 300;

export type DeliveryOutcome =
  | { readonly kind: 'accepted'; readonly status: number }
  | { readonly kind: 'transient'; readonly cause: string; readonly detail: string; readonly retryAfterMs: number }
  | { readonly kind: 'permanent'; readonly cause: string; readonly detail: string };

/** One HTTP request a sink makes for an alert. */
export interface SinkRequest {
  readonly url: string;
  readonly method: 'POST' | 'PUT';
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A configured sink: its name and type, and the request for an alert. */
export interface Sink {
  readonly name: string;
  readonly type: SinkType;
  readonly timeoutMs: number;
  request(alert: AlertmanagerAlert): SinkRequest;
  /** Sinks that take several alerts in one request (Notification Manager, Alertmanager): that request. */
  requestMany?(alerts: readonly AlertmanagerAlert[]): SinkRequest;
  /** Slack and webhook sinks with `group`: their grouping and the request for a group's message. */
  readonly group?: GroupSettings;
  requestGroup?(groupLabels: Record<string, string>, alerts: readonly AlertmanagerAlert[]): SinkRequest;
}

function grouping(spec: { readonly group?: SinkGroupSpec }): GroupSettings | undefined {
  if (!spec.group) return undefined;
  return {
    by: spec.group.by,
    waitMs: (spec.group.waitSeconds ?? DEFAULT_GROUP_WAIT_SECONDS) * 1000,
    intervalMs: (spec.group.intervalSeconds ?? DEFAULT_GROUP_INTERVAL_SECONDS) * 1000,
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * The sinks of specs that passed `alertSinkProblems(specs, env)`; secret values are read from `env`
 * here, once.
 */
export function createSinks(specs: readonly AlertSinkSpec[], env: Env): Sink[] {
  const names = sinkNames(specs);
  return specs.map((spec, i): Sink => {
    const common = { name: names[i], type: spec.type, timeoutMs: spec.timeoutMs ?? DEFAULT_SINK_TIMEOUT_MS };
    switch (spec.type) {
      case 'notification-manager': {
        const url = spec.url ?? DEFAULT_NOTIFICATION_MANAGER_URL;
        return {
          ...common,
          request: (a) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(notificationManagerMessage(a)) }),
          requestMany: ([a, ...more]) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(notificationManagerMessage(a, ...more)) }),
        };
      }
      case 'alertmanager': {
        const url = `${spec.url.replace(/\/+$/, '')}${ALERTMANAGER_ALERTS_PATH}`;
        return {
          ...common,
          request: (a) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(alertmanagerAlerts(a)) }),
          requestMany: ([a, ...more]) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(alertmanagerAlerts(a, ...more)) }),
        };
      }
      case 'slack': {
        const url = (env[spec.urlEnv] ?? '').trim();
        return {
          ...common,
          request: (a) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(slackMessage(a)) }),
          group: grouping(spec),
          requestGroup: (labels, alerts) => ({ url, method: 'POST', headers: { ...JSON_HEADERS }, body: JSON.stringify(slackGroupMessage(labels, alerts)) }),
        };
      }
      case 'webhook': {
        const headers: Record<string, string> = { ...(spec.headers ?? {}), ...JSON_HEADERS };
        if (spec.secretHeader) headers[spec.secretHeader.name] = (env[spec.secretHeader.valueEnv] ?? '').trim();
        return {
          ...common,
          request: (a) => ({ url: spec.url, method: spec.method ?? 'POST', headers: { ...headers }, body: JSON.stringify(webhookBody(a)) }),
          group: grouping(spec),
          requestGroup: (labels, alerts) => ({ url: spec.url, method: spec.method ?? 'POST', headers: { ...headers }, body: JSON.stringify(webhookGroupBody(labels, alerts)) }),
        };
      }
    }
  });
}

/** Keep-alive agents shared by every sink (connections are reused across alerts). */
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
} as const;

/** Most bytes of a response body read (the rest is discarded). */
const MAX_BODY_BYTES = 64 * 1024;

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** Sends `request`, waiting at most `timeoutMs` for the whole answer; never throws. */
export async function deliver(request: SinkRequest, timeoutMs: number): Promise<DeliveryOutcome> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { kind: 'permanent', cause: 'invalid-request', detail: `the request cannot be sent: ${JSON.stringify(request.url)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { kind: 'permanent', cause: 'invalid-request', detail: `the request cannot be sent: unknown scheme ${url.protocol} (use http or https)` };
  }
  let answer: RawAnswer;
  try {
    answer = await send(url, request, timeoutMs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.name === 'TimeoutError') return { kind: 'transient', cause: 'timeout', detail: `no answer within ${timeoutMs} ms`, retryAfterMs: 0 };
    if (err.name === 'InvalidRequest') return { kind: 'permanent', cause: 'invalid-request', detail: `the request cannot be sent: ${err.message}` };
    return { kind: 'transient', cause: 'network', detail: `${err.code ?? err.name}: ${err.message}`, retryAfterMs: 0 };
  }
  const { status, text } = answer;
  if (status >= 200 && status < 300) return { kind: 'accepted', status };
  const location = status >= 300 && status < 400 ? header(answer.headers.location) : undefined;
  const detail =
    `HTTP ${status}${location !== undefined ? ` redirect to ${location} (not followed: set the sink's URL to the target)` : ''}` +
    `${text ? `: ${text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS)}…` : text}` : ''}`;
  if (isTransientStatus(status)) return { kind: 'transient', cause: String(status), detail, retryAfterMs: retryAfterMs(header(answer.headers['retry-after']) ?? null) };
  return { kind: 'permanent', cause: String(status), detail };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** One request over the protocol's keep-alive agent; rejects with TimeoutError, InvalidRequest or the socket's error. */
function send(url: URL, request: SinkRequest, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(request.body);
    const protocol = url.protocol as 'http:' | 'https:';
    let req: http.ClientRequest;
    try {
      req = (protocol === 'https:' ? https : http).request(url, {
        method: request.method,
        agent: AGENTS[protocol],
        headers: { ...request.headers, 'content-length': String(body.length) },
      });
    } catch (e) {
      // Node checks header names and values before sending: a bad one is the configuration's fault.
      const err = new Error((e as Error).message);
      err.name = 'InvalidRequest';
      return reject(err);
    }
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${timeoutMs} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    }, timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    req.on('error', fail);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', fail);
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES) });
      });
    });
    req.end(body);
  });
}

/** Statuses a later retry may fix (a redirect is not one: the sink's URL must change). */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** asctime, the third HTTP-date form (`Sun Nov  6 08:49:37 1994`): GMT, though it says no zone. */
const ASCTIME = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** A Retry-After header (seconds or an HTTP date) in ms, capped; 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number {
  if (header === null || header.trim() === '') return 0;
  const text = header.trim();
  // Date.parse reads IMF-fixdate and RFC 850 as GMT, but asctime in the local zone: say GMT.
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(ASCTIME.test(text) ? `${text} GMT` : text) - now;
  if (Number.isNaN(ms) || ms <= 0) return 0; // Infinity (a huge number of seconds) is capped below
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
