import { Receiver, genericWebhook, notificationManager, slackWebhook } from '../harness';

// The project-level testTimeout in jest.config.js is not applied by jest 29; real processes need more than 5 s.
jest.setTimeout(60_000);

const post = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('test receivers', () => {
  const open: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(open.map((r) => r.close()));
  });
  const track = (r: Receiver): Receiver => {
    open.push(r);
    return r;
  };

  test('a Slack webhook answers "ok" to a JSON message and records method, path, headers and body', async () => {
    const slack = track(await slackWebhook());

    const response = await post(slack.url, { text: 'disk full' });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    const [request] = await slack.waitFor(1);
    expect(request).toMatchObject({ method: 'POST', path: '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', status: 200, json: { text: 'disk full' } });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body.toString()).toBe('{"text":"disk full"}');
  });

  test('a Slack webhook answers 400 invalid_payload to a body that is not JSON', async () => {
    const slack = track(await slackWebhook());

    const response = await post(slack.url, 'not json');

    expect(response.status).toBe(400);
    expect(await response.text()).toBe('invalid_payload');
    expect(slack.accepted).toEqual([]);
  });

  test('Notification Manager accepts an Alertmanager webhook message on POST /api/v2/alerts and rejects other shapes', async () => {
    const nm = track(await notificationManager());

    const good = await post(nm.url, { version: '4', status: 'firing', alerts: [{ labels: { alertname: 'X' } }] });
    const array = await post(nm.url, [{ labels: { alertname: 'X' } }]);
    const wrongPath = await post(`${nm.baseUrl}/api/v1/alerts`, { alerts: [] });

    expect([good.status, array.status, wrongPath.status]).toEqual([200, 400, 404]);
    expect(nm.accepted.map((r) => r.json)).toEqual([{ version: '4', status: 'firing', alerts: [{ labels: { alertname: 'X' } }] }]);
  });

  test('answers 500 to the next N requests, then recovers', async () => {
    const hook = track(await genericWebhook());
    hook.failNext(2, { status: 500 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(hook.url, { i })).status);

    expect(statuses).toEqual([500, 500, 200]);
    expect(hook.requests.map((r) => [r.status, r.json])).toEqual([[500, { i: 0 }], [500, { i: 1 }], [200, { i: 2 }]]);
  });

  test('answers 429 with Retry-After when rate limiting', async () => {
    const slack = track(await slackWebhook());
    slack.rateLimitNext(1, 7);

    const limited = await post(slack.url, { text: 'a' });
    const after = await post(slack.url, { text: 'b' });

    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(after.status).toBe(200);
  });

  test('refuses connections while down and serves again on the same port after coming back', async () => {
    const hook = track(await genericWebhook());
    const port = hook.port;
    await post(hook.url, { before: true }); // leaves a keep-alive connection open

    await hook.goDown();
    const refused = await post(hook.url, { down: true }).then(
      () => 'answered',
      (e: Error & { cause?: { code?: string } }) => e.cause?.code,
    );
    await hook.comeBack();
    const back = await post(hook.url, { after: true });

    expect(refused).toBe('ECONNREFUSED');
    expect(hook.port).toBe(port);
    expect(back.status).toBe(200);
    expect(hook.requests.map((r) => r.json)).toEqual([{ before: true }, { after: true }]);
  });

  test('waitFor rejects after its timeout, saying what arrived', async () => {
    const hook = track(await genericWebhook({ name: 'idle' }));
    await post(hook.url, {});

    await expect(hook.waitFor(2, 200)).rejects.toThrow('idle: waited 200 ms for 2 request(s); received 1: POST /webhook -> 200');
  });

  test('records but never answers a request it was told to hang', async () => {
    const hook = track(await genericWebhook());
    hook.hangNext(1);

    const outcome = await Promise.race([
      post(hook.url, { slow: true }).then(() => 'answered', () => 'failed'),
      new Promise((resolve) => setTimeout(() => resolve('pending'), 300)),
    ]);

    expect(outcome).toBe('pending');
    expect(hook.requests.map((r) => r.status)).toEqual([0]);
    await hook.goDown();
  });
});
