/**
 * Local HTTP servers that stand in for alert destinations: a Slack incoming webhook, KubeSphere
 * Notification Manager's webhook (`POST /api/v2/alerts` with an Alertmanager webhook body), and a
 * generic webhook. Each records every request (method, path, headers, raw and parsed body, the status
 * it answered), can answer errors for the next N requests (500, 429 with Retry-After, ...), hang, or
 * be down (listener closed: connections are refused) until brought back on the same port.
 *
 * `GET /__harness/requests` lists what was recorded, as JSON, so another process (the jest global
 * setup's Alertmanager webhook recorder) can be inspected from the test workers; it is not recorded.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** One request a receiver got. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON, or undefined if it is not JSON. */
  readonly json: unknown;
  /** HTTP status the receiver answered. */
  readonly status: number;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
}

/** A scripted failure. */
export interface Fault {
  /** HTTP status to answer. */
  readonly status: number;
  /** `Retry-After` header, in seconds. @default - none */
  readonly retryAfterSeconds?: number;
  /** Response body. @default - the status text */
  readonly body?: string;
}

/** The normal answer of a receiver for a request, or an error status when the request is invalid. */
export type Responder = (request: Omit<RecordedRequest, 'status' | 'receivedAt'>) => { status: number; body: string; contentType?: string };

/** Options of Receiver.start. */
export interface ReceiverOptions {
  /** Name in messages. */
  readonly name: string;
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** The path requests are expected on, appended to `url`. @default '/' */
  readonly path?: string;
  /** Normal answers. @default 200 'ok' */
  readonly respond?: Responder;
}

type Scripted = { readonly kind: 'fault'; readonly fault: Fault } | { readonly kind: 'hang' };

/** A recording HTTP server on 127.0.0.1. */
export class Receiver {
  /** Starts listening on 127.0.0.1. */
  static async start(options: ReceiverOptions): Promise<Receiver> {
    const receiver = new Receiver(options);
    await receiver.listen(options.port ?? 0);
    return receiver;
  }

  readonly name: string;
  private readonly recorded: RecordedRequest[] = [];
  private readonly script: Scripted[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly server: http.Server;
  private readonly respond: Responder;
  private readonly requestPath: string;
  private boundPort = 0;
  private up = false;

  private constructor(options: ReceiverOptions) {
    this.name = options.name;
    this.requestPath = options.path ?? '/';
    this.respond = options.respond ?? (() => ({ status: 200, body: 'ok', contentType: 'text/plain' }));
    this.server = http.createServer((req, res) => this.handle(req, res));
    // Above Node's default, as a real receiver's: a server that says `Keep-Alive: timeout=1` is never
    // reused by a Node client (its agent keeps a 1 s safety margin), so every request would connect anew.
    this.server.keepAliveTimeout = 10_000;
  }

  /** The port, kept across goDown()/comeBack(). */
  get port(): number {
    return this.boundPort;
  }

  /** `http://127.0.0.1:<port>` */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /** The URL to configure in the system under test (base URL + the receiver's path). */
  get url(): string {
    return `${this.baseUrl}${this.requestPath}`;
  }

  /** True unless goDown() was called (and comeBack() not yet). */
  get isUp(): boolean {
    return this.up;
  }

  /** A copy of every recorded request, oldest first. */
  get requests(): RecordedRequest[] {
    return [...this.recorded];
  }

  /** The recorded requests answered with 2xx. */
  get accepted(): RecordedRequest[] {
    return this.recorded.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** The next `count` requests are answered with `fault` (after any faults already scripted). */
  failNext(count: number, fault: Fault = { status: 500 }): this {
    for (let i = 0; i < count; i++) this.script.push({ kind: 'fault', fault });
    return this;
  }

  /** The next `count` requests get 429 Too Many Requests with `Retry-After: retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds = 1): this {
    return this.failNext(count, { status: 429, retryAfterSeconds, body: 'rate_limited' });
  }

  /** The next `count` requests are recorded but never answered (until goDown() or close()). */
  hangNext(count: number): this {
    for (let i = 0; i < count; i++) this.script.push({ kind: 'hang' });
    return this;
  }

  /** Closes the listener and every open connection: new connections are refused until comeBack(). */
  async goDown(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    if (this.up) return;
    await this.listen(this.boundPort);
  }

  /** Forgets recorded requests and scripted faults. */
  reset(): void {
    this.recorded.length = 0;
    this.script.length = 0;
  }

  /**
   * Resolves with the recorded requests once at least `count` were received (whatever the answer);
   * rejects after `timeoutMs` saying how many arrived.
   */
  waitFor(count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    return this.waitUntil(() => this.recorded.length >= count, `${count} request(s)`, timeoutMs).then(() => this.requests);
  }

  /** Like waitFor, counting only requests answered with 2xx; resolves with those. */
  waitForAccepted(count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    return this.waitUntil(() => this.accepted.length >= count, `${count} accepted request(s)`, timeoutMs).then(() => this.accepted);
  }

  /**
   * The alerts of the accepted requests, in arrival order: one request may carry several (an
   * Alertmanager webhook message's `alerts`, an Alertmanager v2 array); any other JSON body is one.
   */
  get acceptedAlerts(): unknown[] {
    return this.accepted.flatMap((r) => {
      const json = r.json as { alerts?: unknown } | unknown[] | undefined;
      if (Array.isArray(json)) return json;
      if (json !== null && typeof json === 'object' && Array.isArray((json as { alerts?: unknown }).alerts)) return (json as { alerts: unknown[] }).alerts;
      return [json];
    });
  }

  /** Like waitForAccepted, counting alerts (acceptedAlerts) instead of requests; resolves with those. */
  waitForAlerts(count: number, timeoutMs = 10_000): Promise<unknown[]> {
    return this.waitUntil(() => this.acceptedAlerts.length >= count, `${count} accepted alert(s)`, timeoutMs).then(() => this.acceptedAlerts);
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.goDown();
  }

  private waitUntil(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.recorded.map((r) => `${r.method} ${r.path} -> ${r.status}`).join(', ') || 'none';
        reject(new Error(`${this.name}: waited ${timeoutMs} ms for ${what}; received ${this.recorded.length}: ${seen}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.boundPort = (this.server.address() as AddressInfo).port;
        this.up = true;
        resolve();
      });
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/__harness/requests') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.recorded.map((r) => ({ ...r, body: r.body.toString('base64') }))));
        return;
      }
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      const request = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        json,
      };
      const scripted = this.script.shift();
      if (scripted?.kind === 'hang') {
        this.record({ ...request, status: 0, receivedAt: Date.now() });
        this.hanging.add(res);
        res.once('close', () => this.hanging.delete(res));
        return;
      }
      let answer: { status: number; body: string; contentType?: string; retryAfterSeconds?: number };
      if (scripted?.kind === 'fault') {
        answer = { ...scripted.fault, body: scripted.fault.body ?? (http.STATUS_CODES[scripted.fault.status] ?? 'error') };
      } else {
        answer = this.respond(request);
      }
      this.record({ ...request, status: answer.status, receivedAt: Date.now() });
      const headers: http.OutgoingHttpHeaders = { 'content-type': answer.contentType ?? 'text/plain' };
      if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    });
  }

  private record(request: RecordedRequest): void {
    this.recorded.push(request);
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** A Slack incoming webhook: `POST <path>` with a JSON body answers 200 `ok`; others 400/405 as Slack does. */
export function slackWebhook(options: Partial<ReceiverOptions> = {}): Promise<Receiver> {
  return Receiver.start({
    name: 'slack',
    path: '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    ...options,
    respond:
      options.respond ??
      ((r) => {
        if (r.method !== 'POST') return { status: 405, body: 'invalid_method' };
        if (r.json === undefined || typeof r.json !== 'object' || r.json === null) return { status: 400, body: 'invalid_payload' };
        const payload = r.json as { text?: unknown; blocks?: unknown; attachments?: unknown };
        if (payload.text === undefined && payload.blocks === undefined && payload.attachments === undefined) return { status: 400, body: 'no_text' };
        return { status: 200, body: 'ok' };
      }),
  });
}

/**
 * Notification Manager's webhook: `POST /api/v2/alerts` with an Alertmanager webhook body
 * (an object with an `alerts` array) answers 200; other paths 404, other bodies 400.
 */
export function notificationManager(options: Partial<ReceiverOptions> = {}): Promise<Receiver> {
  return Receiver.start({
    name: 'notification-manager',
    path: '/api/v2/alerts',
    ...options,
    respond:
      options.respond ??
      ((r) => {
        if (r.path !== '/api/v2/alerts') return { status: 404, body: 'not found' };
        if (r.method !== 'POST') return { status: 405, body: 'method not allowed' };
        const data = r.json as { alerts?: unknown } | undefined;
        if (typeof data !== 'object' || data === null || Array.isArray(data) || !Array.isArray(data.alerts)) {
          return { status: 400, body: 'body is not an Alertmanager webhook message' };
        }
        return { status: 200, body: '{"Status":200,"Message":"success"}', contentType: 'application/json' };
      }),
  });
}

/** A generic webhook: any method and path answers 200 `ok`. */
export function genericWebhook(options: Partial<ReceiverOptions> = {}): Promise<Receiver> {
  return Receiver.start({ name: 'webhook', path: '/webhook', ...options });
}

/** Reads what a receiver in another process (e.g. the global setup's) recorded, via GET /__harness/requests. */
export async function recordedBy(baseUrl: string): Promise<RecordedRequest[]> {
  const response = await fetch(`${baseUrl.replace(/\/$/, '')}/__harness/requests`);
  if (!response.ok) throw new Error(`GET ${baseUrl}/__harness/requests: ${response.status}`);
  const list = (await response.json()) as Array<Omit<RecordedRequest, 'body'> & { body: string }>;
  return list.map((r) => ({ ...r, body: Buffer.from(r.body, 'base64') }));
}
