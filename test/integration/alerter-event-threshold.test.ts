/**
 * The event-alerter on the real broker with the real Alertmanager: an event rule `count >= 3 within
 * the window` over one crash-looping pod's Event (eventrouter records whose count rises 1, 2, 3):
 * nothing at count 2, one alert at count 3 (Alertmanager's GET API shows it active, endsAt ahead),
 * nothing more while it fires, then, with no new Events, resolved after the window: Alertmanager
 * routes a `resolved` notification and no longer lists it as active; the webhook gets a `resolved`
 * message.
 */
import { AlertRule } from '../../constructs/alerting/alert-rule';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { Duration } from 'cdk8s';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { Receiver, alertmanagerUrl, genericWebhook, getAlerts, kcatProduce, waitForAlertmanagerDelivery } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventsTopicOf, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';

jest.setTimeout(240_000);

/** eventrouter's record of a BackOff Event of pod `pod` at its `count`-th occurrence. */
function backOff(run: string, pod: string, count: number): Buffer {
  const now = new Date().toISOString();
  const event = {
    metadata: { name: `${pod}.17f3`, namespace: run, uid: `${run}-${pod}-backoff`, resourceVersion: String(1000 + count) },
    involvedObject: { kind: 'Pod', namespace: run, name: pod, uid: `${run}-${pod}` },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app',
    source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: now,
    lastTimestamp: now,
    count,
    type: 'Warning',
  };
  return Buffer.from(JSON.stringify({ verb: count === 1 ? 'ADDED' : 'UPDATED', event }));
}

describe('event-alerter: count >= 3 within a window, Alertmanager lifecycle', () => {
  const { start } = alerterSuite();
  let hook: Receiver;
  afterAll(async () => {
    await hook?.close();
  });

  test('fires once at count 3 (not at 2) and resolves after the window with no new Events', async () => {
    // GIVEN a rule BackOff >= 3 within 8 s, sinks Alertmanager and a webhook, the Events topic
    const names = alerterNames('alerter-evthr');
    hook = await genericWebhook();
    await createAlerterTopics(names);
    const events = eventsTopicOf(names);
    const rule: AlertRule = {
      name: 'PodCrashLooping',
      severity: 'critical',
      event: { types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'], namespaces: [names.run] },
      threshold: { count: 3, window: Duration.seconds(8) },
      labels: { run: names.run },
    };
    const env = synthesizedAlerterEnv(names, [EXAMPLE_404_RULE, rule], () => [AlertSink.alertmanager({ url: alertmanagerUrl() }), AlertSink.webhook({ url: hook.url })], {}, FAST_RETRIES, 'event-alerter');
    const groupId = env.KAFKA_GROUP_ID;
    const alerter = await start(env);
    const held = () => getAlerts(alertmanagerUrl(), [`run="${names.run}"`]);

    // WHEN the Event is seen twice (count 1, 2) and once more with the same count (a resync)
    await kcatProduce(events, [{ key: 'web-1', value: backOff(names.run, 'web-1', 1) }, { key: 'web-1', value: backOff(names.run, 'web-1', 2) }, { key: 'web-1', value: backOff(names.run, 'web-1', 2) }]);
    await eventually(async () => (await committedOffset(groupId, events)) === 3, 'three records committed');
    // THEN nothing fires at count 2
    expect(hook.requests).toHaveLength(0);
    expect(await held()).toEqual([]);

    // WHEN its count reaches 3, then 4
    await kcatProduce(events, [{ key: 'web-1', value: backOff(names.run, 'web-1', 3) }]);
    await hook.waitForAccepted(1, 60_000);
    await kcatProduce(events, [{ key: 'web-1', value: backOff(names.run, 'web-1', 4) }]);
    await eventually(async () => (await committedOffset(groupId, events)) === 5, 'five records committed');

    // THEN Alertmanager holds one active alert, ending in the future
    let active: Awaited<ReturnType<typeof getAlerts>> = [];
    await eventually(async () => (active = await held()).length > 0, 'the alert in GET /api/v2/alerts');
    expect(active).toHaveLength(1);
    expect(active[0].status.state).toBe('active');
    expect(active[0].labels).toEqual({ alertname: 'PodCrashLooping', severity: 'critical', namespace: names.run, kind: 'Pod', name: 'web-1', run: names.run });
    expect(Date.parse(active[0].endsAt)).toBeGreaterThan(Date.now());
    const firing = await waitForAlertmanagerDelivery((m) => m.status === 'firing' && m.alerts.some((a) => a.labels.run === names.run), 60_000);
    expect(firing.alerts).toHaveLength(1);
    // AND the webhook got one firing message, not one per record
    expect(hook.requests).toHaveLength(1);
    expect((hook.requests[0].json as any)).toMatchObject({ status: 'firing', labels: { alertname: 'PodCrashLooping', name: 'web-1' } });

    // WHEN no new Events come: THEN after the window it resolves, in Alertmanager and on the webhook
    const resolved = await waitForAlertmanagerDelivery((m) => m.status === 'resolved' && m.alerts.some((a) => a.labels.run === names.run), 60_000);
    expect(resolved.alerts[0].labels.name).toBe('web-1');
    expect(Date.parse(resolved.alerts[0].endsAt)).toBeLessThanOrEqual(Date.now());
    const after = await held();
    expect(after.filter((a) => a.status.state === 'active' && Date.parse(a.endsAt) > Date.now())).toEqual([]);
    await hook.waitForAccepted(2, 60_000);
    expect((hook.requests[1].json as any)).toMatchObject({ status: 'resolved', fingerprint: (hook.requests[0].json as any).fingerprint });
    expect(hook.requests).toHaveLength(2);
    expect(await alerter.metric('klaxon_alerter_notices_total', { rule: 'PodCrashLooping', kind: 'firing' })).toBe(1);
    expect(await alerter.metric('klaxon_alerter_notices_total', { rule: 'PodCrashLooping', kind: 'resolved' })).toBe(1);
  });
});
