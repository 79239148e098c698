import { alertSinkProblems, formatSinkProblem, sinkNames } from '../../../functions/contracts/alert-sinks';

function problems(sinks: unknown, env?: Record<string, string>): string[] {
  return alertSinkProblems(sinks, env).map(formatSinkProblem);
}

describe('alertSinkProblems: the one validator of construct and workload', () => {
  test('every sink type with its fields is valid', () => {
    const sinks = [
      { type: 'notification-manager' },
      { type: 'alertmanager', url: 'http://alertmanager:9093', timeoutMs: 5000 },
      { type: 'slack', urlEnv: 'SLACK_URL' },
      { type: 'webhook', name: 'pager', url: 'https://hooks.example/alert', method: 'PUT', headers: { 'X-Team': 'web' }, secretHeader: { name: 'Authorization', valueEnv: 'TOKEN' } },
    ];
    expect(problems(sinks)).toEqual([]);
    expect(problems(sinks, { SLACK_URL: 'https://hooks.slack.com/services/T/B/X', TOKEN: 'Bearer t' })).toEqual([]);
  });

  test('names default to the type, numbered from the second of a type on', () => {
    expect(sinkNames([{ type: 'slack' }, { type: 'webhook' }, { type: 'slack' }, { type: 'webhook', name: 'pager' }])).toEqual(['slack', 'webhook', 'slack-2', 'pager']);
  });

  test('fails if there is no sink', () => {
    expect(problems([])).toEqual(["sinks[0]: '' ([]) must list at least one sink: alerts would go nowhere"]);
  });

  test('fails if the type is unknown', () => {
    expect(problems([{ type: 'email' }])).toEqual(["sinks[0]: 'type' (\"email\") must be one of notification-manager, alertmanager, slack, webhook"]);
  });

  test('fails if a URL is not http(s)', () => {
    expect(problems([{ type: 'alertmanager', url: 'alertmanager:9093' }])).toEqual(["sink \"alertmanager\" (sinks[0]): 'url' (\"alertmanager:9093\") must be an http:// or https:// URL"]);
  });

  test('fails if a URL carries credentials', () => {
    expect(problems([{ type: 'webhook', url: 'https://user:pw@hooks.example/' }])).toEqual([
      "sink \"webhook\" (sinks[0]): 'url' (\"<redacted>\") must not carry credentials; use a secret header (webhook) or a Secret-backed sink",
    ]);
  });

  test('fails if two sinks have the same name', () => {
    expect(problems([{ type: 'notification-manager' }, { type: 'alertmanager', name: 'notification-manager', url: 'http://am:9093' }])).toEqual([
      "sink \"notification-manager\" (sinks[1]): 'name' (\"notification-manager\") is also the name of sinks[0]; give each sink its own 'name'",
    ]);
  });

  test('fails if a name is not lowercase letters, digits and dashes', () => {
    expect(problems([{ type: 'slack', name: 'Team Slack', urlEnv: 'S' }])).toEqual([
      "sink \"Team Slack\" (sinks[0]): 'name' (\"Team Slack\") must be 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  test('fails if the timeout is out of range', () => {
    expect(problems([{ type: 'notification-manager', timeoutMs: 50 }])).toEqual([
      "sink \"notification-manager\" (sinks[0]): 'timeoutMs' (50) must be a whole number of milliseconds from 100 to 300000",
    ]);
  });

  test('fails if an env name is not a variable name', () => {
    expect(problems([{ type: 'slack', urlEnv: 'slack-url' }])).toEqual([
      "sink \"slack\" (sinks[0]): 'urlEnv' (\"slack-url\") must be an environment variable name (letters, digits and '_', not starting with a digit)",
    ]);
  });

  test('fails at start if a secret variable is not set, or the Slack URL in it is not a URL', () => {
    expect(problems([{ type: 'slack', urlEnv: 'SLACK_URL' }], {})).toEqual([
      "sink \"slack\" (sinks[0]): 'urlEnv' (\"SLACK_URL\") names an environment variable that is not set; the Deployment fills it from a Secret key (is the Secret there?)",
    ]);
    expect(problems([{ type: 'slack', urlEnv: 'SLACK_URL' }], { SLACK_URL: 'xoxb-token' })).toEqual([
      "sink \"slack\" (sinks[0]): 'urlEnv' (\"SLACK_URL\") names an environment variable whose value is not an http:// or https:// URL",
    ]);
  });

  test("fails if the Alertmanager URL already holds the API path the alerter appends, or a query", () => {
    expect(problems([{ type: 'alertmanager', url: 'http://alertmanager:9093/api/v2/alerts' }])).toEqual([
      "sink \"alertmanager\" (sinks[0]): 'url' (\"http://alertmanager:9093/api/v2/alerts\") must be Alertmanager's base URL (e.g. http://alertmanager-main.monitoring.svc:9093, or with its --web.route-prefix): the alerter appends /api/v2/alerts itself",
    ]);
    expect(problems([{ type: 'alertmanager', url: 'http://alertmanager:9093/?x=1' }])).toEqual([
      "sink \"alertmanager\" (sinks[0]): 'url' (\"http://alertmanager:9093/?x=1\") must be Alertmanager's base URL without '?' query or '#' fragment (e.g. http://alertmanager-main.monitoring.svc:9093)",
    ]);
    expect(problems([{ type: 'alertmanager', url: 'http://monitoring:9093/alertmanager/' }])).toEqual([]);
  });

  test('fails at start if a secret header value cannot be sent as a header value, without echoing it', () => {
    const sinks = [{ type: 'webhook', url: 'http://h/', secretHeader: { name: 'Authorization', valueEnv: 'TOKEN' } }];
    expect(problems(sinks, { TOKEN: 'Bearer a\nb' })).toEqual([
      "sink \"webhook\" (sinks[0]): 'secretHeader.valueEnv' (\"TOKEN\") names an environment variable whose value cannot be sent as a header value (line breaks, control characters or characters beyond Latin-1); check the Secret key",
    ]);
    expect(problems(sinks, { TOKEN: 'Bearer t\n' })).toEqual([]); // a trailing newline (kubectl create secret --from-file) is trimmed
  });

  test('fails if the webhook method is not POST or PUT', () => {
    expect(problems([{ type: 'webhook', url: 'http://h/', method: 'GET' }])).toEqual(["sink \"webhook\" (sinks[0]): 'method' (\"GET\") must be one of POST, PUT"]);
  });

  test('fails if a webhook header is not a header, or sets content-type, or repeats the secret header', () => {
    expect(problems([{ type: 'webhook', url: 'http://h/', headers: { 'X Team': 'a' } }])).toEqual(["sink \"webhook\" (sinks[0]): 'headers.X Team' (\"a\") has a name that is not an HTTP header name"]);
    expect(problems([{ type: 'webhook', url: 'http://h/', headers: { 'Content-Type': 'text/plain' } }])).toEqual([
      "sink \"webhook\" (sinks[0]): 'headers.Content-Type' (\"text/plain\") is set by the alerter (application/json)",
    ]);
    expect(problems([{ type: 'webhook', url: 'http://h/', headers: { authorization: 'x' }, secretHeader: { name: 'Authorization', valueEnv: 'T' } }])).toEqual([
      "sink \"webhook\" (sinks[0]): 'secretHeader.name' (\"Authorization\") is also in 'headers'; set it once",
    ]);
    expect(problems([{ type: 'webhook', url: 'http://h/', secretHeader: { name: 'Content-Type', valueEnv: 'T' } }])).toEqual([
      "sink \"webhook\" (sinks[0]): 'secretHeader.name' (\"Content-Type\") is set by the alerter (application/json)",
    ]);
  });

  test('fails if a field does not belong to the sink type', () => {
    expect(problems([{ type: 'slack', urlEnv: 'S', url: 'https://hooks.slack.com/x' }])).toEqual([
      "sink \"slack\" (sinks[0]): 'url' (\"https://hooks.slack.com/x\") is not a field of a slack sink (type, name, timeoutMs, urlEnv, group)",
    ]);
  });
});
