/**
 * What the exporter already shipped, so a relist (after `410 Gone`) or an overlapping watch does
 * not ship it again. Pure.
 *
 * Two sources of knowledge:
 * - in memory, per Event uid: the resourceVersion and series count last queued for shipping
 *   (bounded: the oldest entries are forgotten first; DELETED forgets the uid);
 * - after a restart, only the checkpoint: every Event state with a resourceVersion at or below the
 *   checkpoint was shipped (the exporter advances it in resourceVersion order, after the Kafka ack).
 *
 * A relisted Event is skipped when its uid was queued with the same resourceVersion or with at
 * least its series count (nothing new observed), or when its resourceVersion is at or below the
 * checkpoint. Everything else is shipped: at least once, never silently dropped.
 */
import { ApiEvent, resourceVersionOf, revision, seriesCount, uidOf } from './record';

interface Shipped {
  readonly rv: string;
  readonly count: number;
}

/** uid → what was queued last; insertion-ordered so the oldest is forgotten first. */
export class ShippedIndex {
  private readonly entries = new Map<string, Shipped>();

  constructor(private readonly maxEntries = 200_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** Notes that the Event (in this state) is queued for shipping. */
  remember(event: ApiEvent): void {
    const uid = uidOf(event);
    this.entries.delete(uid);
    this.entries.set(uid, { rv: resourceVersionOf(event), count: seriesCount(event) });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  forget(event: ApiEvent): void {
    this.entries.delete(uidOf(event));
  }

  /** Whether this state of the Event was queued already: the same resourceVersion, or (on a relist) nothing newer observed. */
  seen(event: ApiEvent, relist: boolean): boolean {
    const known = this.entries.get(uidOf(event));
    if (!known) return false;
    const rv = resourceVersionOf(event);
    if (known.rv === rv) return true;
    const a = revision(rv);
    const b = revision(known.rv);
    if (a !== undefined && b !== undefined && a <= b) return true;
    return relist && seriesCount(event) <= known.count;
  }
}

/** What to do with the items of a relist. */
export interface RelistPlan {
  /** The Events to ship, in resourceVersion order. */
  readonly ship: readonly ApiEvent[];
  /** How many were skipped as already shipped. */
  readonly skipped: number;
  /** Whether the items' resourceVersions are ordered numbers, so the checkpoint may advance per item. */
  readonly ordered: boolean;
}

/**
 * Sorts a relist by resourceVersion and drops what was shipped: seen in `index`, or at or below
 * `shippedUpTo` (the resourceVersion up to which everything was queued, or the checkpoint after a
 * restart).
 */
export function planRelist(items: readonly ApiEvent[], shippedUpTo: string | undefined, index: ShippedIndex): RelistPlan {
  const upTo = revision(shippedUpTo);
  const revs = items.map((e) => revision(resourceVersionOf(e)));
  const ordered = revs.every((r) => r !== undefined);
  const order = items.map((_, i) => i);
  if (ordered) order.sort((x, y) => revs[x]! - revs[y]!);
  const ship: ApiEvent[] = [];
  let skipped = 0;
  for (const i of order) {
    const event = items[i];
    const rev = revs[i];
    if (index.seen(event, true) || (upTo !== undefined && rev !== undefined && rev <= upTo)) skipped++;
    else ship.push(event);
  }
  return { ship, skipped, ordered };
}
