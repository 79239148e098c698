/**
 * ALERTER_SINK_RETRY=in-place (retry topics are the LogAlerter's default: alerter-sink-isolation.test.ts).
 * A sink that fails for a while does not lose the alert, and does not get it twice: the alerter
 * retries (capped exponential backoff, Retry-After honoured) until every sink has it, and the
 * group's committed offset stays before the record until then. SIGTERM while a sink is down stops
 * cleanly without committing the record; the next run delivers it.
 */
import * as kplus from 'cdk8s-plus-27';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, kcatProduce, notificationManager, slackWebhook } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';

jest.setTimeout(240_000); // a slow 2-core CI machine: every wait below polls, so a pass is as fast as the machine allows

const CANONICAL = Buffer.from(JSON.stringify(CANONICAL_404_RECORD));
const IN_PLACE = { ...FAST_RETRIES, ALERTER_SINK_RETRY: 'in-place' };
const retried = (l: Record<string, unknown>) => l.msg === 'handler asked for a retry; retrying until it succeeds';

describe('log-alerter retries a failing sink until it takes the alert', () => {
  const { start } = alerterSuite();
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  /** A Slack receiver, fresh topics, and the env of an alerter with the seed rule and that one Slack sink. */
  const slackOnly = async (prefix: string, extraEnv: Record<string, string> = {}) => {
    const names = alerterNames(prefix);
    const slack = await slackWebhook();
    receivers.push(slack);
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(
      names,
      [EXAMPLE_404_RULE],
      (chart) => [AlertSink.slack({ webhookUrl: { secret: kplus.Secret.fromSecretName(chart, 'Slack', 'slack'), key: 'url' } })],
      { 'slack/url': slack.url },
      { ...IN_PLACE, ...extraEnv },
    );
    return { names, slack, env };
  };

  test('500, then 429 with Retry-After, and a sink that is down: each gets the alert exactly once after it recovers; the offset is committed only then', async () => {
    // GIVEN Notification Manager answering 500 then 429 (Retry-After: 1), and Slack down
    const names = alerterNames('alerter-retry');
    const [nm, slack] = await Promise.all([notificationManager(), slackWebhook()]);
    receivers.push(nm, slack);
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(
      names,
      [EXAMPLE_404_RULE],
      (chart) => [AlertSink.notificationManager({ url: nm.url }), AlertSink.slack({ webhookUrl: { secret: kplus.Secret.fromSecretName(chart, 'Slack', 'slack'), key: 'url' } })],
      { 'slack/url': slack.url },
      IN_PLACE,
    );
    nm.failNext(1, { status: 500 }).rateLimitNext(1, 1);
    await slack.goDown();
    await kcatProduce(names.logs, [{ value: CANONICAL }]);

    // WHEN the alerter runs
    const alerter = await start(env);
    await nm.waitForAccepted(1, 60_000);
    await eventually(() => alerter.lines.filter(retried).length >= 4, 'four retries while Slack is down');

    // THEN while Slack is down the record is not committed
    expect(await committedOffset(names.groupId, names.logs)).toBe(-1);
    expect(slack.requests).toHaveLength(0);

    // WHEN Slack comes back
    await slack.comeBack();
    await slack.waitForAccepted(1, 60_000);
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 1, 'committed offset 1 after delivery');

    // THEN each sink took the alert exactly once; Notification Manager was not asked again once it accepted
    await new Promise((r) => setTimeout(r, 1500));
    expect(nm.requests.map((r) => r.status)).toEqual([500, 429, 200]);
    expect(slack.requests.map((r) => r.status)).toEqual([200]);
    // Retry-After: 1 was honoured (a lower bound, not a speed check)
    expect(nm.requests[2].receivedAt - nm.requests[1].receivedAt).toBeGreaterThanOrEqual(950);
    expect(await alerter.metric('klaxon_alerter_delivery_retries_total', { sink: 'notification-manager' })).toBe(2);
    expect(await alerter.metric('klaxon_alerter_delivery_retries_total', { sink: 'slack', cause: 'network' })).toBeGreaterThanOrEqual(4);
    expect(await alerter.metric('klaxon_records_dead_lettered_total')).toBe(0);
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });

  test('SIGTERM while a sink is down exits 0 without committing the record; the next run delivers it once', async () => {
    // GIVEN Slack down and the 404 record on the logs topic
    const { names, slack, env } = await slackOnly('alerter-term');
    await slack.goDown();
    await kcatProduce(names.logs, [{ value: CANONICAL }]);
    const first = await start(env);
    await first.waitForLine(retried);

    // WHEN it gets SIGTERM while retrying
    first.kill('SIGTERM');

    // THEN it stops within its bound (exit 0, not the bound's exit 1) and the record is not committed
    expect((await first.exit).code).toBe(0);
    expect(await committedOffset(names.groupId, names.logs)).toBe(-1);

    // WHEN Slack is back and the alerter starts again
    await slack.comeBack();
    const second = await start(env);
    await slack.waitForAccepted(1, 60_000);
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 1, 'committed offset 1');

    // THEN Slack got it once
    await new Promise((r) => setTimeout(r, 1000));
    expect(slack.accepted).toHaveLength(1);
    second.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });

  test('retrying longer than the session timeout keeps the group membership (heartbeats while waiting)', async () => {
    // GIVEN a 6 s session timeout and Slack down for 9 s
    const { names, slack, env } = await slackOnly('alerter-hb', { KLAXON_SESSION_TIMEOUT_MS: '6000', KLAXON_HEARTBEAT_INTERVAL_MS: '1000', LOG_LEVEL: 'debug' });
    await slack.goDown();
    await kcatProduce(names.logs, [{ value: CANONICAL }]);
    const alerter = await start(env);
    await alerter.waitForLine(retried);

    // WHEN Slack stays down past the session timeout, then comes back
    await new Promise((r) => setTimeout(r, 9000));
    await slack.comeBack();
    await slack.waitForAccepted(1, 60_000);
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 1, 'committed offset 1');

    // THEN the member never left its group: one join, no rebalance, and the alert went out once
    expect(alerter.lines.filter((l) => l.msg === 'joined group')).toHaveLength(1);
    expect(alerter.lines.some((l) => l.msg === 'not a group member' && l.why === 'rebalancing')).toBe(false);
    expect(slack.accepted).toHaveLength(1);
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });
});
