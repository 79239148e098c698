import { DeadLetterHeaders, MAX_ERROR_HEADER_CHARS, buildDeadLetter } from '../../../functions/runtime/dead-letter';
import { SourceRecord } from '../../../functions/runtime/handler';

const record = (value: Buffer | null): SourceRecord => ({
  topic: 'cluster-events',
  partition: 2,
  offset: '41',
  key: Buffer.from('k'),
  value,
  headers: { 'trace-id': 'abc' },
  timestamp: '1763877600000',
});
const info = { reason: 'not-json', error: 'the value is not JSON', workload: 'events-fanout', time: new Date('2026-11-23T06:00:00Z') };

describe('dead letters', () => {
  test('a dead letter keeps key, value and headers, and says why and where from', () => {
    // WHEN
    const dl = buildDeadLetter(record(Buffer.from('{oops')), info, { topic: 'klaxon.dead-letter', maxValueBytes: 1024 });
    // THEN
    expect(dl).toEqual({
      topic: 'klaxon.dead-letter',
      key: Buffer.from('k'),
      value: Buffer.from('{oops'),
      headers: {
        'trace-id': 'abc',
        [DeadLetterHeaders.REASON]: 'not-json',
        [DeadLetterHeaders.ERROR]: 'the value is not JSON',
        [DeadLetterHeaders.SOURCE_TOPIC]: 'cluster-events',
        [DeadLetterHeaders.SOURCE_PARTITION]: '2',
        [DeadLetterHeaders.SOURCE_OFFSET]: '41',
        [DeadLetterHeaders.SOURCE_TIMESTAMP]: '1763877600000',
        [DeadLetterHeaders.WORKLOAD]: 'events-fanout',
        [DeadLetterHeaders.TIME]: '2026-11-23T06:00:00.000Z',
        [DeadLetterHeaders.VALUE_BYTES]: '5',
        [DeadLetterHeaders.VALUE_TRUNCATED]: 'false',
      },
    });
  });

  test('a value over the limit is truncated, and the headers keep its full size', () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const dl = buildDeadLetter(record(big), info, { topic: 'dlt', maxValueBytes: 512 * 1024 });
    expect(dl.value).toHaveLength(512 * 1024);
    expect(dl.headers[DeadLetterHeaders.VALUE_BYTES]).toBe(String(2 * 1024 * 1024));
    expect(dl.headers[DeadLetterHeaders.VALUE_TRUNCATED]).toBe('true');
  });

  test('headers only, when the dead-letter topic refused even the truncated value', () => {
    const dl = buildDeadLetter(record(Buffer.from('abc')), info, { topic: 'dlt', maxValueBytes: 1024, headersOnly: true });
    expect(dl.value).toEqual(Buffer.alloc(0));
    expect(dl.headers[DeadLetterHeaders.VALUE_TRUNCATED]).toBe('true');
    expect(dl.headers[DeadLetterHeaders.VALUE_BYTES]).toBe('3');
  });

  test('a record without a value stays without one', () => {
    const dl = buildDeadLetter(record(null), info, { topic: 'dlt', maxValueBytes: 1024 });
    expect(dl.value).toBeNull();
    expect(dl.headers[DeadLetterHeaders.VALUE_BYTES]).toBe('0');
    expect(dl.headers[DeadLetterHeaders.VALUE_TRUNCATED]).toBe('false');
  });

  test('a long error message is cut in the header', () => {
    const dl = buildDeadLetter(record(null), { ...info, error: 'x'.repeat(5000) }, { topic: 'dlt', maxValueBytes: 1024 });
    expect(dl.headers[DeadLetterHeaders.ERROR]).toHaveLength(MAX_ERROR_HEADER_CHARS + 1);
  });
});
