import { FORMAT_HEADER } from '../../../functions/contracts/event-formats';
import { Decision, RoutingRules, outputsFor, routeEvent } from '../../../functions/events-fanout/route';
import { DeadLetter } from '../../../functions/runtime/handler';
import { BILLING_POD_UID, NODE_UID, POD_UID, fixture } from '../fixtures';

const everyNamespace: RoutingRules = {
  namespaceTopicPrefix: 'events.',
  namespaces: new Set(),
  clusterScopedTopic: 'cluster-events.cluster-scoped',
  unroutedTopic: 'cluster-events.unrouted',
};
const onlyShop: RoutingRules = { ...everyNamespace, namespaces: new Set(['shop']) };

function dl(d: Decision): { reason: string; detail: string } {
  if (!(d instanceof DeadLetter)) throw new Error(`expected a dead letter, got ${JSON.stringify(d)}`);
  return { reason: d.reason, detail: d.detail };
}

describe('events-fanout routing', () => {
  test.each([
    ['eventrouter-added', 'eventrouter'],
    ['eventrouter-updated', 'eventrouter'],
    ['kube-eventer-pod', 'kube-eventer'],
    ['core-v1', 'core-v1'],
  ] as const)('a %s record of a Pod in shop goes to events.shop, keyed by the Pod uid', (name, format) => {
    expect(routeEvent(fixture(name), everyNamespace)).toEqual({ kind: 'namespace', format, topic: 'events.shop', key: POD_UID, namespace: 'shop' });
  });

  test('an events.k8s.io/v1 Event is routed by its regarding object', () => {
    expect(routeEvent(fixture('events-v1'), everyNamespace)).toEqual({
      kind: 'namespace',
      format: 'events-v1',
      topic: 'events.billing',
      key: BILLING_POD_UID,
      namespace: 'billing',
    });
  });

  test('the namespace topic prefix is configurable', () => {
    expect(routeEvent(fixture('core-v1'), { ...everyNamespace, namespaceTopicPrefix: 'k8s-events-' })).toMatchObject({ topic: 'k8s-events-shop' });
  });

  test('events of cluster-scoped objects go to the cluster-scoped topic', () => {
    for (const name of ['eventrouter-node', 'kube-eventer-node'] as const) {
      expect(routeEvent(fixture(name), onlyShop)).toMatchObject({ kind: 'cluster-scoped', topic: 'cluster-events.cluster-scoped', key: NODE_UID });
    }
  });

  test('a namespace with no declared topic goes to the unrouted topic', () => {
    expect(routeEvent(fixture('events-v1'), onlyShop)).toEqual({
      kind: 'unrouted',
      format: 'events-v1',
      topic: 'cluster-events.unrouted',
      key: BILLING_POD_UID,
      namespace: 'billing',
    });
    expect(routeEvent(fixture('core-v1'), onlyShop)).toMatchObject({ kind: 'namespace', topic: 'events.shop' });
  });

  test('with createUndeclared, a namespace with no declared topic goes to its own topic, marked undeclared (to be created)', () => {
    const creating: RoutingRules = { ...onlyShop, createUndeclared: true };
    expect(routeEvent(fixture('events-v1'), creating)).toEqual({
      kind: 'namespace',
      format: 'events-v1',
      topic: 'events.billing',
      key: BILLING_POD_UID,
      namespace: 'billing',
      undeclared: true,
    });
    expect(routeEvent(fixture('core-v1'), creating)).not.toHaveProperty('undeclared', true);
    expect(routeEvent(fixture('core-v1'), { ...everyNamespace, createUndeclared: true })).toMatchObject({ topic: 'events.shop', undeclared: true });
  });

  test('an object without a uid is keyed kind/namespace/name', () => {
    const value = JSON.stringify({ involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'web' } });
    expect(routeEvent(value, everyNamespace)).toMatchObject({ key: 'Deployment/shop/web' });
    const node = JSON.stringify({ metadata: { namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' } });
    expect(routeEvent(node, everyNamespace)).toMatchObject({ kind: 'cluster-scoped', key: 'Node//n1' });
  });

  test('an eventrouter resync duplicate (same resourceVersion in event and old_event) is dropped', () => {
    const decision = routeEvent(fixture('eventrouter-resync'), everyNamespace);
    expect(decision).toEqual({ kind: 'duplicate', format: 'eventrouter' });
    expect(outputsFor(decision as { kind: 'duplicate'; format: 'eventrouter' }, fixture('eventrouter-resync'))).toEqual([]);
  });

  test('an Event with no namespace anywhere is dead-lettered', () => {
    const value = JSON.stringify({ verb: 'ADDED', event: { metadata: { name: 'x' }, involvedObject: { kind: 'Pod', name: 'p', uid: 'u' } } });
    expect(dl(routeEvent(value, everyNamespace))).toEqual({
      reason: 'no-namespace',
      detail: "the Event about Pod 'p' has no namespace, neither on the object nor on the Event",
    });
  });

  test('a namespace that is not a DNS label is dead-lettered', () => {
    const value = JSON.stringify({ involvedObject: { kind: 'Pod', name: 'p', namespace: 'Shop_1' } });
    expect(dl(routeEvent(value, everyNamespace))).toEqual({
      reason: 'bad-namespace',
      detail: 'namespace "Shop_1": a namespace name is a DNS label: lowercase letters, digits and -',
    });
  });

  test('the output is the original bytes, under the route topic and key, with the format header', () => {
    const value = fixture('kube-eventer-pod');
    const decision = routeEvent(value, everyNamespace);
    if (decision instanceof DeadLetter || decision.kind === 'duplicate') throw new Error('expected a route');
    const [out] = outputsFor(decision, value);
    expect(out).toEqual({ topic: 'events.shop', key: POD_UID, value, headers: { [FORMAT_HEADER]: 'kube-eventer' } });
    expect(out.value).toBe(value);
  });
});
