/**
 * Test fixture for the cleanup guarantees: starts a Kafka broker or an Alertmanager, prints one JSON
 * line `{"pid":…,"dir":…}`, and runs until killed. Used by test/integration/harness-cleanup.test.ts,
 * which SIGKILLs this process and checks that nothing it started survives.
 *   npx ts-node --transpile-only test/harness/hold.ts kafka|alertmanager
 */
import { startAlertmanager } from './alertmanager';
import { startKafkaBroker } from './kafka-broker';

async function main(): Promise<void> {
  const what = process.argv[2];
  const started =
    what === 'kafka'
      ? await startKafkaBroker()
      : what === 'alertmanager'
        ? await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused' })
        : undefined;
  if (!started) throw new Error(`usage: hold.ts kafka|alertmanager (got ${what})`);
  process.stdout.write(`${JSON.stringify({ pid: started.pid, dir: started.dir })}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
