/**
 * log-alerter end to end on the real broker: kcat writes the canonical 404 record (exact bytes) to
 * the logs topic; the bundle, run with the env of its synthesized Deployment, delivers the alert to
 * the real Alertmanager (which then routes it to its webhook), to a Notification Manager stand-in,
 * a Slack incoming-webhook stand-in and a generic webhook with a Secret-backed header. A record no
 * rule matches sends nothing; both offsets are committed.
 */
import * as kplus from 'cdk8s-plus-27';
import { AlertRule } from '../../constructs/alerting/alert-rule';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, alertmanagerUrl, genericWebhook, getAlerts, kcatProduce, notificationManager, slackWebhook, waitForAlertmanagerDelivery } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';

jest.setTimeout(240_000); // a slow 2-core CI machine: every wait below polls, so a pass is as fast as the machine allows

describe('log-alerter delivers the seed 404 alert everywhere', () => {
  const { start } = alerterSuite();
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('the canonical 404 record reaches Alertmanager, Notification Manager, Slack and a webhook; a non-matching record sends nothing', async () => {
    // GIVEN receivers, fresh topics, and the seed rule with a per-run label (the harness Alertmanager is shared)
    const names = alerterNames('alerter-deliv');
    const [nm, slack, hook] = await Promise.all([notificationManager(), slackWebhook(), genericWebhook()]);
    receivers.push(nm, slack, hook);
    await createAlerterTopics(names);
    const rule: AlertRule = { ...EXAMPLE_404_RULE, labels: { ...EXAMPLE_404_RULE.labels, run: names.run } };
    const env = synthesizedAlerterEnv(
      names,
      [rule],
      (chart) => [
        AlertSink.alertmanager({ url: alertmanagerUrl() }),
        AlertSink.notificationManager({ url: nm.url }),
        AlertSink.slack({ webhookUrl: { secret: kplus.Secret.fromSecretName(chart, 'Slack', 'klaxon-slack'), key: 'url' } }),
        AlertSink.webhook({ url: hook.url, secretHeader: { name: 'Authorization', value: { secret: kplus.Secret.fromSecretName(chart, 'Hook', 'klaxon-hook'), key: 'token' } } }),
      ],
      { 'klaxon-slack/url': slack.url, 'klaxon-hook/token': 'Bearer run-token' },
      FAST_RETRIES,
    );
    const canonical = Buffer.from(JSON.stringify(CANONICAL_404_RECORD));
    const otherNamespace = Buffer.from(JSON.stringify({ ...CANONICAL_404_RECORD, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, namespace_name: 'shop' } }));
    await kcatProduce(names.logs, [{ value: otherNamespace }, { value: canonical }]);

    // WHEN the alerter runs
    const alerter = await start(env);
    await Promise.all([nm.waitForAccepted(1, 60_000), slack.waitForAccepted(1, 60_000), hook.waitForAccepted(1, 60_000)]);

    // THEN Alertmanager holds the alert with its labels
    const labels = { alertname: '404 Request', severity: 'warning', namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-hdn2z', container: 'container-nrdsp1', method: 'GET', path: '/notfound', run: names.run };
    let held: Awaited<ReturnType<typeof getAlerts>> = [];
    await eventually(async () => (held = await getAlerts(alertmanagerUrl(), [`run="${names.run}"`])).length > 0, 'the alert in GET /api/v2/alerts');
    expect(held).toHaveLength(1);
    expect(held[0].labels).toEqual(labels);
    expect(held[0].annotations.summary).toBe('HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z');
    expect(held[0].startsAt).toBe('2021-08-25T01:54:37.227Z');
    // AND Alertmanager's route delivered it to its webhook receiver
    const routed = await waitForAlertmanagerDelivery((m) => m.alerts.some((a) => a.labels.run === names.run), 60_000);
    expect(routed.alerts.find((a) => a.labels.run === names.run)!.labels).toEqual(labels);

    // AND Notification Manager got an Alertmanager webhook message on /api/v2/alerts
    expect(nm.requests).toHaveLength(1);
    const message = nm.requests[0].json as any;
    expect(nm.requests[0].path).toBe('/api/v2/alerts');
    expect(message).toMatchObject({ receiver: 'klaxon-log-alerter', status: 'firing', version: '4', groupLabels: { alertname: '404 Request' }, commonLabels: labels });
    expect(message.alerts).toHaveLength(1);
    expect(message.alerts[0]).toMatchObject({ status: 'firing', labels, startsAt: '2021-08-25T01:54:37.227Z', endsAt: '0001-01-01T00:00:00Z' });
    // AND Slack a text message, the webhook the alert with the Secret's header
    expect(slack.requests).toHaveLength(1);
    expect((slack.requests[0].json as any).text).toBe('[WARNING] 404 Request: HTTP 404 for GET /notfound in demo-project/wordpress-v1-f54f697c5-hdn2z');
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0].headers.authorization).toBe('Bearer run-token');
    expect((hook.requests[0].json as any).labels).toEqual(labels);

    // AND both records are committed; the non-matching one sent nothing anywhere
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 2, 'committed offset 2');
    expect(await alerter.metric('klaxon_alerter_alerts_matched_total', { rule: '404 Request' })).toBe(1);
    expect(await alerter.metric('klaxon_alerter_alerts_sent_total', { rule: '404 Request' })).toBe(4);
    expect(await alerter.metric('klaxon_records_skipped_total')).toBe(2);

    // AND SIGTERM stops it with exit code 0
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });
});
