/**
 * The runtime's retry-until-delivered mode, which the log-alerter uses, on the real broker with a
 * small in-process handler: a handler throwing `RetryableError` is called again past
 * KLAXON_MAX_ATTEMPTS (never dead-lettered for it), the records before it are committed while it
 * waits, and the record itself is committed only once the handler succeeds.
 */
import { brokers, createTopics, kcatConsume, kcatProduce, uniqueName } from '../harness';
import { RetryableError } from '../../functions/runtime/handler';
import { WorkloadDefinition } from '../../functions/runtime/lifecycle';
import { committedOffset, eventually } from '../functions/log-alerter/support';
import { testKafka, waitForRecords } from '../functions/support/fanout';
import { runInProcess } from '../functions/support/runtime';

jest.setTimeout(240_000); // a slow 2-core CI machine: every wait below polls, so a pass is as fast as the machine allows

describe('RetryableError', () => {
  test('a handler asking for retries is retried past KLAXON_MAX_ATTEMPTS; earlier records are committed meanwhile; nothing is dead-lettered', async () => {
    // GIVEN records a, b, c and a handler that asks for a retry on b eight times (max attempts: 2)
    const run = uniqueName('runtime-retryable');
    const [source, out, dlt, group] = [`${run}.in`, `${run}.out`, `${run}.dlt`, `${run}-g`];
    await createTopics([{ topic: source }, { topic: out }, { topic: dlt }]);
    await kcatProduce(source, ['a', 'b', 'c'].map((v) => ({ key: v, value: v })));
    let calls = 0;
    let release = false;
    const definition: WorkloadDefinition<{}> = {
      defaults: { sourceTopic: source, groupId: group, clientId: 'runtime-retryable' },
      settings: {},
      createHandler: () => (record) => {
        if (record.value!.toString() === 'b' && !release) {
          calls += 1;
          if (calls >= 8) release = true;
          throw new RetryableError(`sink down (${calls})`, 50);
        }
        return [{ topic: out, key: record.key, value: record.value }];
      },
    };

    // WHEN the runtime consumes them
    const w = runInProcess(definition, {
      KAFKA_BROKERS: brokers().join(','),
      KAFKA_DEAD_LETTER_TOPIC: dlt,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      KLAXON_MAX_ATTEMPTS: '2',
      KLAXON_RETRY_INITIAL_MS: '50',
      KLAXON_RETRY_MAX_MS: '400',
    });

    // THEN while b is retried, a is already committed and b is not
    await w.waitForLine((l) => l.msg === 'handler asked for a retry; retrying until it succeeds' && l.retry === 3);
    expect(await committedOffset(group, source)).toBe(1);
    // AND once b goes through, all three are written in order and committed, none dead-lettered
    await waitForRecords(testKafka(brokers().join(',')), [out], 3, 30_000);
    await eventually(async () => (await committedOffset(group, source)) === 3, 'committed offset 3');
    expect((await kcatConsume(out)).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c']);
    expect(await kcatConsume(dlt)).toEqual([]);
    expect(calls).toBe(8);
    expect(w.lines.filter((l) => l.msg === 'handler asked for a retry; retrying until it succeeds')).toHaveLength(8);
    w.sigterm();
    expect(await w.exitCode).toBe(0);
  });
});
