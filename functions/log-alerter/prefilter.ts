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
const SHAPE = ['"log"', '"kubernetes"', '"namespace_name"', '"pod_name"'];
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

/** Skips records no rule could match; `undefined` from `forRules` when some rule could match anything. */
export class RecordPrefilter {
  private constructor(private readonly rules: readonly RuleNeedles[]) {}

  static forRules(specs: readonly AlertRuleSpec[]): RecordPrefilter | undefined {
    const rules: RuleNeedles[] = [];
    for (const spec of specs) {
      const needles = ruleNeedles(spec);
      if (!needles) return undefined;
      rules.push(needles);
    }
    return rules.length > 0 ? new RecordPrefilter(rules) : undefined;
  }

  /**
   * False only when the record certainly matches no rule (and looks like a log record). The bytes are
   * read as latin1 (one char per byte, the cheapest decoding): every needle is ASCII, so it is found
   * in that string exactly when its bytes are in the record. The rules are tried first: a record some
   * rule may match needs no shape check.
   */
  mayMatch(value: Buffer | null): boolean {
    if (value === null || value.length === 0 || value[0] !== 0x7b || value[value.length - 1] !== 0x7d) return true;
    const raw = value.toString('latin1');
    if (this.rules.some((r) => r.all.every((n) => raw.includes(n)) && r.anyOf.every((list) => list.some((n) => raw.includes(n))))) return true;
    if (raw.includes(UNICODE_ESCAPE)) return true;
    for (const s of SHAPE) if (!raw.includes(s)) return true;
    return false;
  }
}
