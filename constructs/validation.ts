/**
 * One small set of checks for construct props. Every failure names the prop in quotes, the value
 * received and the limit or the fix, so a bad prop fails synth with a message a user can act on:
 *
 *   'partitions' (0) of KafkaTopic 'logs' must be at least 1.
 */
import { namespaceNameProblem, topicNameProblem } from '../functions/contracts/topic-names';

/** A DNS label (RFC 1123), without the 63-character limit: container names, label values that are names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS subdomain (RFC 1123), without the 253-character limit: most Kubernetes object names. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Thrown for a construct prop that can never synthesize into a working manifest. */
export class PropError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropError';
  }
}

/** `'prop' (value)`, with an optional ` of Kind 'name'` owner, as every message starts. */
export function describeProp(prop: string, value: unknown, owner?: string): string {
  return `'${prop}' (${formatValue(value)})${owner ? ` of ${owner}` : ''}`;
}

/** JSON for strings and objects, plain text for numbers and booleans. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A whole number within [min, max]. */
export function checkInteger(prop: string, value: number, limits: { min?: number; max?: number; owner?: string } = {}): number {
  const where = describeProp(prop, value, limits.owner);
  if (!Number.isInteger(value)) throw new PropError(`${where} must be a whole number.`);
  if (limits.min !== undefined && value < limits.min) throw new PropError(`${where} must be at least ${limits.min}.`);
  if (limits.max !== undefined && value > limits.max) throw new PropError(`${where} must be at most ${limits.max}.`);
  return value;
}

/** A string with something in it besides white space. */
export function checkNonEmpty(prop: string, value: string, owner?: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new PropError(`${describeProp(prop, value, owner)} must not be empty.`);
  }
  return value;
}

/** A non-empty list. */
export function checkNonEmptyList<T>(prop: string, value: readonly T[], owner?: string): readonly T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new PropError(`${describeProp(prop, value, owner)} must list at least one item.`);
  }
  return value;
}

/** One of a closed set of values. */
export function checkOneOf<T extends string>(prop: string, value: T, allowed: readonly T[], owner?: string): T {
  if (!allowed.includes(value)) {
    throw new PropError(`${describeProp(prop, value, owner)} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
  }
  return value;
}

/** A Kafka topic name Kafka accepts. */
export function checkTopicName(prop: string, value: string, owner?: string): string {
  const problem = topicNameProblem(value);
  if (problem) throw new PropError(`${describeProp(prop, value, owner)} is not a valid Kafka topic name: ${problem}.`);
  return value;
}

/** A Kubernetes namespace name (DNS label). */
export function checkNamespaceName(prop: string, value: string, owner?: string): string {
  const problem = namespaceNameProblem(value);
  if (problem) throw new PropError(`${describeProp(prop, value, owner)} is not a valid namespace: ${problem}.`);
  return value;
}

/** A DNS label (RFC 1123): a container name, a label value that is also a name. */
export function checkDnsLabel(prop: string, value: string, owner?: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    throw new PropError(`${describeProp(prop, value, owner)} must be a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`);
  }
  return value;
}

/** The name part of a Kubernetes label key ([prefix/]name). */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A Kubernetes label value (may be empty). */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Kubernetes labels: every key `[prefix/]name`, every value a label value; returns a copy. */
export function checkLabels(prop: string, labels: Record<string, string>, owner?: string): Record<string, string> {
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) throw new PropError(`${describeProp(prop, labels, owner)} must map label keys to values.`);
  for (const [key, value] of Object.entries(labels)) {
    const [prefix, name, extra] = key.includes('/') ? key.split('/') : [undefined, key, undefined];
    if (extra !== undefined || !LABEL_NAME.test(name) || (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))) {
      throw new PropError(`${describeProp(prop, labels, owner)} has label key ${JSON.stringify(key)}, which is not a Kubernetes label key: [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`);
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw new PropError(`${describeProp(`${prop}.${key}`, value, owner)} must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty).`);
    }
  }
  return { ...labels };
}

/** An absolute filesystem path. */
export function checkAbsolutePath(prop: string, value: string, owner?: string): string {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    throw new PropError(`${describeProp(prop, value, owner)} must be an absolute path (starting with '/').`);
  }
  return value;
}

/** An http(s) URL. */
export function checkUrl(prop: string, value: string, owner?: string): string {
  let ok = false;
  try {
    const url = new URL(value);
    ok = url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) throw new PropError(`${describeProp(prop, value, owner)} must be an http:// or https:// URL.`);
  return value;
}
