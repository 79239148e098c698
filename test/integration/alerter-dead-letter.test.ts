/**
 * What the log-alerter cannot deliver or read goes to the dead-letter topic with headers saying
 * why, and the consumer goes on: poison records (not JSON, not a log record, empty, too large), and
 * an alert a sink refuses for good (400) — the other sinks still get that alert, and the next record
 * alerts as usual.
 */
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import { Receiver, brokers, genericWebhook, kcatConsume, kcatProduce, notificationManager } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';
import { testKafka, waitForRecords } from '../functions/support/fanout';

jest.setTimeout(240_000); // a slow 2-core CI machine: every wait below polls, so a pass is as fast as the machine allows

describe('log-alerter dead letters', () => {
  const { start } = alerterSuite();
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('poison records and an alert a sink refuses with 400 are dead-lettered with their reasons; the next record still alerts', async () => {
    // GIVEN Notification Manager and a webhook that answers the first alert with 400
    const names = alerterNames('alerter-dlt');
    const [nm, hook] = await Promise.all([notificationManager(), genericWebhook()]);
    receivers.push(nm, hook);
    hook.failNext(1, { status: 400, body: 'unknown field' });
    await createAlerterTopics(names);
    const env = synthesizedAlerterEnv(names, [EXAMPLE_404_RULE], () => [AlertSink.notificationManager({ url: nm.url }), AlertSink.webhook({ url: hook.url })], {}, {
      ...FAST_RETRIES,
      ALERTER_MAX_RECORD_BYTES: '4096',
    });
    const otherPod = { ...CANONICAL_404_RECORD, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, pod_name: 'wordpress-v1-f54f697c5-zzzzz' } };
    const poison = {
      notJson: Buffer.from('{"log":"GET /notfound 404'),
      wrongShape: Buffer.from('{"log":"GET /notfound 404","kubernetes":{"pod_name":"wordpress-v1-f54f697c5-hdn2z"}}'),
      huge: Buffer.from(JSON.stringify({ ...CANONICAL_404_RECORD, log: `${'x'.repeat(5000)} " 404 ` })),
    };
    await kcatProduce(names.logs, [
      { key: 'a', value: poison.notJson },
      { key: 'b', value: poison.wrongShape },
      { key: 'c', value: '' },
      { key: 'd', value: poison.huge },
      { key: 'e', value: Buffer.from(JSON.stringify(CANONICAL_404_RECORD)) },
      { key: 'f', value: Buffer.from(JSON.stringify(otherPod)) },
    ]);

    // WHEN the alerter runs
    const alerter = await start(env);
    await waitForRecords(testKafka(brokers().join(',')), [names.deadLetter], 5, 60_000);
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === 6, 'committed offset 6');

    // THEN five dead letters, in order, each saying why and where from
    const dead = await kcatConsume(names.deadLetter);
    const headers = dead.map((r) => Object.fromEntries(r.headers));
    expect(dead.map((r) => r.key?.toString())).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(headers.map((h) => h['klaxon.reason'])).toEqual(['not-json', 'wrong-shape', 'empty', 'record-too-large', 'sink-rejected:webhook']);
    expect(headers.map((h) => h['klaxon.source-offset'])).toEqual(['0', '1', '2', '3', '4']);
    expect(headers.every((h) => h['klaxon.source-topic'] === names.logs && h['klaxon.workload'] === 'log-alerter')).toBe(true);
    expect(headers[1]['klaxon.error']).toBe("the record has no 'kubernetes.namespace_name'");
    expect(headers[3]['klaxon.error']).toBe(`the record has ${poison.huge.length} bytes, more than ALERTER_MAX_RECORD_BYTES (4096); it was not read`);
    expect(headers[4]['klaxon.error']).toBe("sink 'webhook' (webhook) refused alert '404 Request': HTTP 400: unknown field");
    expect(dead[0].value).toEqual(poison.notJson);
    expect(dead[4].value!.toString()).toBe(JSON.stringify(CANONICAL_404_RECORD));

    // AND Notification Manager got both alerts (one message may carry both); the webhook was not asked again for the refused one
    expect((nm.acceptedAlerts as any[]).map((a) => a.labels.pod)).toEqual(['wordpress-v1-f54f697c5-hdn2z', 'wordpress-v1-f54f697c5-zzzzz']);
    expect(hook.requests.map((r) => [r.status, (r.json as any).labels.pod])).toEqual([
      [400, 'wordpress-v1-f54f697c5-hdn2z'],
      [200, 'wordpress-v1-f54f697c5-zzzzz'],
    ]);
    expect(await alerter.metric('klaxon_records_dead_lettered_total', { reason: 'sink-rejected:webhook' })).toBe(1);
    expect(await alerter.metric('klaxon_alerter_alerts_refused_total', { sink: 'webhook' })).toBe(1);
    alerter.kill('SIGTERM');
    expect((await alerter.exit).code).toBe(0);
  });
});
