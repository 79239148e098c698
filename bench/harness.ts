/**
 * harness: the test harness's Kafka broker (test/harness/kafka-broker.ts), started twice — with
 * `group.initial.rebalance.delay.ms=3000` (Kafka's default) and `=0` (the harness default) — timing
 * its start to serving metadata and the first consumer group join on it. The `=0` broker is kept
 * for the fanout benchmark when KAFKA_BROKERS is unset (one JVM start saved).
 */
import { Kafka, logLevel } from 'kafkajs';
import { KafkaBroker, startKafkaBroker } from '../test/harness/kafka-broker';
import { Benchmark, BenchContext, mib, now, procStatusKb, ResultBuilder } from './lib';

/** Delays measured, in this order (the last one may be kept for later benchmarks). */
const DELAYS = [3000, 0] as const;

/** Seconds from connecting a fresh consumer to its GROUP_JOIN event on a fresh one-partition topic. */
async function firstJoinSeconds(brokers: string): Promise<{ joinSeconds: number; connectSeconds: number }> {
  const kafka = new Kafka({ clientId: 'klaxon-bench-join', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topic = `klaxon-bench-join-${Date.now()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `${topic}-group`, allowAutoTopicCreation: false });
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const joined = new Promise<number>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve(now())));
    await consumer.connect();
    const connected = now();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    const joinedAt = await Promise.race([joined, new Promise<number>((_, reject) => (timer = setTimeout(() => reject(new Error('no GROUP_JOIN within 60 s')), 60_000)))]);
    return { joinSeconds: (joinedAt - started) / 1000, connectSeconds: (connected - started) / 1000 };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}

export const harnessBenchmark: Benchmark = {
  name: 'harness',
  title: 'Test harness broker',
  description: 'harness Kafka broker start and first group join, group.initial.rebalance.delay.ms=3000 and =0',
  async run(ctx: BenchContext, r: ResultBuilder): Promise<void> {
    for (const delay of DELAYS) {
      ctx.log(`harness: starting a broker with group.initial.rebalance.delay.ms=${delay}`);
      const t = now();
      let broker: KafkaBroker | undefined = await startKafkaBroker({ groupInitialRebalanceDelayMs: delay, log: (l) => ctx.log(`  ${l}`) });
      const wall = (now() - t) / 1000;
      const kept = { value: false };
      try {
        const k = `harness.delay${delay}`;
        r.add(`${k}.startupSeconds`, `broker start to serving metadata (delay ${delay} ms)`, broker.startupSeconds, 's', 'startKafkaBroker(): format + JVM start + metadata + __consumer_offsets');
        const join = await firstJoinSeconds(broker.brokers);
        r.add(`${k}.firstJoinSeconds`, `first consumer group join (delay ${delay} ms)`, join.joinSeconds, 's', 'kafkajs connect → GROUP_JOIN, 1 member, 1 partition');
        const rss = procStatusKb(broker.pid, 'VmRSS');
        r.add(`${k}.brokerRssMiB`, `broker JVM RSS after the join (delay ${delay} ms)`, rss === undefined ? null : mib(rss * 1024), 'MiB', 'heap -Xms/-Xmx 512m');
        r.detail(`delay${delay}`, { version: broker.version, wallSeconds: wall, connectSeconds: join.connectSeconds });
        r.detail('kafkaVersion', broker.version);
        if (delay === 0 && !ctx.hasBroker()) {
          const b = broker;
          ctx.adoptBroker({ brokers: b.brokers, version: b.version, source: 'harness', groupInitialRebalanceDelayMs: 0 }, () => b.stop());
          kept.value = true;
        }
      } finally {
        if (!kept.value && broker) {
          const s = now();
          await broker.stop();
          r.detail(`delay${delay}StopSeconds`, (now() - s) / 1000);
          broker = undefined;
        }
      }
    }
  },
};
