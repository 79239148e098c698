/**
 * One Event → one Kafka record, and the facts about an Event the exporter decides on. Pure.
 *
 * The record (functions/contracts/event-formats.ts, format `event-exporter`): value = the
 * events.k8s.io/v1 Event JSON, key = the uid of the object it is about (`regarding.uid`, else
 * `kind/namespace/name`), headers `klaxon.verb`, `klaxon.cluster`, `klaxon.resource-version`.
 */
import { EXPORTER_HEADERS, ExporterVerb } from '../contracts/event-formats';

/** An events.k8s.io/v1 Event as the API server sends it (only the fields the exporter reads are typed). */
export interface ApiEvent {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly uid?: string; readonly resourceVersion?: string; readonly creationTimestamp?: string | Date };
  readonly regarding?: { readonly kind?: string; readonly namespace?: string; readonly name?: string; readonly uid?: string };
  readonly type?: string;
  readonly reason?: string;
  readonly series?: { readonly count?: number };
  readonly deprecatedCount?: number;
}

/** A record ready for the producer. */
export interface ExporterRecord {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Which Events are shipped: empty sets let everything through. */
export interface EventFilter {
  readonly types: ReadonlySet<string>;
  readonly reasons: ReadonlySet<string>;
}

/** The Kafka key: the involved object's uid, else `kind/namespace/name`. */
export function eventKey(event: ApiEvent): string {
  const r = event.regarding ?? {};
  return r.uid && r.uid.length > 0 ? r.uid : `${r.kind ?? ''}/${r.namespace ?? ''}/${r.name ?? ''}`;
}

/** How often the Event has been observed: `series.count`, else `deprecatedCount`, else 1. */
export function seriesCount(event: ApiEvent): number {
  return event.series?.count ?? event.deprecatedCount ?? 1;
}

/** The Event's resourceVersion ('' when missing, which never happens on objects from the API). */
export function resourceVersionOf(event: ApiEvent): string {
  return event.metadata?.resourceVersion ?? '';
}

/** The Event's own uid. */
export function uidOf(event: ApiEvent): string {
  return event.metadata?.uid ?? `${event.metadata?.namespace ?? ''}/${event.metadata?.name ?? ''}`;
}

/** Whether the filter lets the Event through. */
export function passes(event: ApiEvent, filter: EventFilter): boolean {
  if (filter.types.size > 0 && !filter.types.has(event.type ?? '')) return false;
  if (filter.reasons.size > 0 && !filter.reasons.has(event.reason ?? '')) return false;
  return true;
}

/**
 * resourceVersions as numbers. The API calls them opaque; every etcd-backed API server issues etcd
 * revisions, which grow with every write. Undefined when one is not a decimal integer: the
 * exporter then compares nothing and ships (at least once) instead of skipping.
 */
export function revision(rv: string | undefined): number | undefined {
  if (rv === undefined || !/^\d{1,15}$/.test(rv)) return undefined;
  return Number(rv);
}

/** The record of one watch or list event. `json` is the Event's JSON (the API's bytes when known). */
export function toRecord(event: ApiEvent, verb: ExporterVerb, cluster: string, json: string = JSON.stringify(event)): ExporterRecord {
  return {
    key: eventKey(event),
    value: json,
    headers: {
      [EXPORTER_HEADERS.VERB]: verb,
      [EXPORTER_HEADERS.CLUSTER]: cluster,
      [EXPORTER_HEADERS.RESOURCE_VERSION]: resourceVersionOf(event),
    },
  };
}
