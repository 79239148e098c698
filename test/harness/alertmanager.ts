/**
 * A real Alertmanager (Debian's prometheus-alertmanager, API v2) for tests: config and data in its own
 * temp dir, web on a free 127.0.0.1 port, clustering disabled, every alert routed to one webhook
 * receiver with short group timers so notifications arrive within about a second.
 */
import { ChildProcess, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { exited, freePort, ownedTempDir, removeDir, sleep, spawnOwned, stopChild, sweepOrphans, tail } from './processes';

/** Options of startAlertmanager. */
export interface AlertmanagerOptions {
  /** Where the route's `webhook_configs` receiver posts notifications. */
  readonly webhookUrl: string;
  /** Labels alerts are grouped by; `['...']` gives every alert its own notification. @default ['alertname'] */
  readonly groupBy?: readonly string[];
  /** Route `group_wait`. @default '1s' */
  readonly groupWait?: string;
  /** Route `group_interval`. @default '1s' */
  readonly groupInterval?: string;
  /** Route `repeat_interval`. @default '1h' */
  readonly repeatInterval?: string;
  /** Whether resolved alerts are sent to the webhook too. @default true */
  readonly sendResolved?: boolean;
  /** The executable. @default '/usr/bin/prometheus-alertmanager' (else 'alertmanager' on PATH) */
  readonly binary?: string;
  /** How long to wait for /-/ready. @default 30000 */
  readonly startTimeoutMs?: number;
  /** Progress messages. @default - silent */
  readonly log?: (line: string) => void;
}

/** An alert as POSTed to /api/v2/alerts. */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** RFC 3339. @default - now (set by Alertmanager) */
  readonly startsAt?: string;
  /** RFC 3339; a time in the past resolves the alert. @default - resolve_timeout after the last post */
  readonly endsAt?: string;
  readonly generatorURL?: string;
}

/** An alert as GET /api/v2/alerts returns it (the fields tests use). */
export interface GettableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly fingerprint: string;
  readonly receivers: Array<{ name: string }>;
  readonly status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
}

/** A running Alertmanager. */
export interface Alertmanager {
  /** `http://127.0.0.1:<port>` (API at /api/v2). */
  readonly url: string;
  readonly version: string;
  readonly pid: number;
  readonly dir: string;
  readonly logFile: string;
  /** Seconds from startAlertmanager() to /-/ready answering 200. */
  readonly startupSeconds: number;
  /** The name of the webhook receiver in the config. */
  readonly receiverName: string;
  /** POST /api/v2/alerts. */
  postAlerts(alerts: readonly PostableAlert[]): Promise<void>;
  /** GET /api/v2/alerts, optionally with `filter` matchers such as `alertname="X"`. */
  getAlerts(filter?: readonly string[]): Promise<GettableAlert[]>;
  /** SIGTERM (SIGKILL after 10 s), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const RECEIVER = 'klaxon-test-webhook';

function binaryOf(options: AlertmanagerOptions): string {
  if (options.binary) return options.binary;
  return fs.existsSync(DEFAULT_ALERTMANAGER) ? DEFAULT_ALERTMANAGER : 'alertmanager';
}

/** The Alertmanager config YAML (JSON is valid YAML) for `options`. */
export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const config = {
    global: { resolve_timeout: '5m' },
    route: {
      receiver: RECEIVER,
      group_by: options.groupBy ?? ['alertname'],
      group_wait: options.groupWait ?? '1s',
      group_interval: options.groupInterval ?? '1s',
      repeat_interval: options.repeatInterval ?? '1h',
    },
    receivers: [
      {
        name: RECEIVER,
        webhook_configs: [{ url: options.webhookUrl, send_resolved: options.sendResolved ?? true, max_alerts: 0 }],
      },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Starts Alertmanager on free ports; resolves once /-/ready answers. */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<Alertmanager> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  sweepOrphans(log);
  const binary = binaryOf(options);
  const versionRun = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (versionRun.error) throw new Error(`alertmanager: cannot run ${binary}: ${versionRun.error.message} (install it: bash .ci/install.sh)`);
  const version = /version (\S+)/.exec(`${versionRun.stdout}${versionRun.stderr}`)?.[1] ?? 'unknown';
  for (let attempt = 1; ; attempt++) {
    const dir = ownedTempDir('alertmanager');
    const logFile = path.join(dir, 'alertmanager.log');
    const configFile = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(configFile, alertmanagerConfig(options));
    fs.mkdirSync(path.join(dir, 'data'));
    const port = await freePort();
    const child: ChildProcess = spawnOwned(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // An empty cluster address disables the gossip mesh (no second port, no peers).
        '--cluster.listen-address=',
        '--log.level=info',
      ],
      { dir, kind: 'alertmanager', logFile },
    );
    const url = `http://127.0.0.1:${port}`;
    let dead = false;
    void exited(child).then(() => {
      dead = true;
    });
    const deadline = started + (options.startTimeoutMs ?? 30_000);
    let ready = false;
    while (!dead && Date.now() < deadline) {
      try {
        const response = await fetch(`${url}/-/ready`);
        if (response.ok) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    if (!ready) {
      const output = tail(logFile);
      await stopChild(child, 2000);
      removeDir(dir);
      if (/address already in use/i.test(output) && attempt < 3) continue;
      throw new Error(`alertmanager: not ready at ${url} (${dead ? `exited ${child.exitCode ?? child.signalCode}` : 'timed out'}):\n${output}`);
    }
    const startupSeconds = (Date.now() - started) / 1000;
    log(`alertmanager: ${version} serving on ${url} after ${startupSeconds.toFixed(1)} s (pid ${child.pid})`);
    let stopping: Promise<void> | undefined;
    return {
      url,
      version,
      pid: child.pid!,
      dir,
      logFile,
      startupSeconds,
      receiverName: RECEIVER,
      postAlerts: (alerts) => postAlerts(url, alerts),
      getAlerts: (filter) => getAlerts(url, filter),
      stop: () =>
        (stopping ??= stopChild(child, 10_000).then(() => {
          removeDir(dir);
        })),
    };
  }
}

/** POST /api/v2/alerts on the Alertmanager at `url`. */
export async function postAlerts(url: string, alerts: readonly PostableAlert[]): Promise<void> {
  const response = await fetch(`${url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  if (!response.ok) throw new Error(`POST ${url}/api/v2/alerts: ${response.status} ${await response.text()}`);
}

/** GET /api/v2/alerts on the Alertmanager at `url`. */
export async function getAlerts(url: string, filter: readonly string[] = []): Promise<GettableAlert[]> {
  const query = filter.map((f) => `filter=${encodeURIComponent(f)}`).join('&');
  const response = await fetch(`${url}/api/v2/alerts${query ? `?${query}` : ''}`);
  if (!response.ok) throw new Error(`GET ${url}/api/v2/alerts: ${response.status} ${await response.text()}`);
  return (await response.json()) as GettableAlert[];
}
