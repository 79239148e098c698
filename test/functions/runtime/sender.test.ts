/**
 * The output sender's chunking and retry logic against a small fake producer (the real-broker
 * behaviour is covered by test/integration/fanout-*.test.ts).
 */
import type { ProducerBatch } from 'kafkajs';
import { RuntimeReasons } from '../../../functions/runtime/dead-letter';
import { SourceRecord } from '../../../functions/runtime/handler';
import { Logger } from '../../../functions/runtime/logger';
import {
  BatchProducer,
  MISSING_TOPIC_TTL_MS,
  OutputMessage,
  OutputSender,
  Pending,
  RECORD_OVERHEAD_BYTES,
  SendTurn,
  messageBytes,
  planChunks,
} from '../../../functions/runtime/sender';

const DLT = 'dead-letter';

function record(offset: number): SourceRecord {
  return { topic: 'src', partition: 0, offset: String(offset), key: null, value: Buffer.from(`v${offset}`), headers: {}, timestamp: '0' };
}

function pending(offset: number, ...messages: Array<[topic: string, value: string]>): Pending {
  return { record: record(offset), messages: messages.map(([topic, value]) => ({ topic, key: `k${offset}`, value })), startedAt: 0 };
}

function kafkaError(type: string): Error {
  return Object.assign(new Error(`broker said ${type}`), { type });
}

/** A producer stand-in: records every sendBatch, answers with `outcome(batch)` (throw to fail). */
class FakeProducers {
  readonly made: Array<{ batches: ProducerBatch[] }> = [];
  resets = 0;
  constructor(private readonly outcome: (batch: ProducerBatch, call: number) => void = () => undefined) {}
  private current: BatchProducer | undefined;
  calls = 0;

  producer = async (): Promise<BatchProducer> => {
    if (!this.current) {
      const mine = { batches: [] as ProducerBatch[] };
      this.made.push(mine);
      this.current = {
        sendBatch: async (batch) => {
          mine.batches.push(batch);
          this.outcome(batch, ++this.calls);
          return [];
        },
      };
    }
    return this.current;
  };

  resetProducer = async (): Promise<void> => {
    this.resets += 1;
    this.current = undefined;
  };

  /** Every batch sent, as topic → values. */
  sent(): Array<Record<string, string[]>> {
    return this.made.flatMap((p) => p.batches).map((b) => Object.fromEntries(b.topicMessages!.map((t) => [t.topic, t.messages.map((m) => String(m.value))])));
  }
}

function harness(producers: FakeProducers, opts: { maxTopicBytes?: number; maxRecords?: number; stopAfterBackoffs?: number } = {}) {
  const resolved: string[] = [];
  const retries: string[] = [];
  let backoffs = 0;
  let clock = 1_000_000;
  const sender = new OutputSender({
    producer: producers.producer,
    resetProducer: producers.resetProducer,
    maxTopicBytes: opts.maxTopicBytes ?? 1024 * 1024,
    maxRecords: opts.maxRecords ?? 10_000,
    maxAttempts: 3,
    deadLetter: (p, reason, error, headersOnly) => {
      p.deadLetter = { reason, error };
      p.messages = [{ topic: DLT, key: null, value: headersOnly ? null : `dl:${p.record.offset}`, headers: { 'klaxon.reason': reason } }];
    },
    retried: (kind) => retries.push(kind),
    log: new Logger('error', {}, () => undefined),
    now: () => clock,
  });
  const turn: SendTurn = {
    active: () => opts.stopAfterBackoffs === undefined || backoffs < opts.stopAfterBackoffs,
    wait: (work) => work,
    backoff: async () => {
      backoffs += 1;
      return opts.stopAfterBackoffs === undefined || backoffs < opts.stopAfterBackoffs;
    },
    resolved: (chunk) => resolved.push(chunk.map((p) => p.record.offset + (p.deadLetter ? `:${p.deadLetter.reason}` : '')).join(',')),
  };
  return { sender, turn, resolved, retries, backoffs: () => backoffs, advance: (ms: number) => (clock += ms) };
}

describe('planChunks', () => {
  const bytes = (value: string) => messageBytes({ topic: 't', key: 'k0', value });

  test('a fetched batch under the limits is one chunk', () => {
    const batch = [pending(0, ['a', 'x']), pending(1, ['b', 'y']), pending(2), pending(3, ['a', 'z'])];
    expect(planChunks(batch, 1024, 100)).toEqual([batch]);
  });

  test("a chunk ends before a record that would take one topic's bytes past the limit; other topics' bytes do not add up", () => {
    const v = 'x'.repeat(100);
    const per = bytes(v);
    const batch = [pending(0, ['a', v]), pending(1, ['b', v]), pending(2, ['a', v]), pending(3, ['b', v])];
    // two records of topic a fit, and two of b: the four go together although they are 4 × per bytes
    expect(planChunks(batch, 2 * per, 100)).toHaveLength(1);
    // one record per topic only: a new chunk at the second record of a topic
    expect(planChunks(batch, 2 * per - 1, 100).map((c) => c.map((p) => p.record.offset))).toEqual([
      ['0', '1'],
      ['2', '3'],
    ]);
  });

  test('a chunk holds at most maxRecords records, and a record larger than the limit goes alone', () => {
    const big = 'x'.repeat(2000);
    const batch = [pending(0, ['a', 'x']), pending(1, ['a', big]), pending(2, ['a', 'y']), pending(3, ['a', 'z']), pending(4, ['a', 'w'])];
    expect(planChunks(batch, 1000, 2).map((c) => c.map((p) => p.record.offset))).toEqual([['0'], ['1'], ['2', '3'], ['4']]);
  });

  test('messageBytes counts key, value, headers and the record overhead', () => {
    const m: OutputMessage = { topic: 't', key: 'key', value: Buffer.from('value'), headers: { h: 'vv' } };
    expect(messageBytes(m)).toBe(RECORD_OVERHEAD_BYTES + 3 + 5 + (1 + 2 + 2));
  });
});

describe('OutputSender', () => {
  test('one sendBatch (acks=-1) for a fetched batch, messages grouped by topic in source order, then every record resolved at once', async () => {
    const producers = new FakeProducers();
    const { sender, turn, resolved } = harness(producers);
    const ok = await sender.send([pending(0, ['a', 'x']), pending(1, ['b', 'y']), pending(2), pending(3, ['a', 'z'])], turn);
    expect(ok).toBe(true);
    expect(producers.made).toHaveLength(1);
    expect(producers.made[0].batches[0].acks).toBe(-1);
    expect(producers.sent()).toEqual([{ a: ['x', 'z'], b: ['y'] }]);
    expect(resolved).toEqual(['0,1,2,3']);
  });

  test('a transient failure is retried with a new producer until acknowledged; nothing is resolved before', async () => {
    const producers = new FakeProducers((_, call) => {
      if (call <= 2) throw kafkaError('REQUEST_TIMED_OUT');
    });
    const { sender, turn, resolved, retries, backoffs } = harness(producers);
    expect(await sender.send([pending(0, ['a', 'x']), pending(1, ['a', 'y'])], turn)).toBe(true);
    expect(producers.made).toHaveLength(3); // a new producer id after each failure
    expect(producers.resets).toBe(2);
    expect(retries).toEqual(['produce', 'produce']);
    expect(backoffs()).toBe(2);
    expect(resolved).toEqual(['0,1']);
  });

  test('a stop during the backoff leaves the chunk unresolved', async () => {
    const producers = new FakeProducers(() => {
      throw kafkaError('NOT_LEADER_FOR_PARTITION');
    });
    const { sender, turn, resolved } = harness(producers, { stopAfterBackoffs: 2 });
    expect(await sender.send([pending(0, ['a', 'x'])], turn)).toBe(false);
    expect(resolved).toEqual([]);
  });

  test('a record-bound refusal is narrowed down record by record: the culprit is dead-lettered, the others written, all resolved in order', async () => {
    const producers = new FakeProducers((batch) => {
      if (batch.topicMessages!.some((t) => t.messages.some((m) => m.value === 'huge'))) throw kafkaError('MESSAGE_TOO_LARGE');
    });
    const { sender, turn, resolved } = harness(producers);
    expect(await sender.send([pending(0, ['a', 'x']), pending(1, ['a', 'huge']), pending(2, ['b', 'y'])], turn)).toBe(true);
    expect(producers.sent()).toEqual([{ a: ['x', 'huge'], b: ['y'] }, { a: ['x'] }, { a: ['huge'] }, { [DLT]: ['dl:1'] }, { b: ['y'] }]);
    expect(resolved).toEqual(['0', `1:${RuntimeReasons.PRODUCE_REJECTED}`, '2']);
  });

  test('a missing topic is retried maxAttempts times, then the record is dead-lettered and the topic remembered as missing', async () => {
    const producers = new FakeProducers((batch) => {
      if (batch.topicMessages!.some((t) => t.topic === 'gone')) throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    });
    const { sender, turn, resolved, retries, advance } = harness(producers);
    expect(await sender.send([pending(0, ['gone', 'x']), pending(1, ['a', 'y'])], turn)).toBe(true);
    expect(retries).toEqual(['topic-missing', 'topic-missing']);
    expect(resolved).toEqual([`0:${RuntimeReasons.TOPIC_MISSING}`, '1']);
    expect(sender.missingTopic([{ topic: 'gone', key: null, value: 'z' }])).toBe('gone');
    advance(MISSING_TOPIC_TTL_MS + 1);
    expect(sender.missingTopic([{ topic: 'gone', key: null, value: 'z' }])).toBeUndefined();
  });

  test('a dead letter its topic refuses goes as headers alone; refused again, it is retried (never dropped)', async () => {
    let dltRefusals = 0;
    const producers = new FakeProducers((batch) => {
      const dl = batch.topicMessages!.find((t) => t.topic === DLT);
      if (batch.topicMessages!.some((t) => t.messages.some((m) => m.value === 'bad'))) throw kafkaError('INVALID_RECORD');
      if (dl && dl.messages[0].value !== null) throw kafkaError('MESSAGE_TOO_LARGE');
      if (dl && ++dltRefusals <= 2) throw kafkaError('TOPIC_AUTHORIZATION_FAILED');
    });
    const { sender, turn, resolved, retries } = harness(producers);
    expect(await sender.send([pending(0, ['a', 'bad'])], turn)).toBe(true);
    expect(retries).toEqual(['dead-letter', 'dead-letter']);
    expect(resolved).toEqual([`0:${RuntimeReasons.PRODUCE_REJECTED}`]);
    expect(producers.sent().slice(-1)).toEqual([{ [DLT]: ['null'] }]);
  });

  test('a fetched batch larger than the topic limit goes out in several requests, each acknowledged before the next', async () => {
    const producers = new FakeProducers();
    const v = 'x'.repeat(500);
    const { sender, turn, resolved } = harness(producers, { maxTopicBytes: 2 * messageBytes({ topic: 'a', key: 'k0', value: v }) });
    const batch = [0, 1, 2, 3, 4].map((i) => pending(i, ['a', v]));
    expect(await sender.send(batch, turn)).toBe(true);
    expect(producers.sent().map((b) => b.a.length)).toEqual([2, 2, 1]);
    expect(resolved).toEqual(['0,1', '2,3', '4']);
  });
});
