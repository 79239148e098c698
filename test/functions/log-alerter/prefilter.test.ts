/**
 * The prefilter skips a log record only when no rule can match it: its required literals are
 * checked against the regular expressions themselves (every match contains them) and the whole
 * prefilter against the rule engine over the benchmark corpus (a skipped record raises nothing).
 */
import { AlertRuleSpec, EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../../functions/contracts/log-record';
import { requiredLiterals } from '../../../functions/contracts/regex-safety';
import { RecordPrefilter } from '../../../functions/log-alerter/prefilter';
import { compileRules, evaluate, parseLogRecord } from '../../../functions/log-alerter/rules';
import { DeadLetter } from '../../../functions/runtime/handler';
import { FANOUT_ERROR_RULE, logRecord, TEN_RULES } from '../../../bench/log-records';

describe('requiredLiterals: text every match of a regular expression contains', () => {
  test.each([
    ['" 404 ', [' 404 ']],
    [EXAMPLE_404_RULE.match.log!, [' HTTP', ' 404 ']],
    ['wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}', ['wordpress-v1-']],
    ['OOMKilled|Evicted', []],
    ['level=(error|fatal) msg=timeout', ['level=', ' msg=timeout']],
    ['connection refused\\.?', ['connection refused']],
    ['ab?cdef', ['cdef']],
    ['x{0,3}yyyy', ['yyyy']],
    ['abc+def', ['abc', 'def']],
    ['\\bpanic: \\w+', ['panic: ']],
    ['ERROR \\d+ at /api/v1', ['ERROR ', ' at ', 'api']],
    ['caf\\u00e9 open', ['caf', ' open']],
    ['^start(?=x)ing$', ['start', 'ing']],
    ['[abc]+ (?:def)* tail', [' tail']],
  ])('%s → %j', (pattern, expected) => {
    expect(requiredLiterals(pattern)).toEqual(expected);
  });

  const patterns = ['" 404 ', EXAMPLE_404_RULE.match.log!, 'level=(error|fatal) msg=timeout', 'ab?cdef', 'x{0,3}yyyy', 'abc+def', 'ERROR \\d+ at /api/v1', '[abc]+ (?:def)* tail', 'time(out)? after \\d+s'];
  const lines = [
    '10.0.0.1 - - "GET /x HTTP/1.1" 404 12',
    'level=error msg=timeout',
    'level=fatal msg=timeout now',
    'acdef abcdef',
    'yyyy xyyyy xxxyyyy',
    'abcccdef abcdef',
    'ERROR 42 at /api/v1/users',
    'aab tail  defdef tail',
    'timeout after 3s, time after 5s',
  ];

  test('every match of each pattern over sample lines contains all its literals', () => {
    let matches = 0;
    for (const pattern of patterns) {
      const re = new RegExp(pattern, 'g');
      for (const line of lines) {
        for (const m of line.matchAll(re)) {
          matches++;
          for (const literal of requiredLiterals(pattern)) expect(m[0]).toContain(literal);
        }
      }
    }
    expect(matches).toBeGreaterThan(10);
  });
});

describe('RecordPrefilter', () => {
  const rules: AlertRuleSpec[] = [EXAMPLE_404_RULE, FANOUT_ERROR_RULE];

  test.each([
    ['the two rules of main.ts, 7 % matching', rules, 70, 100, 0.5],
    ['ten rules, 1 % matching', TEN_RULES as AlertRuleSpec[], 10, 150, 0.9],
  ])('%s: skips no record a rule matches, over 20,000 corpus records, and skips most of the others', (_, specs, matchPerMille, minAlerts, minSkipped) => {
    const prefilter = RecordPrefilter.forRules(specs)!;
    const compiled = compileRules(specs);
    let skipped = 0;
    let alerts = 0;
    for (let seq = 0; seq < 20_000; seq++) {
      const { value, expected } = logRecord(seq, 1_700_000_000_000 + seq, false, matchPerMille);
      const record = parseLogRecord(value, 1 << 20);
      const fired = record instanceof DeadLetter ? [] : evaluate(record, compiled, { now: new Date() });
      expect(fired.map((f) => f.rule)).toEqual(expected ? [expected] : []);
      alerts += fired.length;
      if (!prefilter.mayMatch(value)) {
        skipped++;
        expect(fired).toEqual([]);
        expect(record).not.toBeInstanceOf(DeadLetter);
      }
    }
    expect(alerts).toBeGreaterThan(minAlerts);
    expect(skipped).toBeGreaterThan(20_000 * minSkipped);
  });

  describe('picks the rules by the namespace only when it is certain', () => {
    const shopRule: AlertRuleSpec = { name: 'shop 5xx', match: { namespaces: ['shop'], log: ' 503 ' } };
    const prefilter = RecordPrefilter.forRules([shopRule])!;
    // `before` comes first in the JSON, ahead of the record's own keys
    const line = (namespace: string, before: Record<string, unknown> = {}) =>
      Buffer.from(JSON.stringify({ ...before, ...CANONICAL_404_RECORD, log: 'GET / 503 12', kubernetes: { ...CANONICAL_404_RECORD.kubernetes, namespace_name: namespace } }));

    test('a record of the rule\'s namespace with its text may match; of another namespace it is skipped', () => {
      expect(prefilter.mayMatch(line('shop'))).toBe(true);
      expect(prefilter.mayMatch(line('checkout'))).toBe(false);
    });

    test('a second "namespace_name" key (in the parsed log line) makes every rule a candidate', () => {
      const nested = line('shop', { log_processed: { namespace_name: 'checkout' } });
      expect(nested.toString().indexOf('"namespace_name":"checkout"')).toBeLessThan(nested.toString().indexOf('"namespace_name":"shop"'));
      expect(prefilter.mayMatch(nested)).toBe(true);
    });

    test('a namespace written with an escape is not read: every rule is tried', () => {
      const escaped = Buffer.from(line('shop').toString().replace('"namespace_name":"shop"', '"namespace_name":"s\\u0068op"'));
      expect(JSON.parse(escaped.toString()).kubernetes.namespace_name).toBe('shop');
      expect(prefilter.mayMatch(escaped)).toBe(true);
    });
  });

  test('parses every record that does not look like a log record, so unreadable ones are still dead-lettered', () => {
    const prefilter = RecordPrefilter.forRules(rules)!;
    for (const value of ['not json', '{"log":"x"}', '[1,2]', '{"log":"x","kubernetes":{"namespace_name":"a"', '']) expect(prefilter.mayMatch(Buffer.from(value))).toBe(true);
    expect(prefilter.mayMatch(null)).toBe(true);
  });

  test('parses a record with a \\u escape (it could spell a literal) and the canonical 404 record', () => {
    const prefilter = RecordPrefilter.forRules(rules)!;
    expect(prefilter.mayMatch(Buffer.from(JSON.stringify(CANONICAL_404_RECORD)))).toBe(true);
    const escaped = JSON.stringify(CANONICAL_404_RECORD).replace(' 404 ', ' \\u0034\\u00304 ');
    expect(prefilter.mayMatch(Buffer.from(escaped))).toBe(true);
    const other = JSON.stringify({ ...CANONICAL_404_RECORD, log: 'all fine' });
    expect(prefilter.mayMatch(Buffer.from(other))).toBe(false);
  });

  test('is off when a rule has no literal text (it could match any record)', () => {
    expect(RecordPrefilter.forRules([...rules, { name: 'any', match: { stream: 'stderr' } }])).toBeUndefined();
  });
});
