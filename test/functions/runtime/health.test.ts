import { Registry } from 'prom-client';
import { HealthState, startHealthServer } from '../../../functions/runtime/health';
import { Logger } from '../../../functions/runtime/logger';
import { httpGet as get } from '../support/http';

describe('health', () => {
  test('readiness needs a joined consumer with a fresh heartbeat', () => {
    // GIVEN
    let now = 1000;
    const state = new HealthState(30_000, () => now);
    // THEN
    expect(state.readiness()).toEqual({ ok: false, reason: 'not a joined group member' });
    state.onJoin();
    expect(state.readiness()).toEqual({ ok: true, reason: 'ok' });
    now += 30_001;
    expect(state.readiness()).toEqual({ ok: false, reason: 'last heartbeat 30001 ms ago (limit 30000 ms)' });
    state.onHeartbeat();
    expect(state.readiness().ok).toBe(true);
    state.onLeave();
    expect(state.readiness().ok).toBe(false);
  });

  test('liveness fails once the consumer is dead, and so does readiness', () => {
    const state = new HealthState(30_000);
    state.onJoin();
    state.onDead('KafkaJSNonRetriableError: boom');
    expect(state.liveness()).toEqual({ ok: false, reason: 'consumer dead: KafkaJSNonRetriableError: boom' });
    expect(state.readiness().ok).toBe(false);
  });

  test('a stopping process is live but not ready', () => {
    const state = new HealthState(30_000);
    state.onJoin();
    state.onStopping();
    expect(state.liveness().ok).toBe(true);
    expect(state.readiness()).toEqual({ ok: false, reason: 'stopping' });
  });

  test('the HTTP server answers /livez, /readyz and /metrics', async () => {
    // GIVEN
    const state = new HealthState(30_000);
    const registry = new Registry();
    registry.setDefaultLabels({ workload: 'w' });
    const server = await startHealthServer(0, state, registry, new Logger('error', {}, () => undefined));
    try {
      // THEN
      expect(await get(server.port, '/livez')).toEqual({ status: 200, body: 'ok\n' });
      expect(await get(server.port, '/readyz')).toEqual({ status: 503, body: 'not a joined group member\n' });
      state.onJoin();
      expect(await get(server.port, '/readyz')).toEqual({ status: 200, body: 'ok\n' });
      expect((await get(server.port, '/metrics')).status).toBe(200);
      expect((await get(server.port, '/nope')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
