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

/** True when `value` holds only JSON white space (no copy: stops at the first other byte). */
function isBlank(value: Buffer | string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = typeof value === 'string' ? value.charCodeAt(i) : value[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** Record headers as the runtime passes them on (only `klaxon.verb` is read). */
export type RecordHeaders = Readonly<Record<string, Buffer | string>>;

/** Reads one record value (and, for the event exporter's records, its `klaxon.verb` header). */
export function parseEventRecord(value: Buffer | string | null, headers?: RecordHeaders): ParsedEvent | DeadLetter {
  if (value === null || isBlank(value)) return new DeadLetter(FanoutReasons.EMPTY, 'the record has no value');
  const text = typeof value === 'string' ? value : value.toString('utf8');
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    return new DeadLetter(FanoutReasons.NOT_JSON, `the value is not JSON: ${(e as Error).message}`);
  }
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
  const old = root.old_event;
  const oldMeta = isObject(old) && isObject(old.metadata) ? old.metadata : undefined;
  return readEvent(root.event, 'eventrouter', 'involvedObject', verb as ParsedEvent['verb'], oldMeta);
}

function readKubeEventer(root: Json): ParsedEvent | DeadLetter {
  const inner = root.EventValue;
  let event: unknown = inner;
  if (typeof inner === 'string') {
    try {
      event = JSON.parse(inner);
    } catch (e) {
      return new DeadLetter(FanoutReasons.NOT_JSON, `kube-eventer EventValue is not JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(event)) return new DeadLetter(FanoutReasons.WRONG_SHAPE, 'kube-eventer EventValue does not hold an Event object');
  return readEvent(event, 'kube-eventer', 'involvedObject');
}

/** The ParsedEvent of an Event object; for eventrouter also its verb and the old event's metadata. */
function readEvent(event: Json, format: EventFormat, refField: 'involvedObject' | 'regarding', verb?: ParsedEvent['verb'], oldMeta?: Json): ParsedEvent | DeadLetter {
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
  const parsed: { -readonly [K in keyof ParsedEvent]: ParsedEvent[K] } = {
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
  if (verb !== undefined) {
    parsed.verb = verb;
    parsed.resourceVersion = nonEmptyString(meta?.resourceVersion);
    parsed.oldResourceVersion = nonEmptyString(oldMeta?.resourceVersion);
  }
  return parsed;
}
