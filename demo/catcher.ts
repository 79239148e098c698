/**
 * The demo's Slack-like catcher: takes Slack incoming-webhook posts (`POST /slack`, `{ text, blocks }`)
 * and Alertmanager webhook notifications (`POST /alertmanager`), prints each in the terminal and shows
 * them on a small web page (`GET /`, refreshing itself; `GET /messages` as JSON).
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** One message the catcher took. */
export interface CaughtMessage {
  /** `slack` (from log-alerter) or `alertmanager` (Alertmanager's notification). */
  readonly channel: 'slack' | 'alertmanager';
  /** What a person would read. */
  readonly text: string;
  readonly receivedAt: string;
  readonly body: unknown;
}

/** A running catcher. */
export interface Catcher {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly messages: readonly CaughtMessage[];
  close(): Promise<void>;
}

/** Starts the catcher on a free port of 127.0.0.1; `onMessage` sees each message as it arrives. */
export async function startCatcher(onMessage: (m: CaughtMessage) => void = () => undefined): Promise<Catcher> {
  const messages: CaughtMessage[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && (path === '/slack' || path === '/alertmanager')) {
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          res.writeHead(400).end('not JSON');
          return;
        }
        const channel = path === '/slack' ? 'slack' : 'alertmanager';
        const m: CaughtMessage = { channel, text: describe(channel, body), receivedAt: new Date().toISOString(), body };
        messages.push(m);
        onMessage(m);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (req.method === 'GET' && path === '/messages') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messages));
      } else if (req.method === 'GET' && path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(messages));
      } else {
        res.writeHead(404).end('not found');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One line for a Slack message (its text) or an Alertmanager notification (status and alert names). */
export function describe(channel: 'slack' | 'alertmanager', body: any): string {
  if (channel === 'slack') return typeof body?.text === 'string' ? body.text : JSON.stringify(body);
  const alerts: any[] = Array.isArray(body?.alerts) ? body.alerts : [];
  const names = alerts.map((a) => `${a.labels?.alertname ?? '?'} (${a.labels?.namespace ?? '-'}/${a.labels?.pod ?? a.labels?.name ?? '-'})`);
  return `Alertmanager ${body?.status ?? '?'} via receiver ${body?.receiver ?? '?'}: ${names.join(', ')}`;
}

function page(messages: readonly CaughtMessage[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = [...messages].reverse().map((m) => `<li><b>#${m.channel}</b> <small>${esc(m.receivedAt)}</small><br>${esc(m.text)}</li>`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Klaxon demo: alerts</title>
<style>body{font-family:sans-serif;margin:2em}li{margin:.8em 0;padding:.5em;border-left:4px solid #e01e5a;background:#f8f8f8;list-style:none}</style></head>
<body><h1>Klaxon demo: alerts caught</h1><p>${messages.length} message(s); this page refreshes every 2 s.</p><ul>${rows || '<li>nothing yet</li>'}</ul></body></html>`;
}
