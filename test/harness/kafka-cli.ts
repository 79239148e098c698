/**
 * A broker for development: `npx ts-node --transpile-only test/harness/kafka-cli.ts`
 * prints `KAFKA_BROKERS=127.0.0.1:<port>` once the broker serves metadata, and stops it (removing its
 * temp dir) on Ctrl-C or SIGTERM. Options: `--heap 1g`, `--rebalance-delay-ms 3000`,
 * `--no-auto-create-topics`.
 */
import { startKafkaBroker } from './kafka-broker';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const delay = option('--rebalance-delay-ms');
  const broker = await startKafkaBroker({
    heap: option('--heap'),
    groupInitialRebalanceDelayMs: delay === undefined ? undefined : Number(delay),
    autoCreateTopics: !process.argv.includes('--no-auto-create-topics'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`KAFKA_BROKERS=${broker.brokers}\n`);
  process.stderr.write(`kafka: log ${broker.logFile}; Ctrl-C to stop\n`);
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`kafka: ${signal}, stopping\n`);
    void broker.stop().then(() => {
      clearInterval(keepAlive);
      process.exitCode = 0;
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
