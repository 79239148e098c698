/**
 * Recognizes and reads the three source formats (see functions/contracts/event-formats.ts).
 * Pure: bytes in, a `ParsedEvent` or a `DeadLetter` out; never throws.
 *
 * Recognition, in order, on the top-level JSON object:
 * 1. `verb` and `event` present → eventrouter (verb must be ADDED, UPDATED or DELETED);
 * 2. `EventValue` present → kube-eventer (a JSON string holding the Event; an object is accepted);
 * 3. `involvedObject` present → core/v1 Event;
 * 4. `regarding` present → events.k8s.io/v1 Event; with the `klaxon.verb` header (ADDED, MODIFIED
 *    or DELETED) it is Klaxon's event exporter's record (format `event-exporter`);
 * anything else is `unknown-format` (`wrong-shape` when it says `kind: Event`).
 */
import { EXPORTER_HEADERS, EXPORTER_VERBS, EventFormat, ExporterVerb, ObjectReference } from '../contracts/event-formats';
import { DeadLetter } from '../runtime/handler';

/** Why a record is dead-lettered by events-fanout (the `klaxon.reason` header, a metric label). */
export const FanoutReasons = {
  /** No value, or only white space. */
  EMPTY: 'empty',
  /** The value (or kube-eventer's EventValue) is not JSON. */
  NOT_JSON: 'not-json',
  /** JSON that is none of the known formats. */
  UNKNOWN_FORMAT: 'unknown-format',
  /** A known format with fields missing or of the wrong type. */
  WRONG_SHAPE: 'wrong-shape',
  /** Neither the involved object nor the Event has a namespace. */
  NO_NAMESPACE: 'no-namespace',
  /** The namespace is not a Kubernetes namespace name, so no topic can be named after it. */
  BAD_NAMESPACE: 'bad-namespace',
} as const;

/** What the fanout needs from one event record. */
export interface ParsedEvent {
  readonly format: EventFormat;
  /** The object the Event is about (`involvedObject` / `regarding`); `kind` and `name` are set. */
  readonly involved: ObjectReference & { readonly kind: string; readonly name: string };
  /** The Event's own `metadata.namespace`, if any. */
  readonly eventNamespace?: string;
  /** eventrouter and event-exporter only. */
  readonly verb?: 'ADDED' | 'UPDATED' | 'DELETED' | ExporterVerb;
  /** eventrouter UPDATED only: resourceVersion of `event` and of `old_event`. */
  readonly resourceVersion?: string;
  readonly oldResourceVersion?: string;
}

type Json = Record<string, unknown>;

const VERBS = ['ADDED', 'UPDATED', 'DELETED'] as const;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Record headers as the runtime passes them on (only `klaxon.verb` is read). */
export type RecordHeaders = Readonly<Record<string, Buffer | string>>;

/** Reads one record value (and, for the event exporter's records, its `klaxon.verb` header). */
export function parseEventRecord(value: Buffer | string | null, headers?: RecordHeaders): ParsedEvent | DeadLetter {
  const text = value === null ? '' : typeof value === 'string' ? value : value.toString('utf8');
  if (text.trim().length === 0) return new DeadLetter(FanoutReasons.EMPTY, 'the record has no value');
  const parsed = parseJson(text);
  if (!parsed.ok) return new DeadLetter(FanoutReasons.NOT_JSON, `the value is not JSON: ${parsed.error}`);
  const root = parsed.value;
  if (!isObject(root)) return new DeadLetter(FanoutReasons.UNKNOWN_FORMAT, `the value is JSON ${Array.isArray(root) ? 'array' : typeof root}, not an object`);

  if ('verb' in root && 'event' in root) return readEventRouter(root);
  if ('EventValue' in root) return readKubeEventer(root);
  if ('involvedObject' in root) return readEvent(root, 'core-v1', 'involvedObject');
  if ('regarding' in root) {
    const verbHeader = headers?.[EXPORTER_HEADERS.VERB];
    if (verbHeader === undefined) return readEvent(root, 'events-v1', 'regarding');
    const verb = verbHeader.toString();
    if (!(EXPORTER_VERBS as readonly string[]).includes(verb)) {
      return new DeadLetter(FanoutReasons.WRONG_SHAPE, `event-exporter record with ${EXPORTER_HEADERS.VERB} ${JSON.stringify(verb)}; expected ${EXPORTER_VERBS.join(', ')}`);
    }
    const event = readEvent(root, 'event-exporter', 'regarding');
    return event instanceof DeadLetter ? event : { ...event, verb: verb as ExporterVerb };
  }
  if (root.kind === 'Event') {
    return new DeadLetter(FanoutReasons.WRONG_SHAPE, 'an Event with neither involvedObject nor regarding');
  }
  return new DeadLetter(
    FanoutReasons.UNKNOWN_FORMAT,
    'not an eventrouter record (verb, event), a kube-eventer record (EventValue) or an Event (involvedObject or regarding)',
  );
}

function readEventRouter(root: Json): ParsedEvent | DeadLetter {
  const verb = root.verb;
  if (typeof verb !== 'string' || !(VERBS as readonly string[]).includes(verb)) {
    return new DeadLetter(FanoutReasons.WRONG_SHAPE, `eventrouter record with verb ${JSON.stringify(verb)}; expected ${VERBS.join(', ')}`);
  }
  if (!isObject(root.event)) return new DeadLetter(FanoutReasons.WRONG_SHAPE, 'eventrouter record whose "event" is not an object');
  const event = readEvent(root.event, 'eventrouter', 'involvedObject');
  if (event instanceof DeadLetter) return event;
  const old = root.old_event;
  const oldMeta = isObject(old) && isObject(old.metadata) ? old.metadata : undefined;
  const meta = isObject(root.event.metadata) ? root.event.metadata : undefined;
  return {
    ...event,
    verb: verb as ParsedEvent['verb'],
    resourceVersion: nonEmptyString(meta?.resourceVersion),
    oldResourceVersion: nonEmptyString(oldMeta?.resourceVersion),
  };
}

function readKubeEventer(root: Json): ParsedEvent | DeadLetter {
  const inner = root.EventValue;
  let event: unknown = inner;
  if (typeof inner === 'string') {
    const parsed = parseJson(inner);
    if (!parsed.ok) return new DeadLetter(FanoutReasons.NOT_JSON, `kube-eventer EventValue is not JSON: ${parsed.error}`);
    event = parsed.value;
  }
  if (!isObject(event)) return new DeadLetter(FanoutReasons.WRONG_SHAPE, 'kube-eventer EventValue does not hold an Event object');
  return readEvent(event, 'kube-eventer', 'involvedObject');
}

function readEvent(event: Json, format: EventFormat, refField: 'involvedObject' | 'regarding'): ParsedEvent | DeadLetter {
  const ref = event[refField];
  if (!isObject(ref)) return new DeadLetter(FanoutReasons.WRONG_SHAPE, `the Event's "${refField}" is not an object`);
  const kind = nonEmptyString(ref.kind);
  const name = nonEmptyString(ref.name);
  if (!kind || !name) return new DeadLetter(FanoutReasons.WRONG_SHAPE, `the Event's "${refField}" has no kind or no name`);
  for (const field of ['namespace', 'uid'] as const) {
    if (ref[field] !== undefined && ref[field] !== null && typeof ref[field] !== 'string') {
      return new DeadLetter(FanoutReasons.WRONG_SHAPE, `the Event's "${refField}.${field}" is not a string`);
    }
  }
  const meta = isObject(event.metadata) ? event.metadata : undefined;
  return {
    format,
    involved: {
      kind,
      name,
      namespace: nonEmptyString(ref.namespace),
      uid: nonEmptyString(ref.uid),
      apiVersion: nonEmptyString(ref.apiVersion),
    },
    eventNamespace: nonEmptyString(meta?.namespace),
  };
}
