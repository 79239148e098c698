/**
 * Health that can fail, and the plain node:http server that reports it.
 *
 * - `/livez`: 200 until the consumer has crashed for good or the process is stopping for an error;
 *   then 503 (Kubernetes restarts the pod).
 * - `/readyz`: 200 only while the consumer is a joined group member and its last successful
 *   heartbeat is younger than KLAXON_READY_STALE_MS; 503 with the reason otherwise.
 * - `/metrics`: Prometheus text format from the runtime's registry.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { Logger } from './logger';

export interface Verdict {
  readonly ok: boolean;
  readonly reason: string;
}

/** What the consumer's events tell about its health; `now` is injectable for tests. */
export class HealthState {
  private joined = false;
  private lastHeartbeat = 0;
  private deadReason: string | undefined;
  private stopping = false;

  constructor(
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  onJoin(): void {
    this.joined = true;
    this.lastHeartbeat = this.now();
  }

  onHeartbeat(): void {
    this.lastHeartbeat = this.now();
  }

  /** Rebalancing, disconnected, crashed (to be restarted) or stopped: not a member now. */
  onLeave(): void {
    this.joined = false;
  }

  /** The consumer will not come back. */
  onDead(reason: string): void {
    this.joined = false;
    this.deadReason = reason;
  }

  onStopping(): void {
    this.stopping = true;
  }

  liveness(): Verdict {
    if (this.deadReason !== undefined) return { ok: false, reason: `consumer dead: ${this.deadReason}` };
    return { ok: true, reason: 'ok' };
  }

  readiness(): Verdict {
    const live = this.liveness();
    if (!live.ok) return live;
    if (this.stopping) return { ok: false, reason: 'stopping' };
    if (!this.joined) return { ok: false, reason: 'not a joined group member' };
    const age = this.now() - this.lastHeartbeat;
    if (age > this.staleMs) return { ok: false, reason: `last heartbeat ${age} ms ago (limit ${this.staleMs} ms)` };
    return { ok: true, reason: 'ok' };
  }
}

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the HTTP server on `port` (0: any free port); resolves once it listens. */
export function startHealthServer(port: number, state: HealthState, registry: Registry, logger: Logger): Promise<HealthServer> {
  const answer = (res: http.ServerResponse, verdict: Verdict): void => {
    res.writeHead(verdict.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${verdict.reason}\n`);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/livez') return answer(res, state.liveness());
    if (path === '/readyz') return answer(res, state.readiness());
    if (path === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((e: unknown) => {
          logger.error('metrics failed', { error: e });
          res.writeHead(500).end();
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      resolve({
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
