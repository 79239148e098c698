import { FanoutReasons, parseEventRecord } from '../../../functions/events-fanout/formats';
import { DeadLetter } from '../../../functions/runtime/handler';
import { BILLING_POD_UID, NODE_UID, POD_UID, fixture } from '../fixtures';

function deadLetter(value: Buffer | string | null): DeadLetter {
  const parsed = parseEventRecord(value);
  if (!(parsed instanceof DeadLetter)) throw new Error(`expected a dead letter, got ${JSON.stringify(parsed)}`);
  return parsed;
}

describe('event record formats', () => {
  test("eventrouter's envelope is read: verb, involved object, both resourceVersions", () => {
    expect(parseEventRecord(fixture('eventrouter-updated'))).toEqual({
      format: 'eventrouter',
      verb: 'UPDATED',
      involved: { kind: 'Pod', name: 'web-7d9f-abcde', namespace: 'shop', uid: POD_UID, apiVersion: 'v1' },
      eventNamespace: 'shop',
      resourceVersion: '101',
      oldResourceVersion: '100',
    });
  });

  test("kube-eventer's point is read from the Event inside its EventValue string", () => {
    expect(parseEventRecord(fixture('kube-eventer-pod'))).toEqual({
      format: 'kube-eventer',
      involved: { kind: 'Pod', name: 'web-7d9f-abcde', namespace: 'shop', uid: POD_UID, apiVersion: 'v1' },
      eventNamespace: 'shop',
    });
  });

  test('a raw core/v1 Event is read from involvedObject', () => {
    expect(parseEventRecord(fixture('core-v1'))).toMatchObject({ format: 'core-v1', involved: { kind: 'Pod', namespace: 'shop', uid: POD_UID } });
  });

  test('a raw events.k8s.io/v1 Event is read from regarding', () => {
    expect(parseEventRecord(fixture('events-v1'))).toEqual({
      format: 'events-v1',
      involved: { kind: 'Pod', name: 'db-0', namespace: 'billing', uid: BILLING_POD_UID, apiVersion: 'v1' },
      eventNamespace: 'billing',
    });
  });

  test('a Node event has no namespace on its object, only on the Event', () => {
    for (const name of ['eventrouter-node', 'kube-eventer-node'] as const) {
      expect(parseEventRecord(fixture(name))).toMatchObject({ involved: { kind: 'Node', name: 'node-1', uid: NODE_UID, namespace: undefined }, eventNamespace: 'default' });
    }
  });

  test('kube-eventer with the Event as an object (not a string) is accepted', () => {
    const point = JSON.parse(fixture('kube-eventer-pod').toString());
    point.EventValue = JSON.parse(point.EventValue);
    expect(parseEventRecord(JSON.stringify(point))).toMatchObject({ format: 'kube-eventer', involved: { uid: POD_UID } });
  });

  test.each([
    ['no value', null, FanoutReasons.EMPTY, 'the record has no value'],
    ['an empty value', '', FanoutReasons.EMPTY, 'the record has no value'],
    ['white space', ' \n', FanoutReasons.EMPTY, 'the record has no value'],
    ['text', 'hello', FanoutReasons.NOT_JSON, 'the value is not JSON: Unexpected token \'h\', "hello" is not valid JSON'],
    ['a JSON array', '[1]', FanoutReasons.UNKNOWN_FORMAT, 'the value is JSON array, not an object'],
    ['a JSON number', '42', FanoutReasons.UNKNOWN_FORMAT, 'the value is JSON number, not an object'],
    ['JSON of another shape', '{"a":1}', FanoutReasons.UNKNOWN_FORMAT, 'not an eventrouter record (verb, event), a kube-eventer record (EventValue) or an Event (involvedObject or regarding)'],
    ['an Event with no object', '{"kind":"Event","metadata":{"namespace":"x"}}', FanoutReasons.WRONG_SHAPE, 'an Event with neither involvedObject nor regarding'],
    ['a bad verb', '{"verb":"PATCHED","event":{}}', FanoutReasons.WRONG_SHAPE, 'eventrouter record with verb "PATCHED"; expected ADDED, UPDATED, DELETED'],
    ['a null event', '{"verb":"ADDED","event":null}', FanoutReasons.WRONG_SHAPE, 'eventrouter record whose "event" is not an object'],
    ['an object with no name', '{"involvedObject":{"kind":"Pod"}}', FanoutReasons.WRONG_SHAPE, 'the Event\'s "involvedObject" has no kind or no name'],
    ['a numeric namespace', '{"regarding":{"kind":"Pod","name":"a","namespace":7}}', FanoutReasons.WRONG_SHAPE, 'the Event\'s "regarding.namespace" is not a string'],
    ['EventValue not JSON', '{"EventValue":"{nope"}', FanoutReasons.NOT_JSON, expect.stringMatching(/^kube-eventer EventValue is not JSON: /)],
    ['EventValue a number', '{"EventValue":3}', FanoutReasons.WRONG_SHAPE, 'kube-eventer EventValue does not hold an Event object'],
  ])('%s is dead-lettered with its reason', (_what, value, reason, detail) => {
    const dl = deadLetter(value);
    expect(dl.reason).toBe(reason);
    expect(dl.detail).toEqual(detail);
  });
});
