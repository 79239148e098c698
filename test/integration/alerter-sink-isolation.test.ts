/**
 * One dead sink never holds back the rest (ALERTER_SINK_RETRY=topics, what the LogAlerter renders):
 * the webhook sink is down for 30 s while Notification Manager is up. Notification Manager gets
 * every alert while the webhook is down; the webhook's alerts are parked in its retry topic
 * (`<group>.retry.webhook`), the main group commits and its lag is 0 while the webhook is down;
 * after recovery the webhook gets every alert, in order, none lost. A SIGKILL while parked alerts
 * are being delivered loses none of them; a SIGTERM while they wait exits 0 and loses none.
 */
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { sinkRetryGroupId, sinkRetryTopicName } from '../../functions/contracts/topic-names';
import { Receiver, brokers, genericWebhook, kcatProduce, notificationManager } from '../harness';
import { AlerterProcess, FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';
import { testKafka } from '../functions/support/fanout';

jest.setTimeout(300_000); // a slow 2-core CI machine: every wait below polls, so a pass is as fast as the machine allows

/** The canonical 404 record for path `/missing-<i>` (one alert each: the path is a label). */
const record404 = (i: number) => ({ value: Buffer.from(JSON.stringify({ ...CANONICAL_404_RECORD, log: CANONICAL_404_RECORD.log.replace('/notfound', `/missing-${i}`) })) });
const pathOf = (r: { json?: unknown }) => (r.json as { labels: Record<string, string> }).labels.path;

/** Records on partition 0 of `topic` the group has not committed yet. */
async function lag(groupId: string, topic: string): Promise<number> {
  const admin = testKafka(brokers().join(',')).admin();
  await admin.connect();
  try {
    const [end] = await admin.fetchTopicOffsets(topic);
    const committed = await committedOffset(groupId, topic);
    return Number(end.high) - Math.max(0, committed);
  } finally {
    await admin.disconnect();
  }
}

/** Like `eventually`, with the alerter's last log lines in the error. */
async function eventuallyOf(alerter: AlerterProcess, check: () => Promise<boolean> | boolean, what: string, timeoutMs?: number): Promise<void> {
  try {
    await eventually(check, what, timeoutMs);
  } catch (e) {
    const tail = alerter.lines.slice(-25).map((l) => JSON.stringify(l).slice(0, 500)).join('\n');
    throw new Error(`${(e as Error).message}; last log-alerter lines:\n${tail}`);
  }
}

/** `items` without repeats, first occurrence kept. */
const firstOccurrences = (items: string[]) => items.filter((x, i) => items.indexOf(x) === i);

describe('log-alerter keeps a dead sink from holding back the others', () => {
  const { start } = alerterSuite();
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('the webhook down for 30 s: Notification Manager gets every alert meanwhile, the main lag stays 0, the webhook gets all of them in order after recovery', async () => {
    // GIVEN Notification Manager and a webhook, fresh topics, and the alerter's synthesized env
    const names = alerterNames('alerter-iso');
    const [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
    receivers.push(nm, hook);
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(names, [EXAMPLE_404_RULE], () => [AlertSink.notificationManager({ url: nm.url }), AlertSink.webhook({ url: hook.url })], {}, FAST_RETRIES);
    expect(env.ALERTER_SINK_RETRY).toBe('topics');
    const alerter = await start(env);
    await alerter.waitForLine((l) => l.msg === 'started');

    // WHEN the webhook goes down and ten alerts arrive, in two waves
    await hook.goDown();
    const downAt = Date.now();
    await kcatProduce(names.logs, [0, 1, 2, 3, 4].map(record404));
    await nm.waitForAlerts(5, 60_000);
    await kcatProduce(names.logs, [5, 6, 7, 8, 9].map(record404));

    // THEN Notification Manager gets all ten while the webhook is down
    await nm.waitForAlerts(10, 60_000);
    expect(hook.isUp).toBe(false);
    expect((nm.acceptedAlerts as Array<{ labels: Record<string, string> }>).map((a) => a.labels.path)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `/missing-${i}`));
    // AND the webhook's ten are parked: the main group committed every record, its lag is 0 while the webhook is down
    await eventuallyOf(alerter, async () => (await alerter.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 10, 'ten alerts parked for the webhook');
    await eventually(async () => (await lag(names.groupId, names.logs)) === 0, 'main group lag 0');
    expect(hook.isUp).toBe(false);
    expect(await committedOffset(names.groupId, names.logs)).toBe(10);
    expect(await alerter.metric('klaxon_alerter_alerts_parked_total', { sink: 'webhook' })).toBe(10);
    expect(await alerter.metric('klaxon_alerter_sink_parked', { sink: 'notification-manager' })).toBe(0);
    const retryTopic = sinkRetryTopicName(names.groupId, 'webhook');
    expect(await lag(sinkRetryGroupId(names.groupId, 'webhook'), retryTopic)).toBe(10);

    // WHEN the webhook comes back after 30 s (the main lag sampled meanwhile stays 0: no new records, nothing uncommitted)
    while (Date.now() - downAt < 30_000) {
      expect(await lag(names.groupId, names.logs)).toBe(0);
      await new Promise((r) => setTimeout(r, 2000));
    }
    await hook.comeBack();

    // THEN it gets all ten, in order, none lost (a repeat is allowed by at-least-once, never a reordering)
    await eventually(() => new Set(hook.accepted.map(pathOf)).size === 10, 'the webhook took all ten', 120_000);
    const delivered = hook.accepted.map(pathOf);
    expect(firstOccurrences(delivered)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `/missing-${i}`));
    expect(delivered.length).toBeLessThanOrEqual(20);
    // AND the retry backlog is drained and committed; nothing was dead-lettered
    await eventuallyOf(alerter, async () => (await alerter.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 0, 'webhook backlog 0');
    await eventually(async () => (await lag(sinkRetryGroupId(names.groupId, 'webhook'), retryTopic)) === 0, 'retry group lag 0');
    expect(await alerter.metric('klaxon_records_dead_lettered_total')).toBe(0);

    // AND a later alert goes straight to both sinks again
    await kcatProduce(names.logs, [record404(10)]);
    await Promise.all([nm.waitForAlerts(11, 60_000), eventually(() => hook.accepted.map(pathOf).includes('/missing-10'), 'the webhook took the eleventh')]);
    expect(await alerter.metric('klaxon_alerter_alerts_parked_total', { sink: 'webhook' })).toBe(10);
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });

  test('SIGKILL while parked alerts are being delivered loses none: the next run delivers the rest, in order, none more than twice', async () => {
    // GIVEN a webhook that, once back, takes three alerts and then answers 503 until let through
    const names = alerterNames('alerter-iso-kill');
    let taken = 0;
    let open = false;
    const [nm, hook] = await Promise.all([
      notificationManager(),
      genericWebhook({
        respond: () => {
          if (open || taken < 3) {
            taken += 1;
            return { status: 200, body: 'ok' };
          }
          return { status: 503, body: 'busy' };
        },
      }),
    ]);
    receivers.push(nm, hook);
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(names, [EXAMPLE_404_RULE], () => [AlertSink.notificationManager({ url: nm.url }), AlertSink.webhook({ url: hook.url })], {}, FAST_RETRIES);
    const first = await start(env);
    await first.waitForLine((l) => l.msg === 'started');

    // WHEN six alerts are parked while the webhook is down
    await hook.goDown();
    await kcatProduce(names.logs, [0, 1, 2, 3, 4, 5].map(record404));
    await nm.waitForAlerts(6, 60_000);
    await eventuallyOf(first, async () => (await first.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 6, 'six alerts parked');
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 6, 'main offsets committed');

    // AND the webhook comes back, takes three, refuses the fourth for now, and the alerter is SIGKILLed mid-way
    await hook.comeBack();
    await eventually(() => hook.accepted.length === 3 && hook.requests.some((r) => r.status === 503), 'three delivered, the fourth being retried');
    first.kill('SIGKILL');
    await first.exit;

    // THEN a new run delivers the rest once the webhook takes them
    open = true;
    const second = await start(env);
    await eventually(() => new Set(hook.accepted.map(pathOf)).size === 6, 'the webhook took all six', 120_000);
    const delivered = hook.accepted.map(pathOf);
    expect(firstOccurrences(delivered)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `/missing-${i}`));
    for (const path of new Set(delivered)) expect(delivered.filter((p) => p === path).length).toBeLessThanOrEqual(2);
    // AND Notification Manager was not sent anything again (the main records were committed before the kill)
    await eventuallyOf(second, async () => (await second.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 0, 'webhook backlog 0');
    expect(nm.acceptedAlerts).toHaveLength(6);
    second.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });
  test('SIGTERM while the webhook is still down and its alerts are parked: exit 0, and the next run delivers them all, in order', async () => {
    // GIVEN four alerts parked for a webhook that is down
    const names = alerterNames('alerter-iso-term');
    const [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
    receivers.push(nm, hook);
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(names, [EXAMPLE_404_RULE], () => [AlertSink.notificationManager({ url: nm.url }), AlertSink.webhook({ url: hook.url })], {}, FAST_RETRIES);
    const first = await start(env);
    await first.waitForLine((l) => l.msg === 'started');
    await hook.goDown();
    await kcatProduce(names.logs, [0, 1, 2, 3].map(record404));
    await eventuallyOf(first, async () => (await first.metric('klaxon_alerter_sink_parked', { sink: 'webhook' })) === 4, 'four alerts parked');

    // WHEN it gets SIGTERM while its retry consumer is retrying the first parked alert
    first.kill('SIGTERM');

    // THEN it stops within its bound (exit 0), with the main records committed and the parked ones not
    expect((await first.exit).code).toBe(0);
    expect(await committedOffset(names.groupId, names.logs)).toBe(4);
    expect(await lag(sinkRetryGroupId(names.groupId, 'webhook'), sinkRetryTopicName(names.groupId, 'webhook'))).toBe(4);

    // WHEN the webhook is back and the alerter starts again
    await hook.comeBack();
    const second = await start(env);

    // THEN the webhook gets all four in order; Notification Manager got each once, before the stop
    await eventually(() => new Set(hook.accepted.map(pathOf)).size === 4, 'the webhook took all four', 120_000);
    expect(firstOccurrences(hook.accepted.map(pathOf))).toEqual([0, 1, 2, 3].map((i) => `/missing-${i}`));
    expect(nm.acceptedAlerts).toHaveLength(4);
    second.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });
});
