/**
 * The runtime's failure paths on the real broker, with small handlers run in-process through
 * `runWorkload` (the same code the fanout bundle runs): a handler that fails and then succeeds is
 * retried; one that keeps failing, or declares a permanent error, is dead-lettered; an output topic
 * that does not exist is dead-lettered after KLAXON_MAX_ATTEMPTS; with handlerConcurrency, async calls
 * overlap and their outputs still go out in source order.
 */
import { brokers, createTopics, kcatConsume, kcatProduce, uniqueName } from '../harness';
import { WorkloadDefinition } from '../../functions/runtime/lifecycle';
import { PermanentError } from '../../functions/runtime/handler';
import { testKafka, waitForRecords } from '../functions/support/fanout';
import { runInProcess as run } from '../functions/support/runtime';

jest.setTimeout(180_000);

describe('the function runtime on the real broker', () => {
  test('a failing handler is retried until it succeeds; one that keeps failing or rejects is dead-lettered; a missing output topic is dead-lettered, once retried', async () => {
    // GIVEN a source with four records and a handler that fails in four different ways
    const run_ = uniqueName('runtime');
    const source = `${run_}.in`;
    const out = `${run_}.out`;
    const dlt = `${run_}.dlt`;
    await createTopics([{ topic: source }, { topic: out }, { topic: dlt }]);
    await kcatProduce(source, [
      { key: 'flaky', value: 'flaky' },
      { key: 'broken', value: 'broken' },
      { key: 'rejected', value: 'rejected' },
      { key: 'nowhere', value: 'nowhere' },
      { key: 'nowhere', value: 'nowhere again' },
      { key: 'fine', value: 'fine' },
    ]);
    const calls = new Map<string, number>();
    const definition: WorkloadDefinition<{}> = {
      defaults: { sourceTopic: source, groupId: `${run_}-g`, clientId: 'runtime-test' },
      settings: {},
      createHandler: () => (record) => {
        const value = record.value!.toString();
        const n = (calls.get(value) ?? 0) + 1;
        calls.set(value, n);
        if (value === 'flaky' && n < 3) throw new Error(`flaky failure ${n}`);
        if (value === 'broken') throw new Error('always broken');
        if (value === 'rejected') throw new PermanentError('cannot ever handle this', 'rejected-by-test');
        if (value.startsWith('nowhere')) return [{ topic: `${run_}.missing`, key: record.key, value: record.value }];
        return [{ topic: out, key: record.key, value: record.value }];
      },
    };

    // WHEN the runtime consumes them
    const w = run(definition, {
      KAFKA_BROKERS: brokers().join(','),
      KAFKA_DEAD_LETTER_TOPIC: dlt,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      KLAXON_MAX_ATTEMPTS: '3',
      KLAXON_RETRY_INITIAL_MS: '50',
      KLAXON_RETRY_MAX_MS: '200',
    });
    const kafka = testKafka(brokers().join(','));
    await waitForRecords(kafka, [out], 2, 120_000);
    await waitForRecords(kafka, [dlt], 4, 120_000);

    // THEN the flaky record went out after its retries, the others are dead letters with their reasons
    expect(calls.get('flaky')).toBe(3);
    expect(calls.get('broken')).toBe(3);
    expect(calls.get('rejected')).toBe(1);
    expect((await kcatConsume(out)).map((r) => r.value!.toString())).toEqual(['flaky', 'fine']);
    const dead = await kcatConsume(dlt);
    expect(dead.map((r) => [r.value!.toString(), Object.fromEntries(r.headers)['klaxon.reason']])).toEqual([
      ['broken', 'handler-failed'],
      ['rejected', 'rejected-by-test'],
      ['nowhere', 'topic-missing'],
      ['nowhere again', 'topic-missing'],
    ]);
    expect(Object.fromEntries(dead[0].headers)['klaxon.error']).toBe('Error: always broken');
    expect(Object.fromEntries(dead[1].headers)['klaxon.error']).toBe('cannot ever handle this');
    expect(Object.fromEntries(dead[2].headers)['klaxon.error']).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    // the second record for the missing topic is dead-lettered at once, without its own retries
    expect(Object.fromEntries(dead[3].headers)['klaxon.error']).toBe(`topic '${run_}.missing' does not exist (found missing recently)`);
    expect(w.lines.filter((l) => l.msg === 'output topic missing; retrying')).toHaveLength(2);
    expect(w.lines.filter((l) => l.msg === 'handler failed; retrying')).toHaveLength(4);

    // AND SIGTERM stops it with exit code 0
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });

  test('with handlerConcurrency, async calls overlap, yet outputs keep source order and a failing call is retried in its place', async () => {
    // GIVEN twelve records and an async handler whose earlier calls take longer; the fourth fails once
    const run_ = uniqueName('runtime-concurrent');
    const source = `${run_}.in`;
    const out = `${run_}.out`;
    await createTopics([{ topic: source }, { topic: out }, { topic: `${run_}.dlt` }]);
    const values = Array.from({ length: 12 }, (_, i) => `r${i}`);
    await kcatProduce(source, values.map((v) => ({ key: 'one-key', value: v })));
    const calls: string[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const definition: WorkloadDefinition<{}> = {
      defaults: { sourceTopic: source, groupId: `${run_}-g`, clientId: 'runtime-concurrent' },
      settings: {},
      handlerConcurrency: () => 4,
      createHandler: () => async (record) => {
        const value = record.value!.toString();
        calls.push(value);
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((r) => setTimeout(r, 400 - 30 * Number(value.slice(1))));
        running -= 1;
        if (value === 'r3' && calls.filter((c) => c === 'r3').length === 1) throw new Error('r3 fails once');
        return [{ topic: out, key: record.key, value: record.value }];
      },
    };

    // WHEN the runtime consumes them
    const w = run(definition, {
      KAFKA_BROKERS: brokers().join(','),
      KAFKA_DEAD_LETTER_TOPIC: `${run_}.dlt`,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      KLAXON_RETRY_INITIAL_MS: '50',
    });
    await waitForRecords(testKafka(brokers().join(',')), [out], 12, 60_000);

    // THEN up to four calls ran at once, the output is in source order, and only r3 was called twice
    expect(mostAtOnce).toBe(4);
    expect((await kcatConsume(out)).map((r) => r.value!.toString())).toEqual(values);
    expect(calls.filter((c) => c === 'r3')).toHaveLength(2);
    expect(calls).toHaveLength(13);
    expect(w.lines.filter((l) => l.msg === 'handler failed; retrying')).toHaveLength(1);
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });

  test('a handler call longer than the session timeout keeps the group membership (heartbeats while waiting)', async () => {
    // GIVEN a 6 s session timeout and a handler whose first call takes 8 s
    const run_ = uniqueName('runtime-slow');
    const source = `${run_}.in`;
    const out = `${run_}.out`;
    await createTopics([{ topic: source }, { topic: out }, { topic: `${run_}.dlt` }]);
    await kcatProduce(source, ['a', 'b', 'c'].map((v) => ({ key: v, value: v })));
    const calls: string[] = [];
    const definition: WorkloadDefinition<{}> = {
      defaults: { sourceTopic: source, groupId: `${run_}-g`, clientId: 'runtime-slow' },
      settings: {},
      createHandler: () => async (record) => {
        const value = record.value!.toString();
        calls.push(value);
        if (calls.length === 1) await new Promise((r) => setTimeout(r, 8000));
        return [{ topic: out, key: record.key, value: record.value }];
      },
    };

    // WHEN the runtime consumes them
    const w = run(definition, {
      KAFKA_BROKERS: brokers().join(','),
      KAFKA_DEAD_LETTER_TOPIC: `${run_}.dlt`,
      HTTP_PORT: '0',
      LOG_LEVEL: 'debug',
      KLAXON_SESSION_TIMEOUT_MS: '6000',
      KLAXON_HEARTBEAT_INTERVAL_MS: '1000',
    });
    await waitForRecords(testKafka(brokers().join(',')), [out], 3, 60_000);
    await new Promise((r) => setTimeout(r, 2000));

    // THEN every record was handled once: the member was never dropped, nothing was consumed again
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(w.lines.filter((l) => l.msg === 'joined group')).toHaveLength(1);
    expect(w.lines.some((l) => l.msg === 'not a group member' && l.why === 'rebalancing')).toBe(false);
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });

  test('a source topic that does not exist: start fails and the process exits 1', async () => {
    const w = run(
      { defaults: { sourceTopic: uniqueName('runtime-absent'), groupId: uniqueName('g'), clientId: 'c' }, settings: {}, createHandler: () => () => [] },
      { KAFKA_BROKERS: brokers().join(','), HTTP_PORT: '0', LOG_LEVEL: 'error' },
    );
    expect(await w.exitCode).toBe(1);
    const failed = w.lines.find((l) => l.msg === 'start failed');
    expect(failed).toMatchObject({ error: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } });
  });

  test('a configuration with problems exits 78 and lists every problem', async () => {
    const w = run({ defaults: { sourceTopic: 'a', groupId: 'g', clientId: 'c' }, settings: {}, createHandler: () => () => [] }, {
      KAFKA_BROKERS: 'nohost',
      HTTP_PORT: '-1',
    });
    expect(await w.exitCode).toBe(78);
    expect(w.lines.map((l) => l.problem)).toEqual([
      "KAFKA_BROKERS=\"nohost\": 'nohost' must be host:port (comma-separated host:port list of Kafka bootstrap servers)",
      'HTTP_PORT="-1": must be between 0 and 65535 (port of the /livez, /readyz and /metrics server (0: any free port))',
    ]);
  });
});
