/**
 * Parked alerts, pure: the record an alert becomes in a sink's retry topic (`<group>.retry.<sink>`,
 * functions/contracts/topic-names.ts), reading it back, and whether a sink has a backlog there.
 *
 * A parked record carries the alert for that one sink: key the alert's fingerprint, value
 * `{ "rule", "alert" }` (the AlertmanagerAlert as it was raised), headers with the attempt metadata:
 * `klaxon.sink`, `klaxon.attempts` (attempts made before parking), `klaxon.parked-at`,
 * `klaxon.last-error`, and where the alert came from (`klaxon.source-topic`, `-partition`, `-offset`).
 *
 * `ParkState` keeps per-sink order: once a sink has anything parked, later alerts for it are parked
 * too, until the retry consumer has delivered everything up to the end of the retry topic. It only
 * ever raises what it knows (end offset, delivered offset), from this process's own parks and
 * deliveries and from the offsets polled from the broker (other replicas' parks and deliveries).
 */
import type { AlertmanagerAlert } from '../contracts/alert-sinks';
import type { HeaderValue } from '../runtime/handler';
import type { MatchedAlert } from './rules';

/** Header names of a parked record. */
export const ParkedHeaders = {
  SINK: 'klaxon.sink',
  ATTEMPTS: 'klaxon.attempts',
  PARKED_AT: 'klaxon.parked-at',
  LAST_ERROR: 'klaxon.last-error',
  SOURCE_TOPIC: 'klaxon.source-topic',
  SOURCE_PARTITION: 'klaxon.source-partition',
  SOURCE_OFFSET: 'klaxon.source-offset',
} as const;

/** Characters of the last error kept in `klaxon.last-error`. */
const MAX_ERROR_CHARS = 500;

/** One record for a sink's retry topic. */
export interface ParkedMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** Why an alert is parked and where it came from. */
export interface ParkContext {
  readonly sink: string;
  /** Attempts to deliver it made before parking (0: parked unsent, behind earlier parked alerts). */
  readonly attempts: number;
  /** The last failure, or why it was not tried. */
  readonly lastError: string;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly now: Date;
}

/** The retry-topic record of `m` for one sink. */
export function parkedMessage(m: MatchedAlert, context: ParkContext): ParkedMessage {
  const error = context.lastError.length > MAX_ERROR_CHARS ? `${context.lastError.slice(0, MAX_ERROR_CHARS)}…` : context.lastError;
  return {
    key: m.alert.fingerprint,
    value: JSON.stringify({ rule: m.rule, alert: m.alert }),
    headers: {
      [ParkedHeaders.SINK]: context.sink,
      [ParkedHeaders.ATTEMPTS]: String(context.attempts),
      [ParkedHeaders.PARKED_AT]: context.now.toISOString(),
      [ParkedHeaders.LAST_ERROR]: error,
      [ParkedHeaders.SOURCE_TOPIC]: context.source.topic,
      [ParkedHeaders.SOURCE_PARTITION]: String(context.source.partition),
      [ParkedHeaders.SOURCE_OFFSET]: context.source.offset,
    },
  };
}

/** A parked alert read back. */
export interface ParkedAlert {
  readonly rule: string;
  readonly alert: AlertmanagerAlert;
  /** Attempts made before parking (the header; 0 when absent or unreadable). */
  readonly attempts: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): boolean => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/** Reads a retry-topic record; a string says why it is not a parked alert. */
export function readParked(value: Buffer | null, headers: Readonly<Record<string, HeaderValue>> = {}): ParkedAlert | string {
  if (value === null || value.length === 0) return 'the parked record has no value';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (e) {
    return `the parked record is not JSON: ${(e as Error).message}`;
  }
  if (!isRecord(parsed) || typeof parsed.rule !== 'string' || !isRecord(parsed.alert)) return 'the parked record is not { rule, alert }';
  const a = parsed.alert;
  const ok =
    (a.status === 'firing' || a.status === 'resolved') &&
    isStringMap(a.labels) &&
    isStringMap(a.annotations) &&
    typeof a.startsAt === 'string' &&
    typeof a.endsAt === 'string' &&
    typeof a.generatorURL === 'string' &&
    typeof a.fingerprint === 'string';
  if (!ok) return 'the parked alert lacks status, labels, annotations, startsAt, endsAt, generatorURL or fingerprint';
  const attempts = Number(String(headers[ParkedHeaders.ATTEMPTS] ?? '0'));
  return { rule: parsed.rule, alert: a as unknown as AlertmanagerAlert, attempts: Number.isInteger(attempts) && attempts >= 0 ? attempts : 0 };
}

/** What is known of one sink's retry topic (one partition). */
interface Offsets {
  /** The end offset (the next offset to be written). */
  end: number;
  /** The next offset to deliver (everything before it was delivered or dead-lettered). */
  delivered: number;
  /** True once the broker's offsets were read (or a park told the end). */
  known: boolean;
}

/** Per-sink backlog of a retry topic: parked and not yet delivered. */
export class ParkState {
  private readonly sinks = new Map<string, Offsets>();

  constructor(sinks: readonly string[]) {
    for (const s of sinks) this.sinks.set(s, { end: 0, delivered: 0, known: false });
  }

  /** True when alerts for `sink` must be parked (to stay behind what is parked), or nothing is known yet. */
  mustPark(sink: string): boolean {
    const o = this.at(sink);
    return !o.known || o.end > o.delivered;
  }

  /** Alerts parked for `sink` and not yet delivered (0 until known). */
  backlog(sink: string): number {
    const o = this.at(sink);
    return Math.max(0, o.end - o.delivered);
  }

  /** True once the offsets of every sink were read at least once. */
  get known(): boolean {
    return [...this.sinks.values()].every((o) => o.known);
  }

  /** This process parked an alert for `sink` at `offset`. */
  parked(sink: string, offset: number): void {
    const o = this.at(sink);
    o.end = Math.max(o.end, offset + 1);
  }

  /** The retry consumer delivered (or dead-lettered) the record at `offset` of `sink`'s retry topic. */
  delivered(sink: string, offset: number): void {
    const o = this.at(sink);
    o.delivered = Math.max(o.delivered, offset + 1);
    o.end = Math.max(o.end, o.delivered);
  }

  /**
   * The broker's offsets of `sink`'s retry topic: its end offset, and the retry group's committed
   * offset (-1 when it committed nothing yet: then `start`, the topic's first offset, is next).
   */
  observed(sink: string, end: number, committed: number, start: number): void {
    const o = this.at(sink);
    o.end = Math.max(o.end, end);
    o.delivered = Math.max(o.delivered, committed >= 0 ? committed : start);
    o.known = true;
  }

  private at(sink: string): Offsets {
    const o = this.sinks.get(sink);
    if (!o) throw new Error(`unknown sink '${sink}'`);
    return o;
  }
}
