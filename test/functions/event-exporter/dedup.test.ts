import { planRelist, ShippedIndex } from '../../../functions/event-exporter/dedup';
import { ApiEvent } from '../../../functions/event-exporter/record';

const event = (uid: string, rv: string, count?: number): ApiEvent => ({
  metadata: { uid, name: uid, namespace: 'shop', resourceVersion: rv },
  regarding: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'pod-uid' },
  ...(count !== undefined ? { series: { count } } : {}),
});

describe('what the exporter already shipped', () => {
  test('an Event queued with the same or a newer resourceVersion is seen; a newer one is not', () => {
    const index = new ShippedIndex();
    index.remember(event('a', '10'));
    expect(index.seen(event('a', '10'), false)).toBe(true);
    expect(index.seen(event('a', '9'), false)).toBe(true);
    expect(index.seen(event('a', '11'), false)).toBe(false);
    expect(index.seen(event('b', '10'), false)).toBe(false);
  });

  test('on a relist, a new resourceVersion with no higher series count is not news', () => {
    const index = new ShippedIndex();
    index.remember(event('a', '10', 3));
    expect(index.seen(event('a', '12', 3), true)).toBe(true);
    expect(index.seen(event('a', '12', 4), true)).toBe(false);
    expect(index.seen(event('a', '12', 3), false)).toBe(false);
  });

  test('DELETED forgets the uid, and the oldest entries go first past the bound', () => {
    const index = new ShippedIndex(2);
    index.remember(event('a', '1'));
    index.remember(event('b', '2'));
    index.remember(event('c', '3'));
    expect([index.seen(event('a', '1'), false), index.seen(event('b', '2'), false), index.size]).toEqual([false, true, 2]);
    index.forget(event('b', '2'));
    expect(index.seen(event('b', '2'), false)).toBe(false);
  });

  test('a relist ships in resourceVersion order what is newer than the checkpoint and not seen', () => {
    const index = new ShippedIndex();
    index.remember(event('seen', '40'));
    const plan = planRelist([event('new2', '52'), event('old', '30'), event('seen', '40'), event('new1', '51'), event('edge', '50')], '50', index);
    expect(plan.ship.map((e) => e.metadata?.uid)).toEqual(['new1', 'new2']);
    expect(plan.skipped).toBe(3);
    expect(plan.ordered).toBe(true);
  });

  test('a relist with resourceVersions that are not numbers skips nothing it cannot prove shipped', () => {
    const plan = planRelist([event('x', 'abc'), event('y', '5')], '50', new ShippedIndex());
    expect(plan.ordered).toBe(false);
    expect(plan.ship.map((e) => e.metadata?.uid)).toEqual(['x']);
  });
});
