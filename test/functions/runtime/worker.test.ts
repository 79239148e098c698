import { flattenHeaders, toSourceRecord } from '../../../functions/runtime/worker';

describe('the worker hands handlers plain records', () => {
  test('a kafkajs message becomes a SourceRecord with topic, partition and flat headers', () => {
    const record = toSourceRecord('cluster-events', 2, {
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      timestamp: '1763877600000',
      attributes: 0,
      offset: '17',
      headers: { a: Buffer.from('1'), b: [Buffer.from('x'), Buffer.from('y')], c: undefined },
    });
    expect(record).toEqual({
      topic: 'cluster-events',
      partition: 2,
      offset: '17',
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      headers: { a: Buffer.from('1'), b: Buffer.from('y') },
      timestamp: '1763877600000',
    });
  });

  test('a message without key, value or headers has nulls and no headers', () => {
    const record = toSourceRecord('t', 0, { key: null, value: null, timestamp: '0', attributes: 0, offset: '0', headers: {} });
    expect(record).toMatchObject({ key: null, value: null, headers: {} });
    expect(flattenHeaders(undefined)).toEqual({});
  });
});
