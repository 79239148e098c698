/**
 * How kube-eventer sink URLs are written: a query built in order (literal values percent-encoded,
 * secret references not), and the checks every sink applies to its values.
 */
import * as kplus from 'cdk8s-plus-27';
import { checkNonEmpty, checkNonEmptyList, checkOneOf, describeProp, PropError } from '../validation';
import type { KubeEventerLevel } from './kube-eventer-sink-options';
import type { KubeEventerSinkContext } from './kube-eventer-sinks';

/** A query string built in order; literal values are percent-encoded, secret refs are not. */
export class Query {
  private readonly parts: string[] = [];

  constructor(private readonly owner: string) {}

  /** Adds `key=value` for a literal value. */
  public add(key: string, value: string | number | boolean | undefined, prop: string = key): this {
    if (value === undefined) return this;
    this.parts.push(`${key}=${encodeLiteral(prop, String(value), this.owner)}`);
    return this;
  }

  /** Adds `key=${VAR}`. */
  public addRef(key: string, ref: string): this {
    this.parts.push(`${key}=${ref}`);
    return this;
  }

  /** Adds `key=a,b,c` (kube-eventer splits the first value on commas). */
  public addList(key: string, values: readonly string[] | undefined, prop: string): this {
    if (values === undefined) return this;
    checkNonEmptyList(prop, values, this.owner);
    for (const v of values) {
      if (v.includes(',')) throw new PropError(`${describeProp(prop, values, this.owner)} has ${JSON.stringify(v)}, which contains ',': kube-eventer splits '${key}' on commas.`);
      checkNonEmpty(prop, v, this.owner);
    }
    return this.add(key, values.join(','), prop);
  }

  public toString(): string {
    return this.parts.join('&');
  }
}

/** Percent-encodes a literal query value (keeping `:/,=@` readable) after refusing `$`. */
export function encodeLiteral(prop: string, value: string, owner: string): string {
  checkNoDollar(prop, value, owner);
  return encodeURIComponent(value)
    .replace(/%3A/g, ':').replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3D/g, '=').replace(/%40/g, '@');
}

export function checkNoDollar(prop: string, value: string, owner: string): void {
  if (value.includes('$')) {
    throw new PropError(
      `${describeProp(prop, value, owner)} contains '$': kube-eventer expands $VAR in --sink before parsing it, so the value would change. Put it in a Secret and pass it as a secret option.`,
    );
  }
}

export function addUserLike(query: Query, context: KubeEventerSinkContext, key: string, value: string | kplus.SecretValue, prop: string, owner: string): void {
  if (typeof value === 'string') query.add(key, checkNonEmpty(prop, value, owner), prop);
  else query.addRef(key, context.secretRef('USER', value));
}

export function checkLevel(level: KubeEventerLevel | undefined, owner: string): KubeEventerLevel | undefined {
  return level === undefined ? undefined : checkOneOf<KubeEventerLevel>('level', level, ['Normal', 'Warning'], owner);
}

export function joinUrl(base: string, query: Query): string {
  const q = query.toString();
  if (!q) return base;
  return `${base}${base.includes('?') ? '&' : '?'}${q}`;
}

// ---------------------------------------------------------------------------------------------
// Sinks
