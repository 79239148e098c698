/**
 * events-fanout through a broker restart: the broker stops mid-stream and comes back on the same
 * port and data dir; the fanout recovers by itself and loses nothing.
 */
import { createTopics, uniqueName } from '../harness';
import { FanoutProcess, createFanoutTopics, fanoutNames, killRunning, produceLoad, readSeqs, startFanout, synthesizedFanoutEnv, testKafka, waitForRecords } from '../functions/support/fanout';
import { RestartableBroker, createRestartableBroker } from '../functions/support/restartable-broker';

jest.setTimeout(400_000);

const NAMESPACES = ['shop', 'billing'];
const LOAD = 40_000;

describe('events-fanout through a broker restart', () => {
  let broker: RestartableBroker | undefined;
  let fanout: FanoutProcess | undefined;

  afterAll(async () => {
    await killRunning([fanout]);
    await broker?.destroy();
  });

  test('the fanout recovers by itself after the broker restarts, and loses nothing', async () => {
    // GIVEN a broker of its own, 40 000 events, and a fanout working through them
    broker = await createRestartableBroker();
    await broker.start();
    const kafka = testKafka(broker.brokers);
    const names = fanoutNames(uniqueName('fanout-restart'));
    const admin = kafka.admin();
    await admin.connect();
    await createFanoutTopics(names, NAMESPACES, {}, admin);
    await admin.disconnect();
    const seqs = await produceLoad(kafka, names.source, NAMESPACES, LOAD);
    const outputs = [...NAMESPACES.map((ns) => names.topic(ns)), names.deadLetter];
    fanout = await startFanout(await synthesizedFanoutEnv(names, NAMESPACES, broker.brokers));
    await waitForRecords(kafka, outputs, 2000, 60_000);

    // WHEN the broker dies mid-stream (SIGKILL) and comes back on the same port and data dir 8 s later
    await broker.kill();
    const atKill = await fanout.metric('klaxon_records_out_total');
    expect(atKill).toBeLessThan(LOAD);
    const readiness: number[] = [];
    const downUntil = Date.now() + 8000;
    while (Date.now() < downUntil) {
      readiness.push((await fanout.get('/readyz')).status);
      await new Promise((r) => setTimeout(r, 500));
    }
    await broker.start();

    // THEN the fanout finishes the stream by itself, without a restart of its own
    await waitForRecords(kafka, outputs, LOAD, 240_000);
    expect(fanout.child.exitCode).toBeNull();
    const got = await readSeqs(kafka, outputs);
    const delivered = new Set(got.map((r) => r.seq));
    expect([...seqs].filter((s) => !delivered.has(s))).toEqual([]);
    expect(await fanout.metric('klaxon_records_dead_lettered_total')).toBe(0);

    // AND it is ready again
    const deadline = Date.now() + 60_000;
    while ((await fanout.get('/readyz')).status !== 200) {
      if (Date.now() > deadline) throw new Error('not ready 60 s after the broker came back');
      await new Promise((r) => setTimeout(r, 500));
    }
    process.stdout.write(
      `fanout-restart: ${atKill} records out when the broker died; /readyz while the broker was down: ${readiness.join(',')}; ${got.length - LOAD} duplicates; ` +
        `${await fanout.metric('klaxon_retries_total')} retries, ${await fanout.metric('klaxon_consumer_crashes_total')} consumer crashes\n`,
    );
    fanout.kill('SIGTERM');
    expect((await fanout.exit).code).toBe(0);
  });

  test('a consumer that crashed for good (no restarts left) makes the process exit non-zero', async () => {
    // GIVEN a fanout allowed no consumer restarts, on a broker of its own
    const own = await createRestartableBroker();
    try {
      await own.start();
      const kafka = testKafka(own.brokers);
      const names = fanoutNames(uniqueName('fanout-dead'));
      const admin = kafka.admin();
      await admin.connect();
      await createTopics([{ topic: names.source }, { topic: names.topic('shop') }, { topic: names.deadLetter }], admin);
      // A broker this new may still be loading its group coordinator; a consumer allowed no restarts
      // would crash on that before it ever started. Wait until the coordinator answers for the group.
      for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 500))) {
        const ready = await admin.describeGroups([names.groupId]).then(() => true, () => false);
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`the group coordinator of ${names.groupId} did not answer within 60 s`);
      }
      await admin.disconnect();
      const env = await synthesizedFanoutEnv(names, ['shop'], own.brokers);
      const dying = await startFanout({ ...env, KLAXON_MAX_RESTARTS: '0' });
      await dying.waitForLine((l) => l.msg === 'started');

      // WHEN the broker goes away for good
      await own.kill();

      // THEN the consumer crashes, kafkajs is told not to restart it, and the process exits 1
      const exit = await dying.exit;
      expect(exit.code).toBe(1);
      expect(dying.lines.some((l) => l.msg === 'consumer crashed for good')).toBe(true);
    } finally {
      await own.destroy();
    }
  });
});
