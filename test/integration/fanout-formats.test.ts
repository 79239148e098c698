/**
 * events-fanout on the real broker: records of all three source formats, produced by kcat with the
 * exact bytes each tool emits, reach the right topics with the right keys, in order per involved
 * object, and nothing else arrives. The fanout is the bundle, run with the env of its synthesized
 * Deployment.
 */
import { brokers, createTopics, kcatConsume, kcatProduce, KcatMessage, uniqueName } from '../harness';
import { fixture } from '../functions/fixtures';
import {
  SourceFormat,
  Subject,
  eventBytes,
  fanoutNames,
  fanoutSuite,
  node,
  pod,
  seqOf,
  synthesizedFanoutEnv,
  waitForRecords,
} from '../functions/support/fanout';

jest.setTimeout(180_000);

const POD_FORMATS: SourceFormat[] = ['eventrouter', 'kube-eventer', 'core-v1', 'events-v1'];
const NODE_FORMATS: SourceFormat[] = ['eventrouter', 'kube-eventer'];
const PER_SUBJECT = 12;

interface Sent {
  readonly subject: Subject;
  readonly format: SourceFormat;
  readonly seq: number;
  readonly value: Buffer;
  readonly ordered: boolean;
}

describe('events-fanout routes every source format', () => {
  const { names, kafka, start } = fanoutSuite('fanout-fmt');

  test('records of eventrouter, kube-eventer and raw Events reach their namespace topics, keyed by object, in order', async () => {
    // GIVEN topics for the declared namespaces shop and billing, and a mixed stream of events
    await createTopics([
      { topic: names.source, partitions: 3 },
      { topic: names.topic('shop'), partitions: 3 },
      { topic: names.topic('billing'), partitions: 2 },
      { topic: names.clusterScoped },
      { topic: names.unrouted },
      { topic: names.deadLetter },
    ]);
    const subjects: Subject[] = [pod('shop', 0), pod('shop', 1), pod('shop', 2), pod('shop', 3), pod('billing', 0), pod('billing', 1), pod('billing', 2), pod('other', 0), node(1), node(2)];
    const sent: Sent[] = [];
    let seq = 1000;
    for (let round = 0; round < PER_SUBJECT; round++) {
      for (const [i, subject] of subjects.entries()) {
        const formats = subject.kind === 'Node' ? NODE_FORMATS : POD_FORMATS;
        const format = formats[(round + i) % formats.length];
        sent.push({ subject, format, seq, value: eventBytes(format, subject, seq), ordered: true });
        seq++;
      }
    }
    // kube-eventer writes without a key: two such records (not part of the order check)
    const loose = pod('shop', 9);
    for (let k = 0; k < 2; k++, seq++) sent.push({ subject: loose, format: 'kube-eventer', seq, value: eventBytes('kube-eventer', loose, seq), ordered: false });
    // an eventrouter resync duplicate is dropped; a record that is not JSON is dead-lettered
    const resync = fixture('eventrouter-resync');
    const notJson = Buffer.from('{"verb":"ADDED","event":');

    // eventrouter keys by the involved object's name; the test producer does the same for every
    // keyed record, so the source topic keeps per-object order (see the report on kube-eventer).
    const messages: KcatMessage[] = [
      ...sent.map((s) => (s.ordered ? { key: s.subject.name, value: s.value } : { value: s.value })),
      { key: 'web-7d9f-abcde', value: resync },
      { value: notJson },
    ];
    await kcatProduce(names.source, messages);

    // WHEN the bundle runs with the env of the synthesized Deployment
    const env = await synthesizedFanoutEnv(names, ['shop', 'billing'], brokers().join(','));
    expect(env).toMatchObject({
      KAFKA_SOURCE_TOPIC: names.source,
      KAFKA_GROUP_ID: names.groupId,
      KAFKA_DEAD_LETTER_TOPIC: names.deadLetter,
      FANOUT_NAMESPACE_TOPIC_PREFIX: names.prefix,
      FANOUT_NAMESPACES: 'shop,billing',
      FANOUT_CLUSTER_SCOPED_TOPIC: names.clusterScoped,
      FANOUT_UNROUTED_TOPIC: names.unrouted,
    });
    const fanout = await start(env);
    const outputs = [names.topic('shop'), names.topic('billing'), names.clusterScoped, names.unrouted, names.deadLetter];
    const expectedOut = sent.length + 1; // + the dead letter; the resync duplicate writes nothing
    await waitForRecords(kafka, outputs, expectedOut, 60_000);

    // THEN every event is in the topic of its object's namespace, byte for byte, keyed by object uid
    const topicOf = (s: Subject): string =>
      s.kind === 'Node' ? names.clusterScoped : s.namespace === 'shop' || s.namespace === 'billing' ? names.topic(s.namespace) : names.unrouted;
    for (const topic of outputs.slice(0, 4)) {
      const records = await kcatConsume(topic);
      const expected = sent.filter((s) => topicOf(s.subject) === topic);
      expect(records).toHaveLength(expected.length);
      const bySeq = new Map(expected.map((s) => [s.seq, s]));
      for (const r of records) {
        const s = bySeq.get(seqOf(r.value!)!);
        expect(s).toBeDefined();
        expect(r.value).toEqual(s!.value);
        expect(r.key!.toString()).toBe(s!.subject.uid);
        expect(r.headers).toEqual([['klaxon.format', s!.format]]);
      }
      // in order per involved object: one partition per key, offsets follow the source order
      for (const subject of new Set(expected.filter((s) => s.ordered).map((s) => s.subject))) {
        const got = records.filter((r) => r.key!.toString() === subject.uid).map((r) => seqOf(r.value!));
        expect(new Set(records.filter((r) => r.key!.toString() === subject.uid).map((r) => r.partition)).size).toBe(1);
        expect(got).toEqual(expected.filter((s) => s.subject === subject).map((s) => s.seq));
      }
    }
    const deadLetters = await kcatConsume(names.deadLetter);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].value).toEqual(notJson);
    expect(Object.fromEntries(deadLetters[0].headers)).toMatchObject({ 'klaxon.reason': 'not-json', 'klaxon.source-topic': names.source, 'klaxon.workload': 'events-fanout' });

    // AND the metrics count what happened
    expect(await fanout.metric('klaxon_fanout_routed_total', { route: 'namespace' })).toBe(7 * PER_SUBJECT + 2);
    expect(await fanout.metric('klaxon_fanout_routed_total', { route: 'unrouted' })).toBe(PER_SUBJECT);
    expect(await fanout.metric('klaxon_fanout_routed_total', { route: 'cluster-scoped' })).toBe(2 * PER_SUBJECT);
    expect(await fanout.metric('klaxon_fanout_duplicates_dropped_total')).toBe(1);
    expect(await fanout.metric('klaxon_records_dead_lettered_total', { reason: 'not-json' })).toBe(1);
    expect(await fanout.metric('klaxon_records_in_total')).toBe(messages.length);
    expect((await fanout.get('/readyz')).status).toBe(200);

    // AND SIGTERM stops it cleanly
    fanout.kill('SIGTERM');
    expect((await fanout.exit).code).toBe(0);
  });

  test('an event as large as its namespace topic allows (2 MiB) is written whole', async () => {
    // GIVEN a source and a namespace topic that take 8 MiB records, and a 2 MiB events.k8s.io/v1 Event
    const big = fanoutNames(uniqueName('fanout-big'));
    const large = { 'max.message.bytes': String(8 * 1024 * 1024) };
    await createTopics([
      { topic: big.source, config: large },
      { topic: big.topic('billing'), config: large },
      { topic: big.clusterScoped },
      { topic: big.unrouted },
      { topic: big.deadLetter },
    ]);
    const subject = pod('billing', 7);
    const value = Buffer.from(eventBytes('events-v1', subject, 4242).toString().replace('Pulling image', `Pulling image ${'z'.repeat(2 * 1024 * 1024)}`));
    expect(value.length).toBeGreaterThan(2 * 1024 * 1024);
    await kcatProduce(big.source, [{ key: subject.name, value }], { properties: { 'message.max.bytes': String(8 * 1024 * 1024) } });

    // WHEN the fanout runs
    const f = await start(await synthesizedFanoutEnv(big, ['billing'], brokers().join(',')));
    try {
      await waitForRecords(kafka, [big.topic('billing'), big.deadLetter], 1, 60_000);

      // THEN the record is in the namespace topic, byte for byte, and nothing was dead-lettered
      const [record] = await kcatConsume(big.topic('billing'));
      expect(record.value!.equals(value)).toBe(true);
      expect(record.key!.toString()).toBe(subject.uid);
      expect(await f.metric('klaxon_records_dead_lettered_total')).toBe(0);
    } finally {
      f.kill('SIGTERM');
      expect((await f.exit).code).toBe(0);
    }
  });
});
