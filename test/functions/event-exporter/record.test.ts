import { EXPORTER_HEADERS } from '../../../functions/contracts/event-formats';
import { routeEvent } from '../../../functions/events-fanout/route';
import { eventKey, passes, revision, seriesCount, toRecord } from '../../../functions/event-exporter/record';

const event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web.1', namespace: 'shop', uid: 'e1', resourceVersion: '42' },
  regarding: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'pod-uid' },
  type: 'Warning',
  reason: 'BackOff',
  series: { count: 3 },
};

describe('the event-exporter record', () => {
  test('is the Event JSON, keyed by the involved object uid, with verb, cluster and resourceVersion headers', () => {
    const r = toRecord(event, 'MODIFIED', 'prod-eu');
    expect(r).toEqual({
      key: 'pod-uid',
      value: JSON.stringify(event),
      headers: { [EXPORTER_HEADERS.VERB]: 'MODIFIED', [EXPORTER_HEADERS.CLUSTER]: 'prod-eu', [EXPORTER_HEADERS.RESOURCE_VERSION]: '42' },
    });
  });

  test('an object without uid is keyed kind/namespace/name; counts fall back to deprecatedCount, then 1', () => {
    expect(eventKey({ regarding: { kind: 'Node', name: 'n1' } })).toBe('Node//n1');
    expect(seriesCount(event)).toBe(3);
    expect(seriesCount({ deprecatedCount: 7 })).toBe(7);
    expect(seriesCount({})).toBe(1);
  });

  test('filters by type and reason; empty filters let everything through', () => {
    const none = { types: new Set<string>(), reasons: new Set<string>() };
    expect(passes(event, none)).toBe(true);
    expect(passes(event, { ...none, types: new Set(['Normal']) })).toBe(false);
    expect(passes(event, { types: new Set(['Warning']), reasons: new Set(['BackOff']) })).toBe(true);
    expect(passes(event, { ...none, reasons: new Set(['Pulled']) })).toBe(false);
  });

  test('resourceVersions compare as numbers only when they are decimal integers', () => {
    expect(revision('123')).toBe(123);
    expect(revision('12a')).toBeUndefined();
    expect(revision(undefined)).toBeUndefined();
  });

  test('events-fanout reads it as format event-exporter and passes its headers on', () => {
    const r = toRecord(event, 'ADDED', 'prod-eu');
    const rules = { namespaceTopicPrefix: 'events.', namespaces: new Set<string>(), clusterScopedTopic: 'cs', unroutedTopic: 'un' };
    expect(routeEvent(r.value, rules, r.headers)).toEqual({ kind: 'namespace', format: 'event-exporter', topic: 'events.shop', key: 'pod-uid', namespace: 'shop' });
    expect(routeEvent(r.value, rules)).toMatchObject({ format: 'events-v1' });
    expect(routeEvent(r.value, rules, { [EXPORTER_HEADERS.VERB]: 'UPDATED' })).toMatchObject({ reason: 'wrong-shape' });
  });
});
