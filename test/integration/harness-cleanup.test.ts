import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaBroker } from '../harness/kafka-broker';
import { REPO_ROOT, isAlive, sweepOrphans, tiedToParent } from '../harness/processes';

// The project-level testTimeout in jest.config.js is not applied by jest 29; real processes need more than 5 s.
jest.setTimeout(120_000);

/** Starts test/harness/hold.ts in a child Node process; resolves with the pid and dir it reports. */
function hold(what: 'kafka' | 'alertmanager' | 'kube-apiserver'): Promise<{ node: number; pid: number; pids: number[]; dir: string }> {
  // Tied to this worker too, so a killed test run cannot leave the holder (and so its child) behind.
  const [file, args] = tiedToParent(process.execPath, [path.join(REPO_ROOT, 'node_modules', '.bin', 'ts-node'), '--transpile-only', path.join(REPO_ROOT, 'test', 'harness', 'hold.ts'), what]);
  const child = spawn(file, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ node: child.pid!, ...(JSON.parse(line) as { pid: number; pids: number[]; dir: string }) });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`hold.ts ${what} exited ${code}: ${err}`)));
  });
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

describe('harness processes never outlive their owner', () => {
  test.each([
    ['an Alertmanager', 'alertmanager'],
    ['a Kafka broker', 'kafka'],
    ['a kube-apiserver and its etcd', 'kube-apiserver'],
  ] as const)('%s whose owner is SIGKILLed dies with it, and the next start removes its dir', async (_, what) => {
    // GIVEN a process that started one and holds it
    const held = await hold(what);
    expect(isAlive(held.pid)).toBe(true);
    expect(fs.existsSync(held.dir)).toBe(true);

    // WHEN that owner is SIGKILLed (no chance to clean up)
    process.kill(held.node, 'SIGKILL');

    // THEN the kernel kills the child at once (pdeathsig), and a sweep removes the dir it left
    for (const pid of held.pids) expect(await gone(pid, 5000)).toBe(true);
    expect(await gone(held.node, 5000)).toBe(true);
    sweepOrphans();
    expect(fs.existsSync(held.dir)).toBe(false);
  });

  test('a broker started with options applies them, and stop() ends the JVM and removes its dir', async () => {
    // GIVEN a second broker with a 3 s initial rebalance delay, no topic auto-creation and a smaller heap
    const broker = await startKafkaBroker({ groupInitialRebalanceDelayMs: 3000, autoCreateTopics: false, heap: '256m' });
    try {
      const admin = new Kafka({ clientId: 'harness-cleanup', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4 /* BROKER */, name: '1', configNames: ['group.initial.rebalance.delay.ms', 'auto.create.topics.enable'] }] });
      await admin.disconnect();
      const config = Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e.configValue]));
      expect(config).toEqual({ 'group.initial.rebalance.delay.ms': '3000', 'auto.create.topics.enable': 'false' });
      expect(fs.readFileSync(`/proc/${broker.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['-Xms256m', '-Xmx256m']));
    } finally {
      // WHEN it is stopped
      await broker.stop();
    }
    // THEN the JVM is gone and so is its temp dir
    expect(isAlive(broker.pid)).toBe(false);
    expect(fs.existsSync(broker.dir)).toBe(false);
  });
});
