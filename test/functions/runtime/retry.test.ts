import { backoffDelay, classifyProduceError, errorLabel, errorTypes, sleep } from '../../../functions/runtime/retry';

/** An error shaped like kafkajs's: KafkaJSNumberOfRetriesExceeded / NonRetriable wrapping a protocol error. */
function kafkaError(type: string, wrap: 'none' | 'retries' | 'nonretriable' = 'none'): Error {
  const inner = Object.assign(new Error(`The server says ${type}`), { name: 'KafkaJSProtocolError', type });
  if (wrap === 'none') return inner;
  const outer = Object.assign(new Error(inner.message), { name: wrap === 'retries' ? 'KafkaJSNumberOfRetriesExceeded' : 'KafkaJSNonRetriableError' });
  return Object.assign(outer, { cause: inner });
}

describe('retry backoff', () => {
  const policy = { initialMs: 100, maxMs: 2000 };

  test('the delay doubles per attempt and stops at the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, policy, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 10, 100].map(top)).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  test('jitter keeps each delay between half its step and the step', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, policy);
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
  });
});

describe('produce error classification', () => {
  test.each(['MESSAGE_TOO_LARGE', 'INVALID_RECORD', 'RECORD_LIST_TOO_LARGE', 'CORRUPT_MESSAGE', 'TOPIC_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION'])(
    'a %s is permanent, however it is wrapped',
    (type) => {
      expect(classifyProduceError(kafkaError(type))).toBe('permanent');
      expect(classifyProduceError(kafkaError(type, 'nonretriable'))).toBe('permanent');
      expect(classifyProduceError(kafkaError(type, 'retries'))).toBe('permanent');
    },
  );

  test('an unknown topic is a missing topic', () => {
    expect(classifyProduceError(kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'retries'))).toBe('topic-missing');
  });

  test.each([
    ['a closed connection', Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' })],
    ['a leader change', kafkaError('NOT_LEADER_OR_FOLLOWER', 'retries')],
    ['a request timeout', kafkaError('REQUEST_TIMED_OUT', 'retries')],
    ['a sequence error', kafkaError('OUT_OF_ORDER_SEQUENCE_NUMBER')],
    ['a plain error', new Error('boom')],
  ])('%s is transient', (_what, error) => {
    expect(classifyProduceError(error)).toBe('transient');
  });

  test('aggregated errors are searched too', () => {
    const aggregate = Object.assign(new Error('many'), { errors: [new Error('x'), kafkaError('MESSAGE_TOO_LARGE')] });
    expect(errorTypes(aggregate)).toEqual(['MESSAGE_TOO_LARGE']);
    expect(classifyProduceError(aggregate)).toBe('permanent');
  });

  test('the label names the telling Kafka error type, else the error name', () => {
    expect(errorLabel(kafkaError('MESSAGE_TOO_LARGE', 'retries'))).toBe('MESSAGE_TOO_LARGE');
    expect(errorLabel(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe('KafkaJSConnectionError');
  });
});

describe('sleep', () => {
  test('an abort ends the wait early', async () => {
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 20);
    await sleep(10_000, abort.signal);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
