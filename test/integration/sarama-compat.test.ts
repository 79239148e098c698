/**
 * Which event-source Kafka clients can write to a Kafka 4.x broker, proven against the harness broker.
 *
 * test/compat/sarama/probe.go, built in each test/compat/sarama/<module>/ go.mod, reproduces each
 * program's producer settings with the sarama release the program pins (kube-eventer 1.2.14: Shopify/sarama v1.22.1; heptiolabs/eventrouter
 * v0.3: Shopify/sarama v1.23.1; openshift/eventrouter master: IBM/sarama v1.46.3). None of the
 * programs sets sarama's Config.Version; the old sarama then speaks Kafka 0.8.2 (Produce v0),
 * which Kafka 4 removed (KIP-896). The constructs' synth-time check
 * (constructs/sources/kafka-client-compat.ts) encodes exactly these results.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { brokers, createTopics, kafka, readBrokerInfo, uniqueName } from '../harness';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..');
const COMPAT = path.join(REPO, 'test', 'compat', 'sarama');
const BIN = path.join(REPO, '.cache', 'compat-sarama');

interface CompatResult {
  readonly library: string;
  readonly profile: string;
  readonly protocolVersion: string;
  readonly compression: string;
  readonly ok: boolean;
  readonly partition: number;
  readonly offset: number;
  readonly error?: string;
}

type Module = 'shopify-v1.22.1' | 'shopify-v1.23.1' | 'ibm-v1.46.3';

/** The sarama import path and release of each module folder. */
const MODULES: Record<Module, { importPath: string; library: string }> = {
  'shopify-v1.22.1': { importPath: 'github.com/Shopify/sarama', library: 'Shopify/sarama v1.22.1' },
  'shopify-v1.23.1': { importPath: 'github.com/Shopify/sarama', library: 'Shopify/sarama v1.23.1' },
  'ibm-v1.46.3': { importPath: 'github.com/IBM/sarama', library: 'IBM/sarama v1.46.3' },
};

/** Builds probe.go against one module's go.mod/go.sum, in a build folder under .cache/. */
async function build(module: Module): Promise<string> {
  const out = path.join(BIN, module);
  const src = path.join(BIN, 'src', module);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  for (const file of ['go.mod', 'go.sum']) fs.copyFileSync(path.join(COMPAT, module, file), path.join(src, file));
  const probe = fs.readFileSync(path.join(COMPAT, 'probe.go'), 'utf8');
  const { importPath, library } = MODULES[module];
  fs.writeFileSync(path.join(src, 'main.go'), probe.replace('sarama "github.com/IBM/sarama"', `sarama "${importPath}"`));
  await run('go', ['build', '-ldflags', `-X 'main.library=${library}'`, '-o', out, '.'], {
    cwd: src,
    env: {
      ...process.env,
      GOFLAGS: '-mod=mod',
      GOMODCACHE: path.join(REPO, '.cache', 'go-mod'),
      GOCACHE: path.join(REPO, '.cache', 'go-build'),
    },
    timeout: 540_000,
  });
  return out;
}

async function produce(module: Module, topic: string, args: string[]): Promise<CompatResult> {
  const bin = path.join(BIN, module);
  try {
    const { stdout } = await run(bin, ['-brokers', brokers().join(','), '-topic', topic, '-deadline', '40s', ...args], { timeout: 60_000 });
    return JSON.parse(stdout.trim()) as CompatResult;
  } catch (e) {
    const stdout = (e as { stdout?: string }).stdout;
    if (!stdout) throw e;
    return JSON.parse(stdout.trim()) as CompatResult;
  }
}

let topic: string;

beforeAll(async () => {
  fs.mkdirSync(BIN, { recursive: true });
  for (const module of ['shopify-v1.22.1', 'shopify-v1.23.1', 'ibm-v1.46.3'] as const) await build(module);
  // These results are about Kafka 4: refuse to run against a broker the harness knows is older.
  const info = readBrokerInfo();
  if (info && !info.external && !info.version.startsWith('4.')) throw new Error(`harness broker is Kafka ${info.version}, not 4.x`);
  topic = uniqueName('sarama-compat');
  await createTopics([{ topic }]);
}, 600_000);

test('kube-eventer 1.2.14 (Shopify/sarama v1.22.1, no protocol version) cannot produce to Kafka 4: the broker drops Produce v0', async () => {
  // GIVEN the exact producer settings of common/kafka/kafka.go, for each codec kube-eventer accepts
  for (const compression of ['none', 'gzip', 'snappy']) {
    // WHEN it sends one record
    const result = await produce('shopify-v1.22.1', topic, ['-profile', 'kube-eventer', '-compression', compression]);
    // THEN it speaks Kafka 0.8.2 and the broker closes the connection
    expect(result).toMatchObject({ library: 'Shopify/sarama v1.22.1', protocolVersion: '0.8.2.0', compression, ok: false, error: 'send: EOF' });
  }
});

test('kube-eventer compression=lz4 never starts: sarama v1.22.1 requires protocol version >= 0.10 for lz4', async () => {
  const result = await produce('shopify-v1.22.1', topic, ['-profile', 'kube-eventer', '-compression', 'lz4']);
  expect(result.ok).toBe(false);
  expect(result.error).toBe('new producer: kafka: invalid configuration (lz4 compression requires Version >= V0_10_0_0)');
});

test('heptiolabs/eventrouter v0.3 (Shopify/sarama v1.23.1, no protocol version) cannot produce to Kafka 4', async () => {
  const result = await produce('shopify-v1.23.1', topic, ['-profile', 'eventrouter']);
  expect(result).toMatchObject({ library: 'Shopify/sarama v1.23.1', protocolVersion: '0.8.2.0', ok: false, error: 'send: EOF' });
});

test('openshift/eventrouter master (IBM/sarama v1.46.3) produces to Kafka 4, and the record arrives with its key', async () => {
  // WHEN
  const result = await produce('ibm-v1.46.3', topic, ['-profile', 'eventrouter']);
  // THEN sarama's own default protocol version (2.1.0) is one Kafka 4 still serves
  expect(result).toMatchObject({ library: 'IBM/sarama v1.46.3', protocolVersion: '2.1.0', ok: true });
  const consumer = kafka().consumer({ groupId: uniqueName('sarama-compat-check') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: { key: string; value: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no record from IBM/sarama on ${topic} within 30s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
          if (seen.some((m) => m.value.includes('IBM/sarama'))) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    expect(seen).toContainEqual({ key: 'compat-object', value: '{"compat":"IBM/sarama v1.46.3"}' });
  } finally {
    await consumer.disconnect();
  }
});

test('the old sarama releases do produce once Config.Version is set, which neither program lets a user do', async () => {
  for (const [module, profile] of [['shopify-v1.22.1', 'kube-eventer'], ['shopify-v1.23.1', 'eventrouter']] as const) {
    const result = await produce(module, topic, ['-profile', profile, '-protocol-version', '2.1.0']);
    expect(result).toMatchObject({ protocolVersion: '2.1.0', ok: true });
  }
});
