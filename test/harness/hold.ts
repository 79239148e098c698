/**
 * Test fixture for the cleanup guarantees: starts a Kafka broker, an Alertmanager or a kube-apiserver
 * (with its etcd), prints one JSON line `{"pid":…,"pids":[…],"dir":…}`, and runs until killed. Used by test/integration/harness-cleanup.test.ts,
 * which SIGKILLs this process and checks that nothing it started survives.
 *   npx ts-node --transpile-only test/harness/hold.ts kafka|alertmanager|kube-apiserver
 */
import { startAlertmanager } from './alertmanager';
import { startKafkaBroker } from './kafka-broker';
import { startKubeApiserver } from './kube-apiserver';

async function main(): Promise<void> {
  const what = process.argv[2];
  if (what === 'kube-apiserver') {
    const api = await startKubeApiserver();
    process.stdout.write(`${JSON.stringify({ pid: api.pids[api.pids.length - 1], pids: api.pids, dir: api.dir })}\n`);
    setInterval(() => undefined, 60_000);
    return;
  }
  const started =
    what === 'kafka'
      ? await startKafkaBroker()
      : what === 'alertmanager'
        ? await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused' })
        : undefined;
  if (!started) throw new Error(`usage: hold.ts kafka|alertmanager|kube-apiserver (got ${what})`);
  process.stdout.write(`${JSON.stringify({ pid: started.pid, pids: [started.pid], dir: started.dir })}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
