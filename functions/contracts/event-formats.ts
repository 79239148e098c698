/**
 * The Kubernetes Event records that reach the cluster-events topic, as each source writes them.
 * Types only (plus format names): pure, safe to import from constructs/ and tests.
 *
 * 1. **eventrouter** (heptiolabs/eventrouter, Kafka sink `sinks/kafkasink.go`, envelope
 *    `sinks/eventdata.go`): Go `json.Marshal` of
 *    `{"verb":"ADDED"|"UPDATED","event":<core/v1 Event>,"old_event"?:<core/v1 Event>}` — `old_event`
 *    only with UPDATED. The informer's delete handler only logs, so eventrouter never writes
 *    DELETED (Klaxon accepts it anyway). Kafka key: the involved object's *name* (not unique).
 *    The informer resyncs (default every 30 min) by calling the update handler with the same
 *    object twice: UPDATED with `event.metadata.resourceVersion === old_event.metadata.resourceVersion`.
 * 2. **kube-eventer** (AliyunContainerService/kube-eventer, `sinks/kafka/driver.go` and
 *    `common/kafka/kafka.go`): Go `json.Marshal` of
 *    `{"EventValue":"<core/v1 Event as json.MarshalIndent(event, "", " ")>","EventTimestamp":"<RFC 3339, UTC>",
 *      "EventTags":{"eventID":"<event uid>","hostname":"<source.host>","pod_id"?:"<involved uid>","pod_name"?:"<involved name>"}}`
 *    — the Event is a JSON *string* inside the envelope; `pod_id`/`pod_name` only when the involved
 *    object is a Pod. Kafka key: none.
 * 3. **raw Event**: a core/v1 Event (`involvedObject`) or an events.k8s.io/v1 Event (`regarding`),
 *    as `kubectl get event -o json` or any producer of plain Events writes it.
 *
 * 4. **event-exporter** (Klaxon's own source, functions/event-exporter): the events.k8s.io/v1 Event
 *    JSON as the API server sent it (a relisted Event gets `apiVersion` and `kind`, which list
 *    items leave out), with headers `klaxon.verb`
 *    (ADDED, MODIFIED, DELETED), `klaxon.cluster` (the cluster's name) and
 *    `klaxon.resource-version` (the Event's metadata.resourceVersion). Kafka key: the uid of the
 *    object the Event is about (`regarding.uid`, else `kind/namespace/name`), so one object's
 *    events stay in one partition, in watch order.
 *
 * Go's encoder escapes `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026`, writes unset times as
 * `null` (`"eventTime":null`) and leaves out `kind`/`apiVersion` of informer objects.
 */

/** The formats events-fanout recognizes. */
export const EVENT_FORMATS = ['eventrouter', 'kube-eventer', 'core-v1', 'events-v1', 'event-exporter'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

/** core/v1 ObjectReference, as events carry it (`involvedObject`, `regarding`, `related`). */
export interface ObjectReference {
  readonly kind?: string;
  /** Empty or absent for cluster-scoped objects (Node, PersistentVolume, Namespace, ...). */
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly apiVersion?: string;
  readonly resourceVersion?: string;
  readonly fieldPath?: string;
}

/** The parts of ObjectMeta the fanout reads. */
export interface EventMetadata {
  readonly name?: string;
  /** Always set by the API server; "default" for events of cluster-scoped objects. */
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string | null;
}

/** core/v1 Event. */
export interface CoreV1Event {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: EventMetadata;
  readonly involvedObject: ObjectReference;
  readonly reason?: string;
  readonly message?: string;
  readonly source?: { readonly component?: string; readonly host?: string };
  readonly firstTimestamp?: string | null;
  readonly lastTimestamp?: string | null;
  readonly count?: number;
  readonly type?: string;
  readonly eventTime?: string | null;
  readonly action?: string;
  readonly related?: ObjectReference;
  readonly reportingComponent?: string;
  readonly reportingInstance?: string;
}

/** events.k8s.io/v1 Event. */
export interface EventsV1Event {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: EventMetadata;
  readonly eventTime?: string | null;
  /** The object this Event is about (core/v1's `involvedObject`). */
  readonly regarding: ObjectReference;
  readonly related?: ObjectReference;
  readonly note?: string;
  readonly reason?: string;
  readonly type?: string;
  readonly action?: string;
  readonly reportingController?: string;
  readonly reportingInstance?: string;
  readonly deprecatedSource?: { readonly component?: string; readonly host?: string };
  readonly deprecatedCount?: number;
}

/** eventrouter's envelope. */
export interface EventRouterRecord {
  readonly verb: 'ADDED' | 'UPDATED' | 'DELETED';
  readonly event: CoreV1Event;
  readonly old_event?: CoreV1Event;
}

/** kube-eventer's Kafka sink point. */
export interface KubeEventerRecord {
  /** The core/v1 Event, JSON-encoded (indented with one space) into a string. */
  readonly EventValue: string;
  /** `lastTimestamp`, else `eventTime`, else the time of export; RFC 3339 in UTC. */
  readonly EventTimestamp: string;
  readonly EventTags: Readonly<Record<string, string>>;
}

/** Header events-fanout sets on every output: the source format (an `EventFormat`). */
export const FORMAT_HEADER = 'klaxon.format';

/** The headers Klaxon's event exporter sets on every record (format 4 above). */
export const EXPORTER_HEADERS = {
  /** The watch verb: ADDED, MODIFIED or DELETED. */
  VERB: 'klaxon.verb',
  /** The name of the cluster the Event comes from. */
  CLUSTER: 'klaxon.cluster',
  /** The Event's metadata.resourceVersion when it was shipped. */
  RESOURCE_VERSION: 'klaxon.resource-version',
} as const;

/** The verbs of an event-exporter record (the watch event types). */
export const EXPORTER_VERBS = ['ADDED', 'MODIFIED', 'DELETED'] as const;
export type ExporterVerb = (typeof EXPORTER_VERBS)[number];
