/**
 * What the alerter learns about a rule's regular expressions before running them (pure):
 *  - nestedRepetition: a repeated group that itself repeats, which backtracks exponentially;
 *  - requiredLiteral: text every match must contain, so records without it are skipped unread.
 */

/**
 * The first repeated group of `pattern` whose body repeats too (`(a+)+`, `(?:x*y)*`, `(a+){2,}`),
 * or undefined. Such nesting lets a backtracking engine (V8's) try exponentially many ways to split
 * a line that almost matches. Alternations of overlapping branches (`(a|a)+`) are not detected.
 * `pattern` must be a valid regular expression.
 */
export function nestedRepetition(pattern: string): string | undefined {
  /** Open groups: where each starts and whether its body repeats something. */
  const open: Array<{ start: number; repeats: boolean }> = [];
  /** The atom just closed, if it was a group: where it starts and whether its body repeats. */
  let group: { start: number; repeats: boolean } | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const quantifier = repetitionAt(pattern, i);
    if (quantifier !== undefined) {
      if (quantifier.unbounded && group?.repeats) return pattern.slice(group.start, i + quantifier.length);
      if (quantifier.repeats && open.length > 0) open[open.length - 1].repeats = true;
      i += quantifier.length - 1;
      // A lazy suffix ('+?', '*?') belongs to this quantifier.
      if (pattern[i + 1] === '?') i++;
      group = undefined;
      continue;
    }
    group = undefined;
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (c === '(') {
      open.push({ start: i, repeats: false });
      if (pattern[i + 1] === '?') i++; // (?: (?= (?! (?<name> (?<= (?<! : not a quantifier
    } else if (c === ')') {
      const closed = open.pop();
      if (closed) {
        if (closed.repeats && open.length > 0) open[open.length - 1].repeats = true;
        group = closed;
      }
    }
  }
  return undefined;
}

/** The quantifier at `pattern[i]`: its length, whether it repeats a variable number of times (more than once) and whether without bound. */
function repetitionAt(pattern: string, i: number): { length: number; repeats: boolean; unbounded: boolean } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '+') return { length: 1, repeats: true, unbounded: true };
  if (c === '?') return { length: 1, repeats: false, unbounded: false };
  if (c !== '{') return undefined;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return undefined; // a literal '{'
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
  // A fixed count ('{3}') matches one way only: it does not multiply the ways to split a line.
  return { length: m[0].length, repeats: max > 1 && max !== min, unbounded: max === Infinity };
}


/**
 * Characters a JSON encoder writes as themselves (ASCII, not `"`, `\`, `/`, `<`, `>`, `&` or a
 * control character): a literal made of these appears byte for byte in the raw record whenever the
 * decoded string holds it.
 */
const JSON_SAFE = /^[A-Za-z0-9 _\-.,:;=!#%@~'()[\]{}+*?|^$`]$/;

/**
 * Literal texts every match of `pattern` contains (each at least `minLength` characters, JSON-safe
 * characters only), [] when none can be told. Conservative: a top-level alternation, a group, a
 * class, an escape class or an optional character ends a literal run and is skipped; a `|` at the top
 * level gives []. `pattern` must be a valid regular expression without flags.
 */
export function requiredLiterals(pattern: string, minLength = 3): string[] {
  const runs: string[] = [];
  let run = '';
  let depth = 0;
  const end = (): void => {
    if (run.length >= minLength) runs.push(run);
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (depth === 0 && c === '|') return [];
    let literal: string | undefined;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      // An escaped punctuation character is itself; \d, \w, \b, \1, \u.... are not literals.
      if (next !== '' && !/[A-Za-z0-9]/.test(next)) literal = next;
      else if ('uxcpPk'.includes(next)) {
        // \u0041, \u{41}, \x41, \cA, \p{L}, \k<name>: not read as literals; the escape's argument is skipped
        if (pattern[i + 1] === '{' || pattern[i + 1] === '<') while (i < pattern.length && pattern[i] !== '}' && pattern[i] !== '>') i++;
        else i += next === 'u' ? 4 : next === 'x' ? 2 : next === 'c' ? 1 : 0;
      }
    } else if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      end();
      continue;
    } else if (!'.^$*+?{}'.includes(c)) {
      literal = c;
    }
    if (depth > 0) continue;
    // A quantifier after this atom: optional (? * {0,...}) takes the atom out; any repetition ends the run after it.
    const q = quantifierAt(pattern, i + 1);
    if (literal === undefined) {
      end();
    } else if (q === undefined) {
      if (JSON_SAFE.test(literal)) run += literal;
      else end();
    } else {
      if (q.min > 0 && JSON_SAFE.test(literal)) run += literal;
      end();
    }
    if (q !== undefined) i += q.length + (pattern[i + 1 + q.length] === '?' ? 1 : 0);
  }
  end();
  return runs;
}

/** The quantifier starting at `pattern[i]`: its length and least count. */
function quantifierAt(pattern: string, i: number): { length: number; min: number } | undefined {
  const c = pattern[i];
  if (c === '*' || c === '?') return { length: 1, min: 0 };
  if (c === '+') return { length: 1, min: 1 };
  if (c !== '{') return undefined;
  const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
  return m ? { length: m[0].length, min: Number(m[1]) } : undefined;
}
