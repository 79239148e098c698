/**
 * State under scaling: three log-alerter replicas in one group on a three-partition logs topic.
 * 1,000 matching lines from one pod, keyed `<namespace>/<pod>` as Fluent Bit's output keys them,
 * reach one partition and so one replica: a threshold rule raises one alert, not 1,000, and not one
 * per replica.
 */
import { Duration } from 'cdk8s';
import { AlertRule } from '../../constructs/alerting/alert-rule';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, createTopics, genericWebhook, kcatProduce } from '../harness';
import { testKafka } from '../functions/support/fanout';
import { brokers } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';

jest.setTimeout(300_000);

describe('log-alerter: a threshold rule under three replicas', () => {
  const { start } = alerterSuite();
  let hook: Receiver;
  afterAll(async () => {
    await hook?.close();
  });

  test('1,000 matching lines from one pod within a minute raise one alert', async () => {
    // GIVEN a three-partition logs topic and three replicas of the alerter in one group
    const names = alerterNames('alerter-scaled');
    hook = await genericWebhook();
    await createTopics([{ topic: names.logs, partitions: 3 }, { topic: names.deadLetter }]);
    const rule: AlertRule = {
      name: 'ErrorBurst',
      match: { namespaces: [names.run], log: 'ERROR payment' },
      threshold: { count: 100, window: Duration.minutes(5) },
      labels: { run: names.run },
    };
    const env = synthesizedAlerterEnv(names, [rule], () => [AlertSink.webhook({ url: hook.url })], {}, { ...FAST_RETRIES, KLAXON_SESSION_TIMEOUT_MS: '20000' });
    const replicas = await Promise.all([start(env), start(env), start(env)]);
    await Promise.all(replicas.map((r) => r.waitForLine((l) => l.msg === 'started', 120_000)));
    const admin = testKafka(brokers().join(',')).admin();
    await admin.connect();
    try {
      await eventually(async () => {
        const { groups } = await admin.describeGroups([names.groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 3;
      }, 'the group stable with three members', 120_000);
    } finally {
      await admin.disconnect();
    }

    // WHEN one pod logs 1,000 matching lines, keyed as the log shippers key them
    const pod = 'payments-7d9f-abcde';
    const now = Date.now() / 1000;
    const lines = Array.from({ length: 1000 }, (_, i) => ({
      key: `${names.run}/${pod}`,
      value: JSON.stringify({
        ...CANONICAL_404_RECORD,
        '@timestamp': now + i / 1000,
        'log': `2026-12-04T12:00:00Z ERROR payment ${i} declined\n`,
        'kubernetes': { ...CANONICAL_404_RECORD.kubernetes, namespace_name: names.run, pod_name: pod },
      }),
    }));
    await kcatProduce(names.logs, lines);

    // THEN every line is matched, by one replica, and one alert is delivered
    const matched = async () => (await Promise.all(replicas.map((r) => r.metric('klaxon_alerter_alerts_matched_total', { rule: 'ErrorBurst' }))));
    await eventually(async () => (await matched()).reduce((a, b) => a + b, 0) === 1000, 'all 1,000 lines matched', 120_000);
    expect((await matched()).sort((a, b) => a - b)).toEqual([0, 0, 1000]);
    await hook.waitForAccepted(1, 60_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0].json).toMatchObject({ status: 'firing', labels: { alertname: 'ErrorBurst', namespace: names.run, pod, run: names.run } });
  });
});
