import { LeaderElection, LeaseRecord, LeaseStore } from '../../../functions/event-exporter/leader';

/** One Lease in memory, with the API server's optimistic concurrency (writes must carry the current resourceVersion). */
class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  private rv = 0;
  failing = false;

  async get(): Promise<LeaseRecord | undefined> {
    if (this.failing) throw new Error('connection refused');
    return this.record && { ...this.record };
  }

  async create(r: LeaseRecord): Promise<LeaseRecord | 'conflict'> {
    if (this.record) return 'conflict';
    this.record = { ...r, resourceVersion: String(++this.rv) };
    return { ...this.record };
  }

  async update(r: LeaseRecord): Promise<LeaseRecord | 'conflict'> {
    if (this.failing) throw new Error('connection refused');
    if (!this.record || r.resourceVersion !== this.record.resourceVersion) return 'conflict';
    this.record = { ...r, resourceVersion: String(++this.rv) };
    return { ...this.record };
  }
}

const timing = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 1000 };

describe('leader election on a Lease', () => {
  test('the first replica acquires; the second stays a follower while the leader renews', async () => {
    let now = 0;
    const store = new MemoryLease();
    const a = new LeaderElection(store, 'a', timing, () => now);
    const b = new LeaderElection(store, 'b', timing, () => now);
    expect(await a.tryAcquireOrRenew()).toEqual({ role: 'leader', acquired: true });
    for (let i = 0; i < 10; i++) {
      now += 1000;
      expect(await a.tryAcquireOrRenew()).toEqual({ role: 'leader', acquired: false });
      expect(await b.tryAcquireOrRenew()).toEqual({ role: 'follower', acquired: false });
    }
    expect(store.record?.holderIdentity).toBe('a');
  });

  test('a leader that stops renewing is replaced once its record is unchanged for the lease duration, by the follower clock', async () => {
    let now = 0;
    const store = new MemoryLease();
    const a = new LeaderElection(store, 'a', timing, () => now);
    const b = new LeaderElection(store, 'b', timing, () => now);
    await a.tryAcquireOrRenew();
    a.setCheckpoint({ '*': '77' });
    now += 1000;
    await a.tryAcquireOrRenew(); // writes the checkpoint, then a dies
    await b.tryAcquireOrRenew();
    now += 3999;
    expect(await b.tryAcquireOrRenew()).toEqual({ role: 'follower', acquired: false });
    now += 1;
    expect(await b.tryAcquireOrRenew()).toEqual({ role: 'leader', acquired: true });
    expect(b.checkpoint).toEqual({ '*': '77' });
    expect(store.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  test('a deposed leader learns it at its next try and cannot write the checkpoint', async () => {
    let now = 0;
    const store = new MemoryLease();
    const a = new LeaderElection(store, 'a', timing, () => now);
    await a.tryAcquireOrRenew();
    store.record = { ...store.record!, holderIdentity: 'b', checkpoint: '{"*":"5"}' };
    a.setCheckpoint({ '*': '9' });
    now += 1000;
    expect(await a.tryAcquireOrRenew()).toEqual({ role: 'follower', acquired: false, lost: "the Lease is held by 'b'" });
    expect(store.record.checkpoint).toBe('{"*":"5"}');
  });

  test('a leader that cannot reach the API stops at the renew deadline, before another may acquire', async () => {
    let now = 0;
    const store = new MemoryLease();
    const a = new LeaderElection(store, 'a', timing, () => now);
    await a.tryAcquireOrRenew();
    store.failing = true;
    now += 2999;
    expect(await a.tryAcquireOrRenew()).toEqual({ role: 'leader', acquired: false });
    now += 1;
    const r = await a.tryAcquireOrRenew();
    expect(r.role).toBe('follower');
    expect(r.lost).toMatch(/^no renewal for 3000 ms \(deadline 3000 ms\): connection refused$/);
  });

  test('release leaves the Lease without holder and with the final checkpoint; the other takes it at once', async () => {
    let now = 0;
    const store = new MemoryLease();
    const a = new LeaderElection(store, 'a', timing, () => now);
    const b = new LeaderElection(store, 'b', timing, () => now);
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    a.setCheckpoint({ '*': '12' });
    expect(await a.release()).toBe(true);
    expect(store.record).toMatchObject({ holderIdentity: '', checkpoint: '{"*":"12"}' });
    now += 1;
    expect(await b.tryAcquireOrRenew()).toEqual({ role: 'leader', acquired: true });
    expect(b.checkpoint).toEqual({ '*': '12' });
  });

  test('fails if the renew deadline is not shorter than the lease duration', () => {
    expect(() => new LeaderElection(new MemoryLease(), 'a', { ...timing, renewDeadlineMs: 4000 })).toThrow('renew deadline (4000 ms) must be shorter than the lease duration (4000 ms)');
  });
});
