import { AlertRuleSpec, EXAMPLE_404_RULE, alertRuleProblems, formatRuleProblem, nestedRepetition } from '../../../functions/contracts/alert-rules';

/** The problems of `rules`, one line each. */
function problems(rules: unknown): string[] {
  return alertRuleProblems(rules).map(formatRuleProblem);
}

const ok: AlertRuleSpec = { name: 'errors', match: { log: 'ERROR' } };

describe('alertRuleProblems: the one validator of construct and workload', () => {
  test('the seed 404 rule and a minimal rule are valid', () => {
    expect(problems([EXAMPLE_404_RULE, ok])).toEqual([]);
  });

  test('fails if the rules are not a list, or an empty one', () => {
    expect(problems({})).toEqual(["rules[0]: '' ({}) must be a list of rules"]);
    expect(problems([])).toEqual(["rules[0]: '' ([]) must list at least one rule: no log line would ever alert"]);
  });

  test('fails if a rule has an empty name', () => {
    expect(problems([{ ...ok, name: ' ' }])).toEqual(["rules[0]: 'name' (\" \") must be a non-empty string: it becomes the alertname label"]);
  });

  test('fails if two rules have the same name', () => {
    expect(problems([ok, ok])).toEqual(["rule \"errors\" (rules[1]): 'name' (\"errors\") is also the name of rules[0]; rule names are alertnames and must be unique"]);
  });

  test('fails if the severity is not critical, warning or info', () => {
    expect(problems([{ ...ok, severity: 'page' }])).toEqual(["rule \"errors\" (rules[0]): 'severity' (\"page\") must be one of critical, warning, info"]);
  });

  test('fails if the pod pattern is not a regular expression', () => {
    expect(problems([{ ...ok, match: { pod: 'web-[' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'match.pod' (\"web-[\") is not a valid regular expression: Invalid regular expression: /web-[/: Unterminated character class",
    ]);
  });

  test('fails if the log pattern is not a regular expression', () => {
    expect(problems([{ ...ok, match: { log: '(unclosed' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'match.log' (\"(unclosed\") is not a valid regular expression: Invalid regular expression: /(unclosed/: Unterminated group",
    ]);
  });

  test('fails if a pattern repeats a group that itself repeats (exponential backtracking)', () => {
    expect(problems([{ ...ok, match: { log: 'user=(\\w+\\s?)+$' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'match.log' (\"user=(\\\\w+\\\\s?)+$\") repeats \"(\\\\w+\\\\s?)+\", a group that itself repeats: on a line that almost matches, " +
        "the regular expression backtracks exponentially and blocks the alerter. Repeat the inner part only (e.g. '(a+)+' -> 'a+')",
    ]);
    expect(problems([{ ...ok, match: { pod: '(?:web-[a-z]*)*' } }])).toHaveLength(1);
  });

  test('a pattern that repeats a fixed-size group, or a group without repetition, is accepted', () => {
    expect(nestedRepetition('(\\d{1,3}\\.){3}\\d{1,3}')).toBeUndefined();
    expect(nestedRepetition('(ab|cd)+ (a{2})+ [(]a+[)]+ \\(a+\\)+')).toBeUndefined();
    expect(nestedRepetition(EXAMPLE_404_RULE.match.log!)).toBeUndefined();
    expect(nestedRepetition('x((a+)b){2,}')).toBe('((a+)b){2,}');
  });

  test('fails if match has no condition (the rule would fire for every line)', () => {
    expect(problems([{ name: 'all', match: {} }])).toEqual([
      "rule \"all\" (rules[0]): 'match' ({}) has no condition: the rule would fire for every log line; give at least one of namespaces, pod, containers, stream, log, fields",
    ]);
  });

  test('fails if a name list is empty or holds a non-name', () => {
    expect(problems([{ ...ok, match: { namespaces: [] } }])).toEqual(["rule \"errors\" (rules[0]): 'match.namespaces' ([]) must be a non-empty list of non-empty names (leave it out to match any)"]);
    expect(problems([{ ...ok, match: { containers: ['app', ''] } }])).toEqual(["rule \"errors\" (rules[0]): 'match.containers' ([\"app\",\"\"]) must be a non-empty list of non-empty names (leave it out to match any)"]);
  });

  test('fails if the stream is not stdout or stderr', () => {
    expect(problems([{ ...ok, match: { stream: 'both' } }])).toEqual(["rule \"errors\" (rules[0]): 'match.stream' (\"both\") must be 'stdout' or 'stderr'"]);
  });

  test('fails if a field match is not a plain value', () => {
    expect(problems([{ ...ok, match: { fields: { status: [404] } } }])).toEqual(["rule \"errors\" (rules[0]): 'match.fields.status' ([404]) must be a string, number, boolean or null (compared with ===)"]);
  });

  test('fails if a match condition is misspelt', () => {
    expect(problems([{ ...ok, match: { namespace: 'demo' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'match.namespace' (\"demo\") is not a match condition (namespaces, pod, containers, stream, log, fields)",
      "rule \"errors\" (rules[0]): 'match' ({\"namespace\":\"demo\"}) has no condition: the rule would fire for every log line; give at least one of namespaces, pod, containers, stream, log, fields",
    ]);
  });

  test('fails if a label name is not a Prometheus label name', () => {
    expect(problems([{ ...ok, labels: { 'team-name': 'web' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'labels.team-name' (\"web\") has label name \"team-name\", which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'",
    ]);
    expect(problems([{ ...ok, labels: { __meta: 'x' } }])).toHaveLength(1);
  });

  test('fails if a label is one the alerter sets itself', () => {
    expect(problems([{ ...ok, labels: { severity: 'page' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'labels.severity' (\"page\") sets 'severity', which the alerter sets itself (alertname, severity, namespace, pod, container); use 'name'/'severity' or another label name",
    ]);
  });

  test('fails if a template uses an unknown placeholder', () => {
    expect(problems([{ ...ok, summary: 'in {{namespce}}' }])).toEqual([
      "rule \"errors\" (rules[0]): 'summary' (\"in {{namespce}}\") uses unknown placeholder {{namespce}}; known: {{rule}}, {{severity}}, {{namespace}}, {{pod}}, {{container}}, {{image}}, {{node}}, {{stream}}, {{log}}, {{time}}, {{group.<name>}}, {{field.<key>}}",
    ]);
  });

  test('fails if a template names an inherited property ({{toString}}, {{constructor}}) as a placeholder', () => {
    expect(problems([{ ...ok, summary: '{{toString}} {{constructor}}' }])).toHaveLength(2);
    expect(problems([{ ...ok, summary: '{{toString}}' }])[0]).toMatch(/^rule "errors" \(rules\[0\]\): 'summary' \("\{\{toString\}\}"\) uses unknown placeholder \{\{toString\}\}; known: /);
  });

  test('fails if a template uses a group the log pattern does not have', () => {
    expect(problems([{ ...ok, match: { log: '(?<method>[A-Z]+) /' }, labels: { path: '{{group.path}}' } }])).toEqual([
      "rule \"errors\" (rules[0]): 'labels.path' (\"{{group.path}}\") uses {{group.path}} but 'match.log' has no named group 'path' (its groups are method)",
    ]);
  });

  test('fails if the throttle is not a whole number of seconds up to a week', () => {
    expect(problems([{ ...ok, throttleSeconds: 1.5 }])).toEqual(["rule \"errors\" (rules[0]): 'throttleSeconds' (1.5) must be a whole number of seconds from 0 to 604800 (one week)"]);
    expect(problems([{ ...ok, throttleSeconds: 604801 }])).toHaveLength(1);
  });

  test('fails if a rule has a field that is not a rule field', () => {
    expect(problems([{ ...ok, throttle: 60 }])).toEqual(["rule \"errors\" (rules[0]): 'throttle' (60) is not a rule field (name, severity, match, event, threshold, forSeconds, repeatIntervalSeconds, labels, summary, description, throttleSeconds)"]);
  });

  test('every problem of every rule is reported together', () => {
    expect(problems([{ name: '', match: { pod: '[' } }, { ...ok, severity: 'x' }])).toHaveLength(3);
  });
});
