/**
 * Threshold alerts have Alertmanager's lifecycle: fire once at `count` within the window (not
 * before), keep endsAt ahead while firing, repeat for Slack/webhook, resolve with endsAt = now once
 * the window holds too few occurrences, wait `for` before firing.
 */
import { ZERO_TIME } from '../../../functions/contracts/alert-sinks';
import { AlertTracker, TrackedRule } from '../../../functions/log-alerter/tracker';

const T0 = Date.parse('2026-12-04T12:00:00Z');
const rule: TrackedRule = { name: 'CrashLoop', count: 3, windowMs: 600_000, forMs: 0, repeatMs: 4 * 3600_000 };
const alert = (fp = 'fp1') => ({ status: 'firing' as const, labels: { alertname: 'CrashLoop' }, annotations: {}, startsAt: ZERO_TIME, endsAt: ZERO_TIME, generatorURL: '', fingerprint: fp });

describe('AlertTracker', () => {
  test('fires once at the third occurrence within the window, not at the second', () => {
    const t = new AlertTracker();
    expect(t.observe(rule, alert(), 1, T0, T0)).toEqual([]);
    expect(t.observe(rule, alert(), 1, T0 + 60_000, T0 + 60_000)).toEqual([]);
    const [fired, ...rest] = t.observe(rule, alert(), 1, T0 + 120_000, T0 + 120_000);
    expect(rest).toEqual([]);
    expect(fired.kind).toBe('firing');
    expect(fired.count).toBe(3);
    expect(fired.alert.startsAt).toBe(new Date(T0 + 120_000).toISOString());
    expect(fired.alert.endsAt).toBe(new Date(T0 + 120_000 + 240_000).toISOString());
    expect(t.observe(rule, alert(), 1, T0 + 130_000, T0 + 130_000)).toEqual([]);
  });

  test("counts an Event's own count: one observation of 3 fires", () => {
    const t = new AlertTracker();
    expect(t.observe(rule, alert(), 2, T0, T0)).toEqual([]);
    expect(t.observe(rule, alert(), 1, T0 + 1, T0 + 1).map((n) => n.kind)).toEqual(['firing']);
  });

  test('occurrences spread wider than the window never fire', () => {
    const t = new AlertTracker();
    for (let i = 0; i < 10; i++) expect(t.observe(rule, alert(), 1, T0 + i * 300_001, T0 + i * 300_001)).toEqual([]);
  });

  test('ignores occurrences older than the window (a replayed backlog)', () => {
    const t = new AlertTracker();
    expect(t.observe(rule, alert(), 5, T0 - 700_000, T0)).toEqual([]);
    expect(t.size).toBe(0);
  });

  test('refreshes endsAt every resend interval, repeats every repeat interval, resolves when the window empties', () => {
    const t = new AlertTracker({ resendMs: 60_000 });
    const r = { ...rule, repeatMs: 300_000 };
    t.observe(r, alert(), 3, T0, T0);
    expect(t.tick(T0 + 30_000)).toEqual([]);
    const [refresh] = t.tick(T0 + 60_000);
    expect(refresh.kind).toBe('refresh');
    expect(refresh.alert.startsAt).toBe(new Date(T0).toISOString());
    expect(refresh.alert.endsAt).toBe(new Date(T0 + 60_000 + 240_000).toISOString());
    expect(t.tick(T0 + 300_000).map((n) => n.kind)).toEqual(['refresh', 'repeat']);
    expect(t.firing).toBe(1);
    const [resolved, ...rest] = t.tick(T0 + 600_000);
    expect(rest).toEqual([]);
    expect(resolved.kind).toBe('resolved');
    expect(resolved.alert.status).toBe('resolved');
    expect(resolved.alert.startsAt).toBe(new Date(T0).toISOString());
    expect(resolved.alert.endsAt).toBe(new Date(T0 + 600_000).toISOString());
    expect(t.size).toBe(0);
    expect(t.tick(T0 + 700_000)).toEqual([]);
  });

  test('keeps firing while new occurrences keep the window full; resolves once they stop', () => {
    const t = new AlertTracker({ resendMs: 3600_000 });
    for (let i = 0; i < 20; i++) {
      const at = T0 + i * 200_000;
      const kinds = [...t.observe(rule, alert(), 1, at, at), ...t.tick(at)].map((n) => n.kind);
      expect(kinds).toEqual(i === 2 ? ['firing'] : []);
    }
    const last = T0 + 19 * 200_000;
    expect(t.tick(last + 400_000).map((n) => n.kind)).toEqual(['resolved']);
  });

  test("waits 'for' before firing, from the timer, and forgets a pending alert whose window empties", () => {
    const t = new AlertTracker();
    const r = { ...rule, forMs: 120_000 };
    expect(t.observe(r, alert(), 3, T0, T0)).toEqual([]);
    expect(t.tick(T0 + 119_000)).toEqual([]);
    const [fired] = t.tick(T0 + 120_000);
    expect(fired.kind).toBe('firing');
    expect(fired.alert.startsAt).toBe(new Date(T0).toISOString());

    expect(t.observe(r, alert('fp2'), 3, T0, T0)).toEqual([]);
    expect(t.tick(T0 + 600_000).map((n) => `${n.kind} ${n.alert.fingerprint}`)).toEqual(['resolved fp1']);
    expect(t.size).toBe(0);
  });

  test('tracks alerts by fingerprint: each pod its own count', () => {
    const t = new AlertTracker();
    t.observe(rule, alert('a'), 2, T0, T0);
    t.observe(rule, alert('b'), 2, T0, T0);
    expect(t.observe(rule, alert('a'), 1, T0, T0).map((n) => n.alert.fingerprint)).toEqual(['a']);
  });

  test('drops the oldest inactive alert when full, never a firing one', () => {
    const t = new AlertTracker({ maxAlerts: 2 });
    t.observe(rule, alert('firing'), 3, T0, T0);
    t.observe(rule, alert('old'), 1, T0 + 1, T0 + 1);
    t.observe(rule, alert('new'), 1, T0 + 2, T0 + 2);
    expect(t.size).toBe(2);
    expect(t.firing).toBe(1);
    expect(t.observe(rule, alert('new'), 2, T0 + 3, T0 + 3).map((n) => n.alert.fingerprint)).toEqual(['new']);
  });
});
