/**
 * events-fanout under load: killed (SIGKILL) mid-stream and started again, it loses nothing; stopped
 * with SIGTERM, it exits 0 within 10 s with its offsets committed.
 */
import { brokers, uniqueName } from '../harness';
import {
  FanoutNames,
  FanoutProcess,
  committedTotal,
  createFanoutTopics,
  fanoutNames,
  killRunning,
  produceLoad,
  readSeqs,
  recordCount,
  startFanout,
  synthesizedFanoutEnv,
  testKafka,
  waitForRecords,
} from '../functions/support/fanout';

jest.setTimeout(300_000);

const NAMESPACES = ['shop', 'billing', 'ops'];
const LOAD = 30_000;

describe('events-fanout lifecycle under load', () => {
  const kafka = testKafka(brokers().join(','));
  const running: FanoutProcess[] = [];

  afterAll(() => killRunning(running));

  async function setUp(prefix: string): Promise<{ names: FanoutNames; env: Record<string, string>; outputs: string[]; seqs: Set<number> }> {
    const names = fanoutNames(uniqueName(prefix));
    await createFanoutTopics(names, NAMESPACES);
    const seqs = await produceLoad(kafka, names.source, NAMESPACES, LOAD);
    const env = await synthesizedFanoutEnv(names, NAMESPACES, brokers().join(','));
    return { names, env, outputs: [...NAMESPACES.map((ns) => names.topic(ns)), names.deadLetter], seqs };
  }

  async function start(env: Record<string, string>): Promise<FanoutProcess> {
    const f = await startFanout(env);
    running.push(f);
    return f;
  }

  test('a fanout killed mid-stream and started again delivers every record at least once', async () => {
    // GIVEN 30 000 events and a fanout working through them
    const { env, outputs, seqs } = await setUp('fanout-kill');
    const first = await start(env);
    await waitForRecords(kafka, outputs, 3000, 60_000);

    // WHEN it is killed mid-stream, then started again
    first.kill('SIGKILL');
    expect((await first.exit).signal).toBe('SIGKILL');
    const atKill = await recordCount(kafka, outputs);
    expect(atKill).toBeLessThan(LOAD);
    const second = await start(env);
    await waitForRecords(kafka, outputs, LOAD, 120_000);

    // THEN every event reached its topic at least once (duplicates are allowed: at-least-once)
    const got = await readSeqs(kafka, outputs);
    const delivered = new Set(got.map((r) => r.seq));
    const missing = [...seqs].filter((s) => !delivered.has(s));
    expect(missing).toEqual([]);
    expect(got.length).toBeGreaterThanOrEqual(LOAD);
    expect(await second.metric('klaxon_records_dead_lettered_total')).toBe(0);
    process.stdout.write(`fanout-kill: ${atKill} records out at SIGKILL, ${got.length - LOAD} duplicates after restart\n`);

    second.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
  });

  test('SIGTERM under load: exits 0 within 10 s with its offsets committed, and a restart loses nothing', async () => {
    // GIVEN a fanout working through 30 000 events
    const { names, env, outputs, seqs } = await setUp('fanout-term');
    const first = await start(env);
    await waitForRecords(kafka, outputs, 3000, 60_000);

    // WHEN it gets SIGTERM
    const sent = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exit;

    // THEN it exits 0 within 10 s
    expect(exit.code).toBe(0);
    expect(exit.at - sent).toBeLessThan(10_000);
    expect(first.lines.some((l) => l.msg === 'stopped' && l.code === 0)).toBe(true);

    // AND its committed offsets cover what it wrote: every output came from below a committed offset
    const committed = await committedTotal(kafka, names.groupId, names.source);
    const written = await readSeqs(kafka, outputs);
    expect(committed.total).toBeGreaterThan(0);
    expect(committed.total).toBe(written.length);

    // AND a restart continues from there: every event exactly once
    const second = await start(env);
    await waitForRecords(kafka, outputs, LOAD, 120_000);
    const all = await readSeqs(kafka, outputs);
    expect(all).toHaveLength(LOAD);
    expect(new Set(all.map((r) => r.seq))).toEqual(seqs);
    second.kill('SIGTERM');
    expect((await second.exit).code).toBe(0);
    process.stdout.write(`fanout-term: stopped in ${exit.at - sent} ms with ${committed.total} offsets committed\n`);
  });
});
