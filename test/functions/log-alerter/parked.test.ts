import { ZERO_TIME } from '../../../functions/contracts/alert-sinks';
import { sinkRetryGroupId, sinkRetryTopicName } from '../../../functions/contracts/topic-names';
import { ParkState, ParkedHeaders, parkedMessage, readParked } from '../../../functions/log-alerter/parked';
import type { MatchedAlert } from '../../../functions/log-alerter/rules';

const ALERT: MatchedAlert = {
  rule: '404 Request',
  throttleSeconds: 0,
  alert: {
    status: 'firing',
    labels: { alertname: '404 Request', path: '/notfound' },
    annotations: { summary: 'HTTP 404' },
    startsAt: '2021-08-25T01:54:37.227Z',
    endsAt: ZERO_TIME,
    generatorURL: '',
    fingerprint: '0123456789abcdef',
  },
};
const CONTEXT = { sink: 'webhook', attempts: 1, lastError: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9', source: { topic: 'logs', partition: 3, offset: '42' }, now: new Date('2026-12-04T15:00:00Z') };

describe('parked alerts', () => {
  test('a sink of group klaxon-log-alerter parks in topic klaxon-log-alerter.retry.<sink>, drained by group klaxon-log-alerter.retry.<sink>', () => {
    expect(sinkRetryTopicName('klaxon-log-alerter', 'webhook')).toBe('klaxon-log-alerter.retry.webhook');
    expect(sinkRetryGroupId('klaxon-log-alerter', 'webhook')).toBe('klaxon-log-alerter.retry.webhook');
  });

  test('a parked record carries the alert for that one sink, keyed by fingerprint, with attempt metadata and its source', () => {
    const m = parkedMessage(ALERT, CONTEXT);
    expect(m.key).toBe('0123456789abcdef');
    expect(JSON.parse(m.value)).toEqual({ rule: '404 Request', alert: ALERT.alert });
    expect(m.headers).toEqual({
      'klaxon.sink': 'webhook',
      'klaxon.attempts': '1',
      'klaxon.parked-at': '2026-12-04T15:00:00.000Z',
      'klaxon.last-error': 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
      'klaxon.source-topic': 'logs',
      'klaxon.source-partition': '3',
      'klaxon.source-offset': '42',
    });
  });

  test('a long last error is cut to 500 characters', () => {
    const m = parkedMessage(ALERT, { ...CONTEXT, lastError: 'x'.repeat(2000) });
    expect(m.headers[ParkedHeaders.LAST_ERROR]).toBe(`${'x'.repeat(500)}…`);
  });

  test('a parked record reads back as the same alert and attempts', () => {
    const m = parkedMessage(ALERT, CONTEXT);
    expect(readParked(Buffer.from(m.value), m.headers)).toEqual({ rule: '404 Request', alert: ALERT.alert, attempts: 1 });
  });

  test.each([
    [null, 'the parked record has no value'],
    ['{', 'the parked record is not JSON: '],
    ['[]', 'the parked record is not { rule, alert }'],
    ['{"rule":"r","alert":{"status":"firing"}}', 'the parked alert lacks status, labels, annotations, startsAt, endsAt, generatorURL or fingerprint'],
  ])('a record %j is not a parked alert: %s', (value, why) => {
    const read = readParked(value === null ? null : Buffer.from(value));
    expect(typeof read).toBe('string');
    expect(read as string).toContain(why);
  });
});

describe('ParkState', () => {
  test('until the retry topic offsets are known, alerts are parked (they may be behind a backlog)', () => {
    const s = new ParkState(['webhook']);
    expect(s.known).toBe(false);
    expect(s.mustPark('webhook')).toBe(true);
    expect(s.backlog('webhook')).toBe(0);
  });

  test('an empty retry topic lets alerts go straight to the sink', () => {
    const s = new ParkState(['webhook', 'slack']);
    s.observed('webhook', 0, -1, 0);
    expect(s.known).toBe(false);
    s.observed('slack', 7, 7, 0);
    expect(s.known).toBe(true);
    expect(s.mustPark('webhook')).toBe(false);
    expect(s.mustPark('slack')).toBe(false);
  });

  test('once a sink has anything parked, later alerts for it are parked too, until every parked alert is delivered', () => {
    const s = new ParkState(['webhook', 'notification-manager']);
    s.observed('webhook', 0, -1, 0);
    s.observed('notification-manager', 0, -1, 0);
    // WHEN this process parks offsets 0 and 1
    s.parked('webhook', 0);
    s.parked('webhook', 1);
    // THEN the webhook's later alerts are parked; the other sink is not affected
    expect(s.mustPark('webhook')).toBe(true);
    expect(s.backlog('webhook')).toBe(2);
    expect(s.mustPark('notification-manager')).toBe(false);
    // WHEN the retry consumer delivered offset 0 only
    s.delivered('webhook', 0);
    expect(s.mustPark('webhook')).toBe(true);
    expect(s.backlog('webhook')).toBe(1);
    // WHEN it delivered offset 1
    s.delivered('webhook', 1);
    expect(s.mustPark('webhook')).toBe(false);
    expect(s.backlog('webhook')).toBe(0);
  });

  test('a backlog parked by another replica (seen in the polled offsets) makes this replica park too', () => {
    const s = new ParkState(['webhook']);
    s.observed('webhook', 12, 9, 0);
    expect(s.mustPark('webhook')).toBe(true);
    expect(s.backlog('webhook')).toBe(3);
    s.observed('webhook', 12, 12, 0);
    expect(s.mustPark('webhook')).toBe(false);
  });

  test('a poll older than this process\'s own park or delivery never lowers what it knows', () => {
    const s = new ParkState(['webhook']);
    s.observed('webhook', 5, 5, 0);
    s.parked('webhook', 5);
    // a stale poll (taken before the park landed) says the topic ends at 5
    s.observed('webhook', 5, 5, 0);
    expect(s.mustPark('webhook')).toBe(true);
    s.delivered('webhook', 5);
    // a stale poll (taken before the commit) says the group is at 5
    s.observed('webhook', 6, 5, 0);
    expect(s.mustPark('webhook')).toBe(false);
  });

  test('a group that committed nothing starts at the first offset still in the topic', () => {
    const s = new ParkState(['webhook']);
    s.observed('webhook', 10, -1, 10);
    expect(s.mustPark('webhook')).toBe(false);
    s.observed('webhook', 11, -1, 10);
    expect(s.backlog('webhook')).toBe(1);
  });

  test('an unknown sink is a programming error', () => {
    expect(() => new ParkState(['webhook']).mustPark('slack')).toThrow("unknown sink 'slack'");
  });
});
