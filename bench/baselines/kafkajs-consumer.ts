/**
 * Baseline (b): a minimal kafkajs consumer that JSON.parses each record and commits each fetched
 * batch, the least a log alerter must do. Bundled and run on the workloads' Node.js by
 * bench/ratios.ts. Env: BROKERS, SOURCE, GROUP.
 */
import { Kafka, logLevel } from 'kafkajs';

const env = (name: string): string => process.env[name] ?? '';
const kafka = new Kafka({ clientId: 'baseline-consumer', brokers: env('BROKERS').split(','), logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: env('GROUP'), maxWaitTimeInMs: 1000 });
let parsed = 0;

async function main(): Promise<void> {
  consumer.on(consumer.events.GROUP_JOIN, () => console.log(JSON.stringify({ msg: 'joined group' })));
  await consumer.connect();
  await consumer.subscribe({ topics: [env('SOURCE')], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const m of batch.messages) if (JSON.parse(m.value!.toString()) !== null) parsed += 1;
      resolveOffset(batch.messages[batch.messages.length - 1].offset);
      await commitOffsetsIfNecessary();
    },
  });
}

process.once('SIGTERM', () => {
  console.log(JSON.stringify({ msg: 'parsed', parsed }));
  void consumer.disconnect().finally(() => process.exit(0));
});
void main();
