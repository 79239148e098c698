import { ApiObject, Testing } from 'cdk8s';
import { KlaxonChart } from '../../../constructs/klaxon-chart';
import { NotificationManagerSlackConfig } from '../../../constructs/alerting/notification-manager/slack-config';
import { NotificationManagerSlackReceiver, NotificationManagerSlackReceiverProps } from '../../../constructs/alerting/notification-manager/slack-receiver';
import {
  NmWebhookTarget,
  NotificationManagerWebhookReceiver,
  NotificationManagerWebhookReceiverProps,
} from '../../../constructs/alerting/notification-manager/webhook-receiver';
import { NM_CONFIG_SELECTION_LABEL } from '../../../constructs/alerting/notification-manager/support';
import { messageOf, namespacedChart, objectsOf, oneOf, schemaProblems } from '../support';

const TOKEN = { name: 'slack-token', key: 'token' };

function slack(props: Partial<NotificationManagerSlackReceiverProps> = {}) {
  const chart = namespacedChart();
  const config = new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: TOKEN });
  const receiver = new NotificationManagerSlackReceiver(chart, 'SlackAlerts', { config, channels: ['#klaxon-alerts'], ...props });
  return { chart, config, receiver };
}

function webhook(props: Partial<NotificationManagerWebhookReceiverProps> = {}) {
  const chart = namespacedChart();
  const receiver = new NotificationManagerWebhookReceiver(chart, 'Pager', { target: NmWebhookTarget.url('https://pager.example.com/hooks/klaxon'), ...props });
  return { chart, receiver };
}

describe('Notification Manager Slack', () => {
  test('the Config points at the token Secret key and carries the default-config label; the receiver selects exactly that Config', () => {
    // GIVEN
    const { chart, config } = slack();
    // WHEN
    const cfg = oneOf(chart, 'Config');
    const rcv = oneOf(chart, 'Receiver');
    // THEN
    expect(cfg.apiVersion).toBe('notification.kubesphere.io/v2beta2');
    expect(cfg.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'klaxon', 'type': 'default', [NM_CONFIG_SELECTION_LABEL]: 'test-SlackConfig-c8e6f742' });
    expect(cfg.spec).toEqual({ slack: { slackTokenSecret: { valueFrom: { secretKeyRef: { name: 'slack-token', key: 'token' } } } } });
    expect(rcv.apiVersion).toBe('notification.kubesphere.io/v2beta2');
    expect(rcv.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'klaxon', 'type': 'global' });
    expect(rcv.spec).toEqual({
      slack: {
        channels: ['#klaxon-alerts'],
        slackConfigSelector: { matchLabels: { [NM_CONFIG_SELECTION_LABEL]: config.selectorLabels[NM_CONFIG_SELECTION_LABEL] } },
      },
    });
    expect(ApiObject.of(config)).toBe(config.resource);
  });

  test('no token value ever reaches the manifest: only the Secret name, key and namespace', () => {
    // GIVEN
    const chart = namespacedChart();
    // WHEN
    new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { name: 'slack-token', key: 'bot-token', namespace: 'ops' } });
    // THEN
    expect(oneOf(chart, 'Config').spec.slack.slackTokenSecret).toEqual({ valueFrom: { secretKeyRef: { name: 'slack-token', key: 'bot-token', namespace: 'ops' } } });
  });

  test('every receiver prop reaches the manifest: channels, alert selector with NM Match, labels of a customised NotificationManager, disabled', () => {
    // GIVEN
    const chart = namespacedChart();
    const config = new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: TOKEN, defaultConfigLabels: { 'klaxon.io/nm': 'default' } });
    // WHEN
    new NotificationManagerSlackReceiver(chart, 'SlackAlerts', {
      config,
      channels: ['#klaxon-alerts', 'C024BE91L'],
      alertSelector: {
        matchLabels: { severity: 'critical' },
        matchExpressions: [
          { key: 'namespace', operator: 'In', values: ['shop', 'billing'] },
          { key: 'alertname', operator: 'Match', regexValue: '^Http(404|5..)$' },
          { key: 'silenced', operator: 'DoesNotExist' },
        ],
      },
      globalReceiverLabels: { 'klaxon.io/nm': 'global' },
      enabled: false,
    });
    // THEN
    expect(oneOf(chart, 'Config').metadata.labels['klaxon.io/nm']).toBe('default');
    expect(oneOf(chart, 'Config').metadata.labels).not.toHaveProperty('type');
    const rcv = oneOf(chart, 'Receiver');
    expect(rcv.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'klaxon', 'klaxon.io/nm': 'global' });
    expect(rcv.spec.slack).toEqual({
      channels: ['#klaxon-alerts', 'C024BE91L'],
      enabled: false,
      alertSelector: {
        matchLabels: { severity: 'critical' },
        matchExpressions: [
          { key: 'namespace', operator: 'In', values: ['shop', 'billing'] },
          { key: 'alertname', operator: 'Match', regexValue: '^Http(404|5..)$' },
          { key: 'silenced', operator: 'DoesNotExist' },
        ],
      },
      slackConfigSelector: { matchLabels: { ...config.selectorLabels } },
    });
  });

  test('a receiver without a Config leaves the choice of token to NM (any default Slack Config)', () => {
    // GIVEN
    const chart = namespacedChart();
    // WHEN
    new NotificationManagerSlackReceiver(chart, 'SlackAlerts', { channels: ['alerts'] });
    // THEN
    expect(oneOf(chart, 'Receiver').spec).toEqual({ slack: { channels: ['alerts'] } });
  });

  test('two Configs get different selection labels, so each receiver reaches its own token', () => {
    // GIVEN
    const chart = namespacedChart();
    const a = new NotificationManagerSlackConfig(chart, 'TeamA', { token: { name: 'a', key: 'token' } });
    const b = new NotificationManagerSlackConfig(chart, 'TeamB', { token: { name: 'b', key: 'token' } });
    // THEN
    expect(a.selectorLabels[NM_CONFIG_SELECTION_LABEL]).not.toBe(b.selectorLabels[NM_CONFIG_SELECTION_LABEL]);
  });

  test('Config and Receiver are cluster-scoped: a KlaxonChart drops its namespace from them, and they validate against the NM 2.6.0 CRDs, closed', () => {
    // GIVEN
    const chart = new KlaxonChart(Testing.app(), 'alerting', { namespace: 'klaxon' });
    const config = new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: TOKEN });
    new NotificationManagerSlackReceiver(chart, 'SlackAlerts', { config, channels: ['#a'], alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: '404' }] } });
    new NotificationManagerWebhookReceiver(chart, 'Audit', {
      target: NmWebhookTarget.service({ name: 'alert-audit', namespace: 'ops', port: 8443, path: '/alerts', scheme: 'https' }),
      httpConfig: { basicAuth: { username: 'nm', password: { name: 'audit', key: 'password' } }, tls: { rootCa: { name: 'audit', key: 'ca.crt' }, clientCertificate: { cert: { name: 'audit', key: 'tls.crt' }, key: { name: 'audit', key: 'tls.key' } }, serverName: 'audit.ops' }, proxyUrl: 'http://proxy.ops:3128' },
    });
    // WHEN
    const objects = chart.toJson();
    // THEN
    expect(objects).toHaveLength(3);
    for (const o of objects) expect(o.metadata).not.toHaveProperty('namespace');
    expect(schemaProblems(objects)).toEqual([]);
  });

  describe('fails', () => {
    test('fails if no channel is given', () => {
      expect(messageOf(() => slack({ channels: [] }))).toBe("'channels' ([]) of NotificationManagerSlackReceiver 'SlackAlerts' must list at least one item.");
    });

    test('fails if a channel is empty or has spaces', () => {
      expect(messageOf(() => slack({ channels: ['#ok', 'klaxon alerts'] }))).toBe(
        "'channels[1]' (\"klaxon alerts\") of NotificationManagerSlackReceiver 'SlackAlerts' must be a Slack channel name or id without spaces, e.g. '#klaxon-alerts'.",
      );
      expect(messageOf(() => slack({ channels: [''] }))).toBe(
        "'channels[0]' (\"\") of NotificationManagerSlackReceiver 'SlackAlerts' must be a Slack channel name or id without spaces, e.g. '#klaxon-alerts'.",
      );
    });

    test('fails if a channel is listed twice', () => {
      expect(messageOf(() => slack({ channels: ['#a', '#a'] }))).toBe(
        "'channels' ([\"#a\",\"#a\"]) of NotificationManagerSlackReceiver 'SlackAlerts' lists a channel twice; NM would post every alert there twice.",
      );
    });

    test('fails if the token reference has no key', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { name: 'slack-token' } as any }))).toBe(
        "'token.key' (undefined) of NotificationManagerSlackConfig 'SlackConfig' must name a key of Secret 'slack-token': letters, digits, '-', '_' and '.'.",
      );
    });

    test('fails if the token reference names no valid Secret', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { name: 'Slack_Token', key: 'token' } }))).toBe(
        "'token.name' (\"Slack_Token\") of NotificationManagerSlackConfig 'SlackConfig' must be a Secret name: lowercase letters, digits, '-' and '.', at most 253 characters.",
      );
    });

    test('fails if the token is a string instead of a Secret reference', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: 'xoxb-123' as any }))).toBe(
        "'token' (\"xoxb-123\") of NotificationManagerSlackConfig 'SlackConfig' must be a Secret reference { name, key } (Klaxon renders the reference, never the value).",
      );
    });

    test('fails if the token namespace is not a namespace name', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { ...TOKEN, namespace: 'Ops' } }))).toBe(
        "'token.namespace' (\"Ops\") of NotificationManagerSlackConfig 'SlackConfig' must be a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.",
      );
    });

    test('fails if the default-config labels are empty', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: TOKEN, defaultConfigLabels: {} }))).toBe(
        "'defaultConfigLabels' ({}) of NotificationManagerSlackConfig 'SlackConfig' must hold at least one label, or NM selects nothing by it.",
      );
    });

    test('fails if a selection label key or value is not a Kubernetes label', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'A', { token: TOKEN, defaultConfigLabels: { type: 'default config' } }))).toBe(
        "'defaultConfigLabels.type' (\"default config\") of NotificationManagerSlackConfig 'A' must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty).",
      );
      expect(messageOf(() => new NotificationManagerSlackConfig(chart, 'B', { token: TOKEN, defaultConfigLabels: { 'nm type': 'default' } }))).toBe(
        "'defaultConfigLabels' ({\"nm type\":\"default\"}) of NotificationManagerSlackConfig 'B' has label key \"nm type\", which is not a Kubernetes label key: [prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
      );
      expect(() => new NotificationManagerSlackConfig(chart, 'C', { token: TOKEN, defaultConfigLabels: { 'klaxon.io/nm': 'default' } })).not.toThrow();
    });

    test('fails if the global-receiver labels are empty', () => {
      expect(messageOf(() => slack({ globalReceiverLabels: {} }))).toBe(
        "'globalReceiverLabels' ({}) of NotificationManagerSlackReceiver 'SlackAlerts' must hold at least one label, or NM selects nothing by it.",
      );
    });

    test('fails if an alert selector selects everything', () => {
      expect(messageOf(() => slack({ alertSelector: {} }))).toBe(
        "'alertSelector' ({}) of NotificationManagerSlackReceiver 'SlackAlerts' selects every alert; give 'matchLabels' or 'matchExpressions', or leave 'alertSelector' out.",
      );
    });

    test('fails if an In requirement has no values', () => {
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'namespace', operator: 'In' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].values' ([]) of NotificationManagerSlackReceiver 'SlackAlerts' must list at least one value for operator 'In'.",
      );
    });

    test('fails if a Match requirement has values instead of a regexValue', () => {
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match', values: ['x'] }] } }))).toBe(
        "'alertSelector.matchExpressions[0].values' ([\"x\"]) of NotificationManagerSlackReceiver 'SlackAlerts' must be empty for operator 'Match'; put the pattern in 'regexValue'.",
      );
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].regexValue' (undefined) of NotificationManagerSlackReceiver 'SlackAlerts' must be set for operator 'Match'.",
      );
    });

    test('fails if a regexValue is not a regular expression, or is given to another operator', () => {
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: '(' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].regexValue' (\"(\") of NotificationManagerSlackReceiver 'SlackAlerts' is not a regular expression.",
      );
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'In', values: ['a'], regexValue: 'a' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].regexValue' (\"a\") of NotificationManagerSlackReceiver 'SlackAlerts' is only read for operator 'Match', not 'In'.",
      );
    });

    test("fails if a regexValue uses lookaround or a backreference, which NM's Go RE2 does not support", () => {
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'alertname', operator: 'Match', regexValue: '^Http(?!404)' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].regexValue' (\"^Http(?!404)\") of NotificationManagerSlackReceiver 'SlackAlerts' uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), " +
          "which Go's RE2 (Notification Manager compiles the pattern with it) does not support; NM would reject the Receiver's selector.",
      );
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'pod', operator: 'Match', regexValue: '(a)-\\1' }] } }))).toBe(
        "'alertSelector.matchExpressions[0].regexValue' (\"(a)-\\\\1\") of NotificationManagerSlackReceiver 'SlackAlerts' uses a backreference (\\1, \\k<name>), " +
          "which Go's RE2 (Notification Manager compiles the pattern with it) does not support; NM would reject the Receiver's selector.",
      );
      // escaped backslashes and characters in a class are plain characters
      expect(() => slack({ alertSelector: { matchExpressions: [{ key: 'path', operator: 'Match', regexValue: '\\\\1[(?=]' }] } })).not.toThrow();
    });

    test('fails if an operator is unknown', () => {
      expect(messageOf(() => slack({ alertSelector: { matchExpressions: [{ key: 'a', operator: 'Regex' as any }] } }))).toBe(
        "'alertSelector.matchExpressions[0].operator' (\"Regex\") of NotificationManagerSlackReceiver 'SlackAlerts' must be one of 'In', 'NotIn', 'Exists', 'DoesNotExist', 'Match'.",
      );
    });
  });
});

describe('Notification Manager webhook', () => {
  test('a URL target renders url only, as a global receiver', () => {
    // GIVEN
    const { chart } = webhook();
    // WHEN
    const rcv = oneOf(chart, 'Receiver');
    // THEN
    expect(rcv.metadata.labels).toEqual({ 'app.kubernetes.io/part-of': 'klaxon', 'type': 'global' });
    expect(rcv.spec).toEqual({ webhook: { url: 'https://pager.example.com/hooks/klaxon' } });
  });

  test('a Service target renders name, namespace, port, path and scheme (port always: NM joins the path to the host without a slash otherwise)', () => {
    // GIVEN
    const { chart } = webhook({ target: NmWebhookTarget.service({ name: 'alert-audit', namespace: 'ops', port: 8080 }) });
    // THEN
    expect(oneOf(chart, 'Receiver').spec).toEqual({ webhook: { service: { name: 'alert-audit', namespace: 'ops', port: 8080, path: '/', scheme: 'http' } } });
  });

  test('every httpConfig prop reaches the manifest as Secret references', () => {
    // GIVEN
    const { chart } = webhook({
      httpConfig: {
        bearerToken: { name: 'pager', key: 'token', namespace: 'ops' },
        tls: { rootCa: { name: 'pager', key: 'ca.crt' }, serverName: 'pager.example.com' },
        proxyUrl: 'http://proxy.ops:3128',
      },
      alertSelector: { matchLabels: { severity: 'critical' } },
      enabled: false,
    });
    // THEN
    expect(oneOf(chart, 'Receiver').spec.webhook).toEqual({
      url: 'https://pager.example.com/hooks/klaxon',
      httpConfig: {
        bearerToken: { valueFrom: { secretKeyRef: { name: 'pager', key: 'token', namespace: 'ops' } } },
        tlsConfig: { rootCA: { valueFrom: { secretKeyRef: { name: 'pager', key: 'ca.crt' } } }, serverName: 'pager.example.com' },
        proxyUrl: 'http://proxy.ops:3128',
      },
      alertSelector: { matchLabels: { severity: 'critical' } },
      enabled: false,
    });
    expect(objectsOf(chart, 'Receiver')).toHaveLength(1);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  describe('fails', () => {
    const owner = "NotificationManagerWebhookReceiver 'Pager'";

    test('fails if the URL is not http(s)', () => {
      expect(messageOf(() => webhook({ target: NmWebhookTarget.url('ftp://pager.example.com') }))).toBe(`'target.url' ("ftp://pager.example.com") of ${owner} must be an http:// or https:// URL.`);
      expect(messageOf(() => webhook({ target: NmWebhookTarget.url('pager.example.com/hook') }))).toBe(`'target.url' ("pager.example.com/hook") of ${owner} must be an http:// or https:// URL.`);
    });

    test('fails if the URL carries credentials, without echoing them', () => {
      expect(messageOf(() => webhook({ target: NmWebhookTarget.url('https://nm:s3cret@pager.example.com/') }))).toBe(
        `'target.url' ("https://***@pager.example.com/") of ${owner} carries credentials; NM refuses user:password in the URL. Use 'httpConfig.basicAuth' with a Secret.`,
      );
    });

    test('fails if the target is not an NmWebhookTarget', () => {
      expect(messageOf(() => webhook({ target: 'https://pager.example.com' as any }))).toBe(
        `'target' ("https://pager.example.com") of ${owner} must be NmWebhookTarget.url(url) or NmWebhookTarget.service({ name, namespace, port }).`,
      );
    });

    test('fails if the Service port, name, namespace or path is invalid', () => {
      const svc = { name: 'alert-audit', namespace: 'ops', port: 8080 };
      expect(messageOf(() => webhook({ target: NmWebhookTarget.service({ ...svc, port: 0 }) }))).toBe(`'target.service.port' (0) of ${owner} must be at least 1.`);
      expect(messageOf(() => webhook({ target: NmWebhookTarget.service({ ...svc, name: 'Alert_Audit' }) }))).toBe(
        `'target.service.name' ("Alert_Audit") of ${owner} must be a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
      );
      expect(messageOf(() => webhook({ target: NmWebhookTarget.service({ ...svc, namespace: '' }) }))).toBe(
        `'target.service.namespace' ("") of ${owner} must be a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
      );
      expect(messageOf(() => webhook({ target: NmWebhookTarget.service({ ...svc, path: 'alerts' }) }))).toBe(`'target.service.path' ("alerts") of ${owner} must be a URL path starting with '/'.`);
      expect(messageOf(() => webhook({ target: NmWebhookTarget.service({ ...svc, scheme: 'ftp' as any }) }))).toBe(`'target.service.scheme' ("ftp") of ${owner} must be one of 'http', 'https'.`);
    });

    test('fails if both a bearer token and basic auth are set', () => {
      expect(messageOf(() => webhook({ httpConfig: { bearerToken: { name: 'a', key: 'b' }, basicAuth: { username: 'nm', password: { name: 'a', key: 'c' } } } }))).toBe(
        `'httpConfig' ({"bearerToken":"…","basicAuth":"…"}) of ${owner} sets both 'bearerToken' and 'basicAuth'; an HTTP request carries one Authorization header. Keep one.`,
      );
    });

    test('fails if a Secret reference of httpConfig has no key', () => {
      expect(messageOf(() => webhook({ httpConfig: { bearerToken: { name: 'pager' } as any } }))).toBe(
        `'httpConfig.bearerToken.key' (undefined) of ${owner} must name a key of Secret 'pager': letters, digits, '-', '_' and '.'.`,
      );
    });

    test('fails if the basic auth user is empty or holds a colon', () => {
      expect(messageOf(() => webhook({ httpConfig: { basicAuth: { username: 'nm:x', password: { name: 'a', key: 'b' } } } }))).toBe(
        `'httpConfig.basicAuth.username' ("nm:x") of ${owner} must be a non-empty user name without ':'.`,
      );
    });

    test('fails if TLS settings are given for a plain http target', () => {
      expect(messageOf(() => webhook({ target: NmWebhookTarget.url('http://pager.example.com/'), httpConfig: { tls: { serverName: 'pager' } } }))).toBe(
        `'httpConfig.tls' ({"serverName":"pager"}) of ${owner} has no effect on the plain http target http://pager.example.com/; use an https URL or scheme 'https'.`,
      );
    });

    test('fails if the proxy URL is not http(s)', () => {
      expect(messageOf(() => webhook({ httpConfig: { proxyUrl: 'socks5://proxy:1080' } }))).toBe(`'httpConfig.proxyUrl' ("socks5://proxy:1080") of ${owner} must be an http:// or https:// URL.`);
    });
  });
});
