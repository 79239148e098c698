import {
  Receiver,
  alertmanagerDeliveries,
  alertmanagerUrl,
  getAlerts,
  notificationManager,
  postAlerts,
  startAlertmanager,
  uniqueName,
  waitForAlertmanagerDelivery,
  AlertmanagerWebhookMessage,
  Alertmanager,
} from '../harness';

// The project-level testTimeout in jest.config.js is not applied by jest 29; real processes need more than 5 s.
jest.setTimeout(60_000);

describe('the harness Alertmanager (ALERTMANAGER_URL)', () => {
  test('returns an alert POSTed to /api/v2/alerts from its GET, and routes it to the webhook recorder', async () => {
    // GIVEN an alert with a unique name
    const alertname = uniqueName('HarnessTest');
    const url = alertmanagerUrl();

    // WHEN it is posted to the real Alertmanager's v2 API
    await postAlerts(url, [{ labels: { alertname, severity: 'warning', namespace: 'shop' }, annotations: { summary: 'pod crashed' } }]);

    // THEN GET /api/v2/alerts returns it, active and routed to the webhook receiver
    const alerts = await getAlerts(url, [`alertname="${alertname}"`]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].labels).toEqual({ alertname, severity: 'warning', namespace: 'shop' });
    expect(alerts[0].annotations).toEqual({ summary: 'pod crashed' });
    expect(alerts[0].status.state).toBe('active');
    expect(alerts[0].receivers.map((r) => r.name)).toEqual(['klaxon-test-webhook']);

    // AND Alertmanager delivers it to the webhook as a firing notification
    const delivery = await waitForAlertmanagerDelivery((m) => m.commonLabels.alertname === alertname);
    expect(delivery).toMatchObject({ version: '4', status: 'firing', receiver: 'klaxon-test-webhook', groupLabels: { alertname } });
    expect(delivery.alerts.map((a) => a.labels)).toEqual([{ alertname, severity: 'warning', namespace: 'shop' }]);
    expect(delivery.alerts[0].annotations).toEqual({ summary: 'pod crashed' });
    expect((await alertmanagerDeliveries()).filter((m) => m.commonLabels.alertname === alertname)).toHaveLength(1);
  });
});

describe('an Alertmanager started by a test', () => {
  let receiver: Receiver;
  let am: Alertmanager;
  beforeAll(async () => {
    receiver = await notificationManager();
    am = await startAlertmanager({ webhookUrl: receiver.url });
  });
  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });
  beforeEach(() => receiver.reset());

  const messages = (): AlertmanagerWebhookMessage[] => receiver.accepted.map((r) => r.json as AlertmanagerWebhookMessage);

  test("routes a firing alert to the test's own Notification Manager receiver, then its resolution", async () => {
    const alertname = uniqueName('Routed');
    await am.postAlerts([{ labels: { alertname, pod: 'web-0' } }]);

    const [firing] = await receiver.waitForAccepted(1);
    expect(firing.method).toBe('POST');
    expect(firing.path).toBe('/api/v2/alerts');
    expect(firing.headers['content-type']).toBe('application/json');
    expect(messages()[0]).toMatchObject({ status: 'firing', commonLabels: { alertname, pod: 'web-0' } });

    // WHEN the alert is posted again with an end time in the past
    await am.postAlerts([{ labels: { alertname, pod: 'web-0' }, endsAt: new Date(Date.now() - 1000).toISOString() }]);

    // THEN a resolved notification follows
    await receiver.waitForAccepted(2);
    expect(messages()[1]).toMatchObject({ status: 'resolved', commonLabels: { alertname, pod: 'web-0' } });
    expect(messages()[1].alerts[0].status).toBe('resolved');
  });

  test('retries a webhook that answered 500 until it accepts the notification', async () => {
    receiver.failNext(1, { status: 500 });
    const alertname = uniqueName('Retried');

    await am.postAlerts([{ labels: { alertname } }]);

    const accepted = await receiver.waitForAccepted(1, 20_000);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 200]);
    expect((accepted[0].json as AlertmanagerWebhookMessage).commonLabels).toEqual({ alertname });
  });

  test('is stopped with its temp dir removed', async () => {
    const other = await startAlertmanager({ webhookUrl: receiver.url });
    await other.stop();
    expect(() => process.kill(other.pid, 0)).toThrow();
    expect(require('fs').existsSync(other.dir)).toBe(false);
  });
});
