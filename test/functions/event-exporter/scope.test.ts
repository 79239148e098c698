import { Logger } from '../../../functions/runtime/logger';
import { ExporterMetrics } from '../../../functions/event-exporter/metrics';
import { ApiEvent, ExporterRecord } from '../../../functions/event-exporter/record';
import { EventPage, EventsApi, RecordSink, ScopeExporter, WatchCallback } from '../../../functions/event-exporter/scope';

const ev = (name: string, rv: string): ApiEvent => ({
  metadata: { name, uid: `uid-${name}`, namespace: 'shop', resourceVersion: rv },
  regarding: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'pod' },
  type: 'Normal',
  reason: 'Tick',
});

/** An API with a list and one scripted watch at a time. */
class FakeApi implements EventsApi {
  items: ApiEvent[] = [];
  listRv = '100';
  lists = 0;
  watchedFrom: string[] = [];
  emit: WatchCallback = () => undefined;
  private end: (e: Error | undefined) => void = () => undefined;

  async list(): Promise<EventPage> {
    this.lists++;
    return { items: this.items, resourceVersion: this.listRv };
  }

  async watch(_ns: string | undefined, rv: string, _t: number, onEvent: WatchCallback) {
    this.watchedFrom.push(rv);
    this.emit = onEvent;
    const done = new Promise<Error | undefined>((resolve) => (this.end = resolve));
    return { abort: () => this.end(undefined), done };
  }

  close(): void {
    this.end(undefined);
  }
}

class FakeSink implements RecordSink {
  sent: ExporterRecord[] = [];
  down = false;
  async send(records: readonly ExporterRecord[]): Promise<void> {
    if (this.down) throw new Error('broker down');
    this.sent.push(...records);
  }
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not reached');
};

function scope(api: FakeApi, sink: FakeSink, resumeFrom: string | undefined, checkpoints: string[]): ScopeExporter {
  return new ScopeExporter({
    namespace: undefined,
    cluster: 'test',
    filter: { types: new Set(), reasons: new Set(['Tick']) },
    api,
    sink,
    logger: new Logger('error', {}, () => undefined),
    metrics: new ExporterMetrics('test', () => 0, false),
    resumeFrom,
    onCheckpoint: (rv) => checkpoints.push(rv),
    watchTimeoutSeconds: 60,
    retryInitialMs: 5,
    retryMaxMs: 20,
  });
}

describe('one watched scope', () => {
  test('resumes from the checkpoint with a watch, ships in order, and moves the checkpoint only after the ack', async () => {
    const api = new FakeApi();
    const sink = new FakeSink();
    const checkpoints: string[] = [];
    const s = scope(api, sink, '50', checkpoints);
    s.start();
    await until(() => api.watchedFrom.length === 1);
    expect(api.watchedFrom).toEqual(['50']);
    expect(api.lists).toBe(0);
    sink.down = true;
    api.emit('ADDED', ev('a', '51') as Record<string, unknown>);
    api.emit('MODIFIED', ev('a', '52') as Record<string, unknown>);
    await new Promise((r) => setTimeout(r, 60));
    expect(checkpoints).toEqual([]);
    expect(s.oldestPendingMs()).toBeGreaterThan(0);
    sink.down = false;
    await until(() => checkpoints.length > 0);
    expect(sink.sent.map((r) => r.headers['klaxon.verb'])).toEqual(['ADDED', 'MODIFIED']);
    expect(checkpoints).toEqual(['52']);
    // a filtered Event and a bookmark move the checkpoint without sending
    api.emit('ADDED', { ...ev('b', '53'), reason: 'Other' } as Record<string, unknown>);
    api.emit('BOOKMARK', { metadata: { resourceVersion: '60' } });
    await until(() => checkpoints.includes('60'));
    expect(sink.sent).toHaveLength(2);
    await s.stop(0);
  });

  test('410 Gone: relists, ships only what is newer than what was queued, then watches from the list', async () => {
    const api = new FakeApi();
    const sink = new FakeSink();
    const checkpoints: string[] = [];
    const s = scope(api, sink, '50', checkpoints);
    s.start();
    await until(() => api.watchedFrom.length === 1);
    api.items = [ev('old', '40'), ev('new2', '90'), ev('new1', '70')];
    api.emit('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    await until(() => api.watchedFrom.length === 2);
    expect(api.lists).toBe(1);
    expect(api.watchedFrom[1]).toBe('100');
    await until(() => checkpoints.includes('100'));
    expect(sink.sent.map((r) => JSON.parse(r.value).metadata.name)).toEqual(['new1', 'new2']);
    await s.stop(0);
  });

  test('without a checkpoint it lists first and ships every current Event', async () => {
    const api = new FakeApi();
    api.items = [ev('x', '9'), ev('y', '8')];
    const sink = new FakeSink();
    const checkpoints: string[] = [];
    const s = scope(api, sink, undefined, checkpoints);
    s.start();
    await until(() => checkpoints.includes('100'));
    expect(sink.sent.map((r) => JSON.parse(r.value))).toEqual([
      { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...ev('y', '8') },
      { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...ev('x', '9') },
    ]);
    expect(s.health()).toEqual({ ok: true, reason: 'ok' });
    await s.stop(0);
    expect(s.health().ok).toBe(false);
  });
});

describe('a stuck watch', () => {
  test('silent past the watch timeout plus 30 s: readiness fails and the watch is reopened', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const api = new FakeApi();
      let now = 1_000_000;
      const s = new ScopeExporter({
        namespace: 'shop', cluster: 'test', filter: { types: new Set(), reasons: new Set() }, api, sink: new FakeSink(),
        logger: new Logger('error', {}, () => undefined), metrics: new ExporterMetrics('test', () => 0, false),
        resumeFrom: '5', onCheckpoint: () => undefined, watchTimeoutSeconds: 1, now: () => now,
      });
      s.start();
      await jest.advanceTimersByTimeAsync(10);
      expect(api.watchedFrom).toEqual(['5']);
      expect(s.health()).toEqual({ ok: true, reason: 'ok' });
      now += 31_001;
      expect(s.health()).toEqual({ ok: false, reason: 'scope shop: the watch has been silent for 31001 ms' });
      await jest.advanceTimersByTimeAsync(5000);
      expect(api.watchedFrom).toEqual(['5', '5']);
      await s.stop(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
