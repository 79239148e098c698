/**
 * 10 000 records with 1 % poison: every poison record lands in the dead-letter topic with its
 * reason and source headers, no valid record is lost, and the fanout keeps running.
 */
import { brokers, kcatConsume, kcatProduce, KcatMessage } from '../harness';
import {
  SourceFormat,
  createFanoutTopics,
  eventBytes,
  fanoutSuite,
  pod,
  seqOf,
  synthesizedFanoutEnv,
  waitForRecords,
} from '../functions/support/fanout';

jest.setTimeout(300_000);

const NAMESPACES = ['shop', 'billing', 'ops'];
const SUBJECTS = 99;
const PER_SUBJECT = 100;
const FORMATS: SourceFormat[] = ['eventrouter', 'kube-eventer', 'core-v1', 'events-v1'];
const TWO_MIB = 2 * 1024 * 1024;
const BIG = { 'max.message.bytes': String(8 * 1024 * 1024) };

type Poison = { key: string; value: Buffer; reason: string; big: boolean };

function poison(i: number): Poison {
  const key = `poison-${i}`;
  switch (i % 5) {
    case 0:
      return { key, value: Buffer.from(`not json ${i}`), reason: 'not-json', big: false };
    case 1:
      return { key, value: Buffer.from(JSON.stringify({ hello: 'world', i })), reason: 'unknown-format', big: false };
    case 2:
      return { key, value: Buffer.alloc(0), reason: 'empty', big: false };
    case 3: {
      if (i % 2 === 0) return { key, value: Buffer.alloc(TWO_MIB, 'x'), reason: 'not-json', big: true };
      // a valid eventrouter record of 2 MiB: its namespace topic (1 MiB limit) refuses it
      const valid = eventBytes('eventrouter', pod('shop', 500 + i), 900_000 + i).toString();
      return { key, value: Buffer.from(valid.replace('Back-off restarting', `Back-off ${'y'.repeat(TWO_MIB)} restarting`)), reason: 'produce-rejected', big: true };
    }
    default:
      return {
        key,
        value: Buffer.from(JSON.stringify({ verb: 'ADDED', event: { metadata: { name: `e${i}` }, involvedObject: { kind: 'Pod', name: `p${i}`, uid: `u${i}` } } })),
        reason: 'no-namespace',
        big: false,
      };
  }
}

describe('events-fanout with poison records', () => {
  const { names, kafka, start } = fanoutSuite('fanout-poison');

  test('every poison record is dead-lettered with its reason, no valid record is lost, the consumer keeps running', async () => {
    // GIVEN 9 900 valid events and 100 poison records (not JSON, wrong shape, empty, 2 MiB, no namespace)
    await createFanoutTopics(names, NAMESPACES, { sourceConfig: BIG, deadLetterPartitions: 2 });
    const messages: KcatMessage[] = [];
    const validSeqs = new Set<number>();
    const poisons = new Map<string, Poison>();
    let seq = 1;
    for (let s = 0; s < SUBJECTS; s++) {
      const subject = pod(NAMESPACES[s % NAMESPACES.length], s);
      for (let k = 0; k < PER_SUBJECT; k++, seq++) {
        messages.push({ key: subject.name, value: eventBytes(FORMATS[(s + k) % FORMATS.length], subject, seq) });
        validSeqs.add(seq);
      }
      const p = poison(s);
      poisons.set(p.key, p);
      messages.push({ key: p.key, value: p.value });
    }
    const last = poison(SUBJECTS);
    poisons.set(last.key, last);
    messages.push({ key: last.key, value: last.value });
    expect(messages).toHaveLength(10_000);
    expect(poisons.size).toBe(100);
    await kcatProduce(names.source, messages, { properties: { 'message.max.bytes': String(8 * 1024 * 1024) }, timeoutMs: 60_000 });

    // WHEN the fanout consumes them
    const fanout = await start(await synthesizedFanoutEnv(names, NAMESPACES, brokers().join(',')));
    const outputs = [...NAMESPACES.map((ns) => names.topic(ns)), names.deadLetter];
    await waitForRecords(kafka, outputs, 10_000, 120_000);

    // THEN every valid event arrived exactly once
    const arrived: number[] = [];
    for (const ns of NAMESPACES) for (const r of await kcatConsume(names.topic(ns), { timeoutMs: 60_000 })) arrived.push(seqOf(r.value!)!);
    expect(arrived).toHaveLength(validSeqs.size);
    expect(new Set(arrived)).toEqual(validSeqs);

    // AND every poison record is in the dead-letter topic with its reason and where it came from
    const deadLetters = await kcatConsume(names.deadLetter, { timeoutMs: 60_000 });
    expect(deadLetters).toHaveLength(100);
    const seenOffsets = new Set<string>();
    for (const dl of deadLetters) {
      const key = dl.key!.toString();
      const p = poisons.get(key);
      expect(p).toBeDefined();
      const h = Object.fromEntries(dl.headers);
      expect(h).toMatchObject({
        'klaxon.reason': p!.reason,
        'klaxon.source-topic': names.source,
        'klaxon.workload': 'events-fanout',
        'klaxon.value-bytes': String(p!.value.length),
        'klaxon.value-truncated': String(p!.big),
      });
      expect(h['klaxon.source-partition']).toMatch(/^[0-2]$/);
      expect(h['klaxon.source-offset']).toMatch(/^\d+$/);
      expect(new Date(h['klaxon.time']).toISOString()).toBe(h['klaxon.time']);
      expect(h['klaxon.error'].length).toBeGreaterThan(0);
      if (p!.reason === 'produce-rejected') expect(h['klaxon.error']).toContain('MESSAGE_TOO_LARGE');
      seenOffsets.add(`${h['klaxon.source-partition']}/${h['klaxon.source-offset']}`);
      if (p!.big) {
        expect(dl.value).toHaveLength(512 * 1024);
        // Buffer.equals: jest's toEqual walks a buffer byte by byte
        expect(dl.value!.equals(p!.value.subarray(0, 512 * 1024))).toBe(true);
      } else if (p!.value.length === 0) {
        expect(dl.value === null || dl.value.length === 0).toBe(true);
      } else {
        expect(dl.value!.equals(p!.value)).toBe(true);
      }
    }
    expect(seenOffsets.size).toBe(100);
    expect(await fanout.metric('klaxon_records_dead_lettered_total')).toBe(100);
    expect(await fanout.metric('klaxon_records_dead_lettered_total', { reason: 'produce-rejected' })).toBe(10);

    // AND the consumer is still running: live, ready, and routing new records
    expect(fanout.child.exitCode).toBeNull();
    expect((await fanout.get('/livez')).status).toBe(200);
    expect((await fanout.get('/readyz')).status).toBe(200);
    const after = pod('ops', 999);
    await kcatProduce(names.source, [{ key: after.name, value: eventBytes('core-v1', after, 777_777) }]);
    await waitForRecords(kafka, outputs, 10_001, 30_000);

    fanout.kill('SIGTERM');
    expect((await fanout.exit).code).toBe(0);
  });
});
