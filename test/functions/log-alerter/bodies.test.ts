import { EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../../functions/contracts/log-record';
import { alertmanagerAlerts, notificationManagerMessage, slackEscape, slackMessage, webhookBody } from '../../../functions/log-alerter/bodies';
import { compileRules, evaluate } from '../../../functions/log-alerter/rules';

const [{ alert }] = evaluate(CANONICAL_404_RECORD, compileRules([EXAMPLE_404_RULE]), { now: new Date(0), generatorURL: 'https://logs.example/search' });
const LABELS = {
  alertname: '404 Request',
  severity: 'warning',
  namespace: 'demo-project',
  pod: 'wordpress-v1-f54f697c5-hdn2z',
  container: 'container-nrdsp1',
  method: 'GET',
  path: '/notfound',
};
const ANNOTATIONS = {
  summary: 'HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z',
  description: '*.*.*.* - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"',
};

describe('what each sink receives for the canonical 404 alert', () => {
  test('Notification Manager gets an Alertmanager webhook message (version 4), keys in the order kube-eventer renders them', () => {
    const body = notificationManagerMessage(alert);
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      receiver: 'klaxon-log-alerter',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: LABELS,
          annotations: ANNOTATIONS,
          startsAt: '2021-08-25T01:54:37.227Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://logs.example/search',
          fingerprint: alert.fingerprint,
        },
      ],
      groupLabels: { alertname: '404 Request' },
      commonLabels: LABELS,
      commonAnnotations: ANNOTATIONS,
      externalURL: '',
      version: '4',
      groupKey: '{}:{alertname="404 Request"}',
    });
    expect(Object.keys(body)).toEqual(['receiver', 'status', 'alerts', 'groupLabels', 'commonLabels', 'commonAnnotations', 'externalURL', 'version', 'groupKey']);
  });

  test('several alerts go in one message as Alertmanager groups them: what they share is common, firing while any fires', () => {
    const other = { ...alert, status: 'resolved' as const, labels: { ...alert.labels, path: '/wp-login.php' }, fingerprint: 'other' };
    const body = notificationManagerMessage(alert, other);
    expect(body.alerts).toEqual([alert, other]);
    expect(body.status).toBe('firing');
    const { path: _path, ...shared } = LABELS;
    expect(body.commonLabels).toEqual(shared);
    expect(body.groupLabels).toEqual({ alertname: '404 Request' });
    expect(body.commonAnnotations).toEqual(ANNOTATIONS);
    expect(notificationManagerMessage({ ...other, labels: { ...other.labels, alertname: 'Other' } }, alert)).toMatchObject({ groupLabels: {}, groupKey: '{}:{}' });
    expect(alertmanagerAlerts(alert, other).map((a) => a.labels.path)).toEqual(['/notfound', '/wp-login.php']);
  });

  test('Alertmanager gets a postable alert array: labels, annotations, startsAt, generatorURL, no endsAt', () => {
    expect(alertmanagerAlerts(alert)).toEqual([{ labels: LABELS, annotations: ANNOTATIONS, startsAt: '2021-08-25T01:54:37.227Z', generatorURL: 'https://logs.example/search' }]);
    expect(alertmanagerAlerts({ ...alert, generatorURL: '' })[0]).not.toHaveProperty('generatorURL');
  });

  test('Slack gets text for the notification and blocks: title and summary, labels, the line as code, time and fingerprint', () => {
    expect(slackMessage(alert)).toEqual({
      text: '[WARNING] 404 Request: HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*[WARNING] 404 Request*\nHTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z' } },
        { type: 'section', text: { type: 'mrkdwn', text: '*namespace*: demo-project\n*pod*: wordpress-v1-f54f697c5-hdn2z\n*container*: container-nrdsp1\n*method*: GET\n*path*: /notfound' } },
        { type: 'section', text: { type: 'mrkdwn', text: '```*.*.*.* - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"```' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `started 2021-08-25T01:54:37.227Z · fingerprint ${alert.fingerprint}` }] },
      ],
    });
  });

  test("Slack text escapes &, < and > and long lines are cut to fit Slack's 3000-character sections", () => {
    expect(slackEscape('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const long = slackMessage({ ...alert, annotations: { ...alert.annotations, description: 'y'.repeat(5000) } });
    const code = (long.blocks[2] as { text: { text: string } }).text.text;
    expect(code.length).toBeLessThanOrEqual(3000);
    expect(code.startsWith('```') && code.endsWith('…```')).toBe(true);
  });

  test('Slack text and blocks show a log line holding a mention or a link as text: no <!channel> ping, no link', () => {
    const hostile = { ...alert, annotations: { summary: 'GET /<!channel> & <https://evil.example|login>', description: 'x' } };
    const message = slackMessage(hostile);
    expect(message.text).toBe('[WARNING] 404 Request: GET /&lt;!channel&gt; &amp; &lt;https://evil.example|login&gt;');
    expect(JSON.stringify(message)).not.toMatch(/<!channel>|<https:/);
  });

  test('a webhook gets the alert itself', () => {
    expect(webhookBody(alert)).toBe(alert);
  });
});
