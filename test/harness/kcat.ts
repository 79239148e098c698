/**
 * Debian's `kcat` (librdkafka) as a second, independent Kafka client for tests.
 *
 * Producing keeps exact bytes: each value is written to its own file and kcat sends each file
 * argument as one message, byte for byte (no delimiter can split it). kcat skips empty files, so an
 * empty or null value goes through stdin key-delimited mode (`-K`, with `-Z` for null).
 * Keys and header values are command-line arguments: text without NUL bytes.
 *
 * Consuming: `kcatConsumeJson` returns kcat's own `-J` JSON envelopes (text; invalid UTF-8 in a key or
 * payload is replaced there), and `kcatConsume` adds the exact key and value bytes, read in a second
 * pass with a length-framed `-f` format.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { brokers as harnessBrokers } from './env';

/** The kcat executable. */
export const KCAT = process.env.KCAT ?? 'kcat';

/** A record to produce with kcat. */
export interface KcatMessage {
  /** Message value; `null` sends a tombstone. */
  readonly value: Buffer | string | null;
  /** Message key (text without NUL bytes). @default - no key */
  readonly key?: string;
  /** Headers, in order. @default - none */
  readonly headers?: ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;
  /** Target partition. @default - librdkafka's partitioner */
  readonly partition?: number;
}

/** Common options. */
export interface KcatOptions {
  /** Bootstrap servers. @default the harness broker (KAFKA_BROKERS) */
  readonly brokers?: string;
  /** Extra librdkafka properties (`-X name=value`). @default - none */
  readonly properties?: Readonly<Record<string, string>>;
  /** Kill kcat after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/** kcat's `-J` envelope. */
export interface KcatEnvelope {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly tstype: string;
  readonly ts: number;
  readonly broker: number;
  /** Header names and values, alternating, as kcat prints them. */
  readonly headers?: string[];
  readonly key: string | null;
  readonly payload: string | null;
}

/** A consumed record with exact bytes. */
export interface KcatRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Headers as [name, value] pairs in order (text, from the JSON envelope). */
  readonly headers: Array<[string, string]>;
}

/** Consume options. */
export interface KcatConsumeOptions extends KcatOptions {
  /** Start offset: 'beginning', 'end', a number, or negative for relative to the end. @default 'beginning' */
  readonly offset?: 'beginning' | 'end' | number;
  /** Only this partition. @default - all partitions */
  readonly partition?: number;
  /** Stop after this many messages (`-c`). @default - until the end of every partition (`-e`) */
  readonly count?: number;
}

interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
}

function brokersOf(options: KcatOptions): string {
  return options.brokers ?? harnessBrokers().join(',');
}

function commonArgs(options: KcatOptions): string[] {
  const args = ['-b', brokersOf(options), '-q'];
  for (const [name, value] of Object.entries(options.properties ?? {})) args.push('-X', `${name}=${value}`);
  return args;
}

function run(args: readonly string[], options: KcatOptions, stdin?: Buffer): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kcat: ${e.message} (install it: bash .ci/install.sh)`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`kcat ${args.join(' ')} failed (${signal ? `killed after ${timeoutMs} ms` : `exit ${code}`}): ${stderr}`));
    });
    child.stdin.end(stdin);
  });
}

function headerPairs(headers: KcatMessage['headers']): Array<readonly [string, string]> {
  if (headers === undefined) return [];
  return Array.isArray(headers) ? (headers as Array<readonly [string, string]>) : Object.entries(headers);
}

function checkText(what: string, text: string): void {
  if (text.includes('\0')) throw new Error(`kcat: ${what} ${JSON.stringify(text)} contains a NUL byte; kcat takes it as an argument`);
}

/**
 * Produces messages with kcat, in order, waiting for the broker's acknowledgement (acks=all).
 * Consecutive messages with the same key, headers and partition go in one kcat run.
 */
export async function kcatProduce(topic: string, messages: readonly KcatMessage[], options: KcatOptions = {}): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-kcat-'));
  try {
    let i = 0;
    while (i < messages.length) {
      const first = messages[i];
      const args = [...commonArgs(options), '-P', '-t', topic, '-X', 'acks=all'];
      if (first.partition !== undefined) args.push('-p', String(first.partition));
      for (const [name, value] of headerPairs(first.headers)) {
        checkText('header', `${name}=${value}`);
        args.push('-H', `${name}=${value}`);
      }
      const value = first.value === null ? null : Buffer.from(first.value);
      if (value === null || value.length === 0) {
        // Key-delimited stdin: "<key>\t\n" is one message with an empty value (NULL with -Z).
        const key = first.key ?? '';
        if (/[\t\n]/.test(key)) throw new Error(`kcat: key ${JSON.stringify(key)} of an empty/null value may not contain a tab or newline`);
        checkText('key', key);
        args.push('-K', '\\t', '-D', '\\n');
        if (value === null) args.push('-Z');
        await run(args, options, Buffer.from(`${key}\t\n`));
        i++;
        continue;
      }
      if (first.key !== undefined) {
        checkText('key', first.key);
        args.push('-k', first.key);
      }
      const files: string[] = [];
      const sameBatch = (m: KcatMessage): boolean =>
        m.key === first.key &&
        m.partition === first.partition &&
        JSON.stringify(headerPairs(m.headers)) === JSON.stringify(headerPairs(first.headers)) &&
        m.value !== null &&
        Buffer.byteLength(m.value) > 0;
      while (i < messages.length && sameBatch(messages[i])) {
        const file = path.join(dir, `${i}.bin`);
        fs.writeFileSync(file, Buffer.from(messages[i].value as Buffer | string));
        files.push(file);
        i++;
      }
      await run([...args, ...files], options);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function consumeArgs(topic: string, options: KcatConsumeOptions): string[] {
  const args = [...commonArgs(options), '-C', '-t', topic, '-o', String(options.offset ?? 'beginning')];
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  if (options.count !== undefined) args.push('-c', String(options.count));
  else args.push('-e');
  return args;
}

/** `kcat -C -e -J`: kcat's JSON envelopes, one per message, in kcat's output order. */
export async function kcatConsumeJson(topic: string, options: KcatConsumeOptions = {}): Promise<KcatEnvelope[]> {
  const { stdout } = await run([...consumeArgs(topic, options), '-J'], options);
  return stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as KcatEnvelope);
}

const FRAME = 'KCAT %p %o %T %K %S\n%k%s\n';

/** Parses the output of the FRAME format: a text line with lengths, then the raw key and value bytes. */
function parseFrames(out: Buffer): Array<{ partition: number; offset: number; timestamp: number; key: Buffer | null; value: Buffer | null }> {
  const records = [];
  let pos = 0;
  while (pos < out.length) {
    const eol = out.indexOf(0x0a, pos);
    if (eol < 0) throw new Error(`kcat: truncated frame at byte ${pos}`);
    const header = out.subarray(pos, eol).toString('latin1').split(' ');
    if (header[0] !== 'KCAT' || header.length !== 6) throw new Error(`kcat: unexpected frame header ${JSON.stringify(header.join(' '))}`);
    const [partition, offset, timestamp, keyLength, valueLength] = header.slice(1).map(Number);
    pos = eol + 1;
    const key = keyLength < 0 ? null : out.subarray(pos, pos + keyLength);
    pos += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : out.subarray(pos, pos + valueLength);
    pos += Math.max(valueLength, 0) + 1; // the frame's closing newline
    records.push({ partition, offset, timestamp, key: key && Buffer.from(key), value: value && Buffer.from(value) });
  }
  return records;
}

/**
 * Consumes with kcat and returns exact key and value bytes (plus headers and timestamps), sorted by
 * partition then offset. Reads the topic twice (framed bytes, then JSON for the headers), so pass
 * `count` or rely on `-e` only for a topic nobody is writing to at the same time.
 */
export async function kcatConsume(topic: string, options: KcatConsumeOptions = {}): Promise<KcatRecord[]> {
  const framed = parseFrames((await run([...consumeArgs(topic, options), '-f', FRAME], options)).stdout);
  const envelopes = await kcatConsumeJson(topic, options);
  const headersAt = new Map(envelopes.map((e) => [`${e.partition}/${e.offset}`, e.headers ?? []]));
  return framed
    .map((r) => {
      const flat = headersAt.get(`${r.partition}/${r.offset}`) ?? [];
      const headers: Array<[string, string]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i], flat[i + 1]]);
      return { topic, ...r, headers };
    })
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
