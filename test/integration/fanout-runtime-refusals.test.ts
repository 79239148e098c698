/**
 * The runtime while its writes are refused, on the real broker: a topic it writes to does not
 * exist (yet). For the dead-letter topic the runtime retries forever; for an output topic it does
 * with a large KLAXON_MAX_ATTEMPTS. Creating the topic brings the sink back.
 */
import { brokers, createTopics, kcatConsume, kcatProduce, uniqueName } from '../harness';
import { DeadLetter } from '../../functions/runtime/handler';
import { WorkloadDefinition } from '../../functions/runtime/lifecycle';
import { committedTotal, testKafka, waitForRecords } from '../functions/support/fanout';
import { InProcessWorkload, runInProcess } from '../functions/support/runtime';

jest.setTimeout(240_000);

/** A workload that copies each record to `out`, or dead-letters the ones whose value is 'poison'. */
function copyTo(run: string, out: string): WorkloadDefinition<{}> {
  return {
    defaults: { sourceTopic: `${run}.in`, groupId: `${run}-g`, clientId: 'runtime-refusals' },
    settings: {},
    createHandler: () => (record) =>
      record.value?.toString() === 'poison' ? new DeadLetter('poison', 'a test poison') : [{ topic: out, key: record.key, value: record.value }],
  };
}

function env(run: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers().join(','),
    KAFKA_DEAD_LETTER_TOPIC: `${run}.dlt`,
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    KLAXON_RETRY_INITIAL_MS: '200',
    KLAXON_RETRY_MAX_MS: '1000',
    KLAXON_SESSION_TIMEOUT_MS: '10000',
    KLAXON_HEARTBEAT_INTERVAL_MS: '1000',
    KLAXON_MAX_ATTEMPTS: '1000',
    ...extra,
  };
}

describe('the function runtime while writes are refused', () => {
  const kafka = testKafka(brokers().join(','));
  const running: InProcessWorkload[] = [];
  const start = (definition: WorkloadDefinition<{}>, environment: Record<string, string>): InProcessWorkload => {
    const w = runInProcess(definition, environment);
    running.push(w);
    return w;
  };

  afterEach(async () => {
    for (const w of running.splice(0)) {
      w.sigterm();
      await w.exitCode;
    }
  });

  test('a member stuck retrying a refused write lets the group rebalance at once, and nothing is lost', async () => {
    // GIVEN a runtime retrying writes to an output topic that does not exist
    const run = uniqueName('refused-rebalance');
    await createTopics([{ topic: `${run}.in`, partitions: 2 }, { topic: `${run}.dlt` }]);
    await kcatProduce(`${run}.in`, ['a', 'b', 'c', 'd'].map((v, i) => ({ key: v, value: v, partition: i % 2 })));
    const w = start(copyTo(run, `${run}.out`), env(run));
    await w.waitForLine((l) => l.msg === 'output topic missing; retrying');

    // WHEN a second member joins the group
    const other = kafka.consumer({ groupId: `${run}-g`, allowAutoTopicCreation: false });
    let joinedAfterMs = -1;
    const asked = Date.now();
    other.on(other.events.GROUP_JOIN, () => {
      if (joinedAfterMs < 0) joinedAfterMs = Date.now() - asked;
    });
    await other.connect();
    await other.subscribe({ topics: [`${run}.in`], fromBeginning: true });
    await other.run({ eachBatchAutoResolve: false, autoCommit: false, eachBatch: async ({ pause }) => void pause() });
    const deadline = Date.now() + 90_000;
    while (joinedAfterMs < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    // THEN the rebalance completes at once, not after the stuck member's rebalance timeout (60 s)
    expect(joinedAfterMs).toBeGreaterThanOrEqual(0);
    expect(joinedAfterMs).toBeLessThan(15_000);
    expect(w.lines.some((l) => l.msg === 'group membership lost while waiting; leaving the batch to rejoin')).toBe(true);
    // AND nothing refused was committed
    expect((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total).toBe(0);

    // AND once the second member leaves and the topic exists, every record goes out and is committed
    await other.disconnect();
    await createTopics([{ topic: `${run}.out` }]);
    await waitForRecords(kafka, [`${run}.out`], 4, 90_000);
    const values = new Set((await kcatConsume(`${run}.out`)).map((r) => r.value!.toString()));
    expect(values).toEqual(new Set(['a', 'b', 'c', 'd']));
    const committedDeadline = Date.now() + 30_000;
    while ((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total < 4 && Date.now() < committedDeadline) await new Promise((r) => setTimeout(r, 500));
    expect((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total).toBe(4);
    running.splice(0);
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });

  test('SIGTERM while a write is refused: the runtime stops within its bound and exits 0, the refused record uncommitted', async () => {
    // GIVEN a runtime with a 3 s stop bound, 5 s into its first write to a missing topic (kafkajs
    // retries a refused send for ~9 s by itself before the runtime's own loop sees it fail)
    const run = uniqueName('refused-term');
    await createTopics([{ topic: `${run}.in` }, { topic: `${run}.dlt` }]);
    await kcatProduce(`${run}.in`, [{ key: 'a', value: 'a' }]);
    const w = start(copyTo(run, `${run}.out`), env(run, { KLAXON_SHUTDOWN_TIMEOUT_MS: '3000' }));
    await w.waitForLine((l) => l.msg === 'started');
    await new Promise((r) => setTimeout(r, 5000));
    expect(w.lines.some((l) => l.msg === 'output topic missing; retrying')).toBe(false); // still inside the first send

    // WHEN it gets SIGTERM
    const sent = Date.now();
    w.sigterm();

    // THEN it exits 0 within the bound (the send had half of it), and the record is not committed (it is consumed again)
    running.splice(0);
    expect(await w.exitCode).toBe(0);
    expect(Date.now() - sent).toBeLessThan(2800);
    expect(w.lines.some((l) => l.msg === 'stopped' && l.code === 0)).toBe(true);
    expect((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total).toBe(0);
  });

  test('a dead-letter topic that refuses writes: the record stays unresolved, retries back off, and once it accepts the dead letter goes out', async () => {
    // GIVEN a poison record between two good ones, and no dead-letter topic
    const run = uniqueName('refused-dlt');
    await createTopics([{ topic: `${run}.in` }, { topic: `${run}.out` }]);
    await kcatProduce(`${run}.in`, ['a', 'poison', 'b'].map((v) => ({ key: v, value: v })));
    const w = start(copyTo(run, `${run}.out`), env(run));
    const refused = 'the dead-letter topic refuses records; retrying (nothing is dropped)';
    await w.waitForLine((l) => l.msg === refused);

    // WHEN 20 s pass
    await new Promise((r) => setTimeout(r, 20_000));

    // THEN the poison record's offset is not committed, the runtime retried with backoff (not in a hot loop)
    expect((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total).toBeLessThanOrEqual(1);
    const retries = w.lines.filter((l) => l.msg === refused).length;
    expect(retries).toBeGreaterThanOrEqual(2);
    expect(retries).toBeLessThan(25);

    // AND once the topic exists, the dead letter goes out with its headers and all three offsets are committed
    await createTopics([{ topic: `${run}.dlt` }]);
    await waitForRecords(kafka, [`${run}.dlt`], 1, 60_000);
    const [dead] = await kcatConsume(`${run}.dlt`);
    expect(dead.value!.toString()).toBe('poison');
    expect(Object.fromEntries(dead.headers)).toMatchObject({ 'klaxon.reason': 'poison', 'klaxon.source-topic': `${run}.in`, 'klaxon.source-offset': '1' });
    const deadline = Date.now() + 30_000;
    while ((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect((await committedTotal(kafka, `${run}-g`, `${run}.in`)).total).toBe(3);
    expect(new Set((await kcatConsume(`${run}.out`)).map((r) => r.value!.toString()))).toEqual(new Set(['a', 'b']));
    running.splice(0);
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });
});
