/**
 * `npm run demo`: run as a newcomer would, non-interactively (`--ci`), it starts its own broker,
 * Alertmanager and catcher, runs dist/dev's workloads and plays the story; the alerts must arrive in
 * Alertmanager and the catcher and the crash-looping pod's Events fill events.demo-project. Run
 * interactively, Ctrl-C (SIGINT) stops everything it started.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { canConnect } from '../harness/processes';

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '..', '..');

function runDemo(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--transpile-only', 'demo/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitFor(output: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    const m = pattern.exec(output());
    if (m) return m;
  }
  throw new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output().slice(-3000)}`);
}

test('npm run demo -- --ci: the 404 and the crash-loop alerts reach Alertmanager and the Slack catcher, the crash-loop Events fill events.demo-project', async () => {
  // WHEN
  const demo = runDemo(['--ci']);
  const code = await demo.exit;
  // THEN
  const line = /^DEMO-RESULT (.*)$/m.exec(demo.output());
  if (!line) throw new Error(`no DEMO-RESULT line; output:\n${demo.output().slice(-3000)}`);
  const result = JSON.parse(line[1]);
  // with the control plane built (.ci/install.sh builds it), the Events come from the exporter on a real kube-apiserver
  if (!/no kube-apiserver here/.test(demo.output())) expect(demo.output()).toMatch(/playing: Events of the crash-looping pod created in kube-apiserver, shipped by dist\/dev's event exporter/);
  expect([...result.alertmanagerAlerts].sort()).toEqual(['404 Request demo-project/wordpress-v1-f54f697c5-hdn2z', 'PodCrashLooping demo-project/wordpress-v2-7c9d8f6b5-x2x4q']);
  expect([...result.slackMessages].sort()).toEqual([
    '[CRITICAL] PodCrashLooping: Pod demo-project/wordpress-v2-7c9d8f6b5-x2x4q is crash-looping (BackOff, 3 times)',
    '[WARNING] 404 Request: HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z',
  ]);
  expect(result.alertmanagerNotifications.length).toBeGreaterThan(0);
  for (const n of result.alertmanagerNotifications) expect(n).toContain('Alertmanager firing via receiver');
  expect(result.alertmanagerNotifications.join('\n')).toContain('404 Request (demo-project/wordpress-v1-f54f697c5-hdn2z)');
  expect(result.topicRecords).toMatchObject({ 'logs': 1, 'cluster-events': 4, 'events.demo-project': 4, 'klaxon.dead-letter': 0, 'cluster-events.unrouted': 0 });
  expect(result.ok).toBe(true);
  expect(code).toBe(0);
});

test('npm run demo: Ctrl-C stops the broker, Alertmanager, catcher, API server and workloads it started', async () => {
  // GIVEN the interactive demo, past its story
  const demo = runDemo([]);
  const broker = await waitFor(demo.output, /✓ Kafka \S+ at 127\.0\.0\.1:(\d+)/, 120_000);
  const am = await waitFor(demo.output, /✓ Alertmanager \S+: http:\/\/127\.0\.0\.1:(\d+)/, 120_000);
  const catcher = await waitFor(demo.output, /✓ catcher: http:\/\/127\.0\.0\.1:(\d+)/, 120_000);
  await waitFor(demo.output, /Ctrl-C stops everything/, 180_000);
  const apiserver = /API server: https:\/\/127\.0\.0\.1:(\d+)/.exec(demo.output());
  if (!/no kube-apiserver here/.test(demo.output())) expect(apiserver).not.toBeNull();
  const ports = [broker[1], am[1], catcher[1], ...(apiserver ? [apiserver[1]] : [])].map(Number);
  for (const port of ports) expect({ port, open: await canConnect(port) }).toEqual({ port, open: true });
  // WHEN
  demo.child.kill('SIGINT');
  const code = await demo.exit;
  // THEN
  expect(code).toBe(130);
  expect(demo.output()).toMatch(/Ctrl-C: stopping everything the demo started/);
  for (const port of ports) expect({ port, open: await canConnect(port) }).toEqual({ port, open: false });
});
