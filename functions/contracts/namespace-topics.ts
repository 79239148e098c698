/**
 * The settings of a namespace topic the fanout creates on first sight (opt-in), as the EventsFanout
 * construct renders them (FanoutEnv.CREATE_NAMESPACE_TOPICS and CREATED_TOPIC_*) and the fanout reads
 * them back: one shape, one encoding, one check on both sides.
 *
 * Pure module: no Kafka, no Node APIs, safe to import from constructs/.
 */

/** What a topic created on first sight gets: the declared namespace topics' settings. */
export interface CreatedTopicSpec {
  /** Partitions. */
  readonly partitions: number;
  /** Replication factor. */
  readonly replicas: number;
  /** Topic config (Kafka topic-level keys → values, as strings). */
  readonly config: Readonly<Record<string, string>>;
}

/** The value of FanoutEnv.CREATE_NAMESPACE_TOPICS that turns the mode on. */
export const CREATE_NAMESPACE_TOPICS_ON = 'true';

/** Upper bounds the runtime accepts (Kafka's own are higher; these catch typos). */
export const CREATED_TOPIC_LIMITS = { maxPartitions: 10_000, maxReplicas: 32 } as const;

/** The FANOUT_CREATED_TOPIC_CONFIG text of `config`: JSON, keys sorted, every value a string. */
export function encodeTopicConfig(config: Readonly<Record<string, string | number | boolean>>): string {
  const out: Record<string, string> = {};
  for (const key of Object.keys(config).sort()) out[key] = String(config[key]);
  return JSON.stringify(out);
}

/** Reads FANOUT_CREATED_TOPIC_CONFIG; throws an Error saying what is wrong. */
export function parseTopicConfig(raw: string): Readonly<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('must be a JSON object of topic config keys to string values, e.g. {"retention.ms":"7200000"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('must be a JSON object of topic config keys to string values');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9.]*$/.test(key)) throw new Error(`key '${key}' is not a Kafka topic config key`);
    if (typeof value !== 'string') throw new Error(`the value of '${key}' must be a string (got ${JSON.stringify(value)})`);
    out[key] = value;
  }
  return Object.freeze(out);
}
