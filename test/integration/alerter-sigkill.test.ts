/**
 * SIGKILL of the alerter mid-way through a backlog of alerts: a second replica takes over from the
 * last commit. No alert is lost (each reaches the webhook) and none is sent more than twice (only
 * those the killed replica delivered but had not committed are sent again).
 */
import { AlertRule } from '../../constructs/alerting/alert-rule';
import { AlertSink } from '../../constructs/alerting/alert-sink';
import { CANONICAL_404_RECORD } from '../../functions/contracts/log-record';
import * as http from 'http';
import { AddressInfo } from 'net';
import { kcatProduce } from '../harness';
import { FAST_RETRIES, alerterNames, alerterSuite, committedOffset, createAlerterTopics, eventually, synthesizedAlerterEnv } from '../functions/log-alerter/support';

jest.setTimeout(300_000);

const ALERTS = 300;

describe('log-alerter: SIGKILL mid-way', () => {
  const { start } = alerterSuite();
  /** The alert ids the webhook accepted, in order. */
  const accepted: string[] = [];
  // A webhook taking 20 ms per alert, so the kill lands mid-way through the backlog.
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () =>
      setTimeout(() => {
        accepted.push(JSON.parse(Buffer.concat(chunks).toString()).labels.id);
        res.end('ok');
      }, 20),
    );
  });
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test(`${ALERTS} alerts, a replica killed after about a third: none lost, none sent more than twice`, async () => {
    // GIVEN a backlog of 300 records, each raising its own alert (label id)
    const names = alerterNames('alerter-kill');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    await createAlerterTopics(names);
    const rule: AlertRule = { name: 'Failure', match: { namespaces: [names.run], log: 'failure (?<id>\\d+)' }, labels: { id: '{{group.id}}' } };
    const env = synthesizedAlerterEnv(names, [rule], () => [AlertSink.webhook({ url })], {}, FAST_RETRIES);
    const lines = Array.from({ length: ALERTS }, (_, i) => ({
      value: JSON.stringify({ ...CANONICAL_404_RECORD, log: `failure ${i}\n`, kubernetes: { ...CANONICAL_404_RECORD.kubernetes, namespace_name: names.run } }),
    }));
    await kcatProduce(names.logs, lines);

    // WHEN the first replica is SIGKILLed after about a third, and a second one starts
    const first = await start(env);
    await eventually(() => accepted.length >= ALERTS / 3, 'a third delivered', 120_000);
    first.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const killedAt = accepted.length;
    await start(env);

    // THEN every alert arrives, none more than twice, and the whole backlog is committed
    const ids = () => accepted;
    await eventually(() => new Set(ids()).size === ALERTS, `all ${ALERTS} alerts delivered`, 120_000);
    await eventually(async () => (await committedOffset(names.groupId, names.logs)) === ALERTS, 'the backlog committed', 120_000);
    const counts = new Map<string, number>();
    for (const id of ids()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(2);
    expect(killedAt).toBeLessThan(ALERTS);
    // Only alerts delivered before the kill can have been sent twice.
    const twice = [...counts].filter(([, n]) => n === 2).map(([id]) => Number(id));
    expect(twice.every((id) => id < killedAt + 5)).toBe(true);
  });
});
