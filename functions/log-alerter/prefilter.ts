/**
 * A prefilter over the raw bytes of a log record (pure): a record no rule could match is skipped
 * without JSON.parse. For each log rule, the texts any matching record must hold in its raw JSON:
 *  - every required literal of `match.log` and `match.pod` (regex-safety.ts requiredLiterals);
 *  - one of `match.namespaces`, one of `match.containers` (DNS labels);
 *  - every string value of `match.fields` made of JSON-safe characters.
 * Exact: a JSON encoder writes those characters as themselves, so a record holding the decoded
 * text holds the bytes; a record with a `\u` escape anywhere is always parsed (it could spell a
 * letter). A rule with none of these texts disables the prefilter (every record is parsed).
 * Only records that look like container log records (an object with "log", "kubernetes",
 * "namespace_name" and "pod_name") are skipped: anything else is parsed, so unreadable records are
 * still dead-lettered as before (the workload also parses every record over ALERTER_MAX_RECORD_BYTES,
 * so it is dead-lettered as too large).
 */
import type { AlertRuleSpec } from '../contracts/alert-rules';
import { requiredLiterals } from '../contracts/regex-safety';

const SAFE_TEXT = /^[A-Za-z0-9 _\-.,:;=!#%@~'()[\]{}+*?|^$`]+$/;
const SHAPE = ['"log"', '"kubernetes"', '"namespace_name"', '"pod_name"'] as const;
const UNICODE_ESCAPE = '\\u';

/** The raw texts of one rule (ASCII): all of `all`, and one of each list in `anyOf`. */
export interface RuleNeedles {
  readonly all: readonly string[];
  readonly anyOf: ReadonlyArray<readonly string[]>;
}

/** The needles of a log rule, or undefined when it has none (it could match any record). */
export function ruleNeedles(spec: AlertRuleSpec): RuleNeedles | undefined {
  const m = spec.match;
  if (!m) return undefined;
  const all = [...(m.log !== undefined ? requiredLiterals(m.log) : []), ...(m.pod !== undefined ? requiredLiterals(m.pod) : [])];
  for (const v of Object.values(m.fields ?? {})) if (typeof v === 'string' && SAFE_TEXT.test(v)) all.push(v);
  const anyOf = [m.namespaces, m.containers].filter((l): l is readonly string[] => l !== undefined && l.every((n) => SAFE_TEXT.test(n)));
  if (all.length === 0 && anyOf.length === 0) return undefined;
  return { all, anyOf };
}

/** The key of the namespace in Fluent Bit's kubernetes metadata, as it writes it (compact JSON). */
const NAMESPACE_KEY = '"namespace_name":"';

/** Skips records no rule could match; `undefined` from `forRules` when some rule could match anything. */
export class RecordPrefilter {
  /** Namespace → the rules that may match a record of it (those without namespaces, and those listing it). */
  private readonly byNamespace = new Map<string, readonly RuleNeedles[]>();
  /** Rules without a namespace list: candidates for a record of any namespace. */
  private readonly unscoped: readonly RuleNeedles[];

  private constructor(
    private readonly rules: readonly RuleNeedles[],
    namespaces: ReadonlyArray<readonly string[] | undefined>,
  ) {
    this.unscoped = rules.filter((_, i) => namespaces[i] === undefined);
    const names = new Set(namespaces.flatMap((n) => n ?? []));
    for (const name of names) {
      // The namespace itself is known to be in the record: its needle list is dropped.
      const own = rules.flatMap((r, i) => (namespaces[i]?.includes(name) ? [{ all: r.all, anyOf: r.anyOf.filter((l) => l !== namespaces[i]) }] : []));
      this.byNamespace.set(name, [...this.unscoped, ...own]);
    }
  }

  static forRules(specs: readonly AlertRuleSpec[]): RecordPrefilter | undefined {
    const rules: RuleNeedles[] = [];
    const namespaces: Array<readonly string[] | undefined> = [];
    for (const spec of specs) {
      const needles = ruleNeedles(spec);
      if (!needles) return undefined;
      rules.push(needles);
      // Only a list the needles hold (SAFE_TEXT names) can pick rules by namespace.
      namespaces.push(needles.anyOf.find((l) => l === spec.match?.namespaces));
    }
    return rules.length > 0 ? new RecordPrefilter(rules, namespaces) : undefined;
  }

  /**
   * False only when the record certainly matches no rule (and looks like a log record). The bytes are
   * read as latin1 (one char per byte, the cheapest decoding): every needle is ASCII, so it is found
   * in that string exactly when its bytes are in the record.
   *
   * The namespace picks the rules to try: `"namespace_name":"` found exactly once is the record's
   * namespace or, when the record has none, a key of a nested object (no rule with namespaces can
   * match then, so trying the other namespace's rules is only wasted work); inside a JSON string every
   * quote is escaped, so the text cannot come from a string. Found twice or not at all, or a namespace
   * written with an escape: every rule is tried. The rules come first: a record some rule may match
   * needs no shape check.
   */
  mayMatch(value: Buffer | null): boolean {
    if (value === null || value.length === 0 || value[0] !== 0x7b || value[value.length - 1] !== 0x7d) return true;
    const raw = value.toString('latin1');
    const at = raw.indexOf(NAMESPACE_KEY);
    if (anyRuleMay(this.candidates(raw, at), raw)) return true;
    if (raw.includes(UNICODE_ESCAPE)) return true;
    return !looksLikeLogRecord(raw, at);
  }

  /** The rules a record may match, by its namespace (see mayMatch); `at`: where NAMESPACE_KEY is. */
  private candidates(raw: string, at: number): readonly RuleNeedles[] {
    if (at < 0 || raw.includes(NAMESPACE_KEY, at + NAMESPACE_KEY.length)) return this.rules;
    const start = at + NAMESPACE_KEY.length;
    const end = raw.indexOf('"', start);
    const namespace = raw.slice(start, end);
    if (end < 0 || namespace.includes('\\')) return this.rules;
    return this.byNamespace.get(namespace) ?? this.unscoped;
  }
}

/**
 * Whether the record has the keys of a container log record (SHAPE): the kubernetes keys are looked
 * for near the namespace key first (where Fluent Bit writes them), `"log"` from the start.
 */
function looksLikeLogRecord(raw: string, namespaceAt: number): boolean {
  if (namespaceAt < 0 || !raw.includes(SHAPE[0])) return false;
  for (const key of [SHAPE[1], SHAPE[3]]) if (raw.lastIndexOf(key, namespaceAt) < 0 && !raw.includes(key, namespaceAt)) return false;
  return true;
}

function anyRuleMay(rules: readonly RuleNeedles[], raw: string): boolean {
  for (const r of rules) {
    if (r.all.every((n) => raw.includes(n)) && r.anyOf.every((list) => list.some((n) => raw.includes(n)))) return true;
  }
  return false;
}
