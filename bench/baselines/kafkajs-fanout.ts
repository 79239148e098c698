/**
 * Baseline (a): a minimal kafkajs fanout, the job events-fanout does with nothing else: consume
 * cluster-events, JSON.parse, route by the involved object's namespace, one `sendBatch` per fetched
 * batch with the same producer settings (idempotent, acks=-1, one request in flight), then resolve
 * and commit the batch's offsets after the ack. No dead letters, retries, metrics or health.
 * Bundled and run on the workloads' Node.js by bench/ratios.ts. Env: BROKERS, SOURCE, GROUP, PREFIX,
 * NAMESPACES (comma list), UNROUTED, CLUSTER_SCOPED, DEAD_LETTER.
 */
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const env = (name: string): string => process.env[name] ?? '';
const namespaces = new Set(env('NAMESPACES').split(','));
const kafka = new Kafka({ clientId: 'baseline-fanout', brokers: env('BROKERS').split(','), logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: env('GROUP'), maxWaitTimeInMs: 1000 });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });

interface Ref {
  namespace?: string;
  uid?: string;
  kind?: string;
  name?: string;
}

function route(value: Buffer | null): { topic: string; key: string | null } {
  try {
    const o = JSON.parse(value!.toString());
    const ev = o.event ?? o;
    const ref: Ref = ev.involvedObject ?? ev.regarding ?? {};
    const key = ref.uid ?? `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    if (!ref.namespace) return { topic: env('CLUSTER_SCOPED'), key };
    return { topic: namespaces.has(ref.namespace) ? env('PREFIX') + ref.namespace : env('UNROUTED'), key };
  } catch {
    return { topic: env('DEAD_LETTER'), key: null };
  }
}

async function main(): Promise<void> {
  consumer.on(consumer.events.GROUP_JOIN, () => console.log(JSON.stringify({ msg: 'joined group' })));
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [env('SOURCE')], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      const byTopic = new Map<string, Array<{ key: string | null; value: Buffer | null }>>();
      for (const m of batch.messages) {
        const { topic, key } = route(m.value);
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push({ key, value: m.value });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      resolveOffset(batch.messages[batch.messages.length - 1].offset);
      await commitOffsetsIfNecessary();
    },
  });
}

process.once('SIGTERM', () => {
  void consumer
    .disconnect()
    .then(() => producer.disconnect())
    .finally(() => process.exit(0));
});
void main();
