/**
 * Child processes the harness owns (Kafka JVM, Alertmanager), and the guarantees that none outlives
 * the test run that started it:
 *
 * 1. Normal stop: SIGTERM, then SIGKILL after a bound, then the process's temp dir is removed.
 * 2. The parent dies without stopping them (jest SIGKILLed, Ctrl-C in the middle of setup, a crash):
 *    every child is exec'd through `setpriv --pdeathsig KILL` (util-linux, an Essential Debian
 *    package), so the kernel SIGKILLs it the moment its parent process exits, whatever the cause.
 * 3. `process.on('exit')` SIGKILLs children still running when Node exits normally (e.g. jest's
 *    `process.exit` after a failed global setup).
 * 4. Leftovers are swept on the next start: each process lives in its own dir under
 *    `<tmpdir>/klaxon-harness/` with an `owner.json` naming the owner pid (and its start time, so a
 *    reused pid is not mistaken for a live owner). A dir whose owner is gone is removed, and its child
 *    is SIGKILLed if it still runs and its command line names that dir.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Parent folder of every harness process's own temp dir. */
export const HARNESS_TMP = path.join(os.tmpdir(), 'klaxon-harness');

/** The repository root (test/harness/.. /..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

interface OwnerRecord {
  readonly kind: string;
  readonly ownerPid: number;
  readonly ownerStartTicks: string | undefined;
  readonly childPid?: number;
  readonly createdAt: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot. */
function processStartTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the closing paren are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie (a killed process waiting for its reaper). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Removes the dirs (and kills the processes) that earlier, dead harness owners left behind. */
export function sweepOrphans(log: (line: string) => void = () => undefined): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(HARNESS_TMP);
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = path.join(HARNESS_TMP, entry);
    let owner: OwnerRecord | undefined;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8')) as OwnerRecord;
    } catch {
      owner = undefined;
    }
    if (owner === undefined) {
      // Created but never claimed: remove it only once it is clearly stale.
      const ageMs = Date.now() - safeMtime(dir);
      if (ageMs > 10 * 60_000) fs.rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const ownerAlive = isAlive(owner.ownerPid) && processStartTicks(owner.ownerPid) === owner.ownerStartTicks;
    if (ownerAlive) continue;
    if (owner.childPid !== undefined && isAlive(owner.childPid) && commandLine(owner.childPid).includes(dir)) {
      log(`harness: killing orphaned ${owner.kind} pid ${owner.childPid} left by dead pid ${owner.ownerPid}`);
      try {
        process.kill(owner.childPid, 'SIGKILL');
      } catch {
        // raced with its exit
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function safeMtime(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** A fresh dir under HARNESS_TMP, claimed by this process (see sweepOrphans). */
export function ownedTempDir(kind: string): string {
  fs.mkdirSync(HARNESS_TMP, { recursive: true });
  const dir = fs.mkdtempSync(path.join(HARNESS_TMP, `${kind}-`));
  writeOwner(dir, kind);
  return dir;
}

function writeOwner(dir: string, kind: string, childPid?: number): void {
  const record: OwnerRecord = {
    kind,
    ownerPid: process.pid,
    ownerStartTicks: processStartTicks(process.pid),
    childPid,
    createdAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, 'owner.json'), JSON.stringify(record, null, 2));
}

let setprivPath: string | null | undefined;
function findSetpriv(): string | null {
  if (setprivPath === undefined) {
    const found = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
    setprivPath = found ?? null;
  }
  return setprivPath;
}

/**
 * `[file, args]` that run `command args` through `setpriv --pdeathsig KILL`, so the kernel SIGKILLs
 * it when the spawning process dies (unchanged if setpriv is missing).
 */
export function tiedToParent(command: string, args: readonly string[]): [string, string[]] {
  const setpriv = findSetpriv();
  return setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
}

/** Options of spawnOwned. */
export interface SpawnOwnedOptions {
  /** The process's own dir (from ownedTempDir). */
  readonly dir: string;
  /** What the process is, for owner.json and messages. */
  readonly kind: string;
  /** File that receives stdout and stderr. */
  readonly logFile: string;
  /** Environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Spawns `command args` with stdout/stderr to a file, SIGKILLed by the kernel if this process dies
 * (setpriv --pdeathsig), killed on Node exit, and recorded in the dir's owner.json for the sweep.
 */
export function spawnOwned(command: string, args: readonly string[], options: SpawnOwnedOptions): ChildProcess {
  installExitHook();
  const out = fs.openSync(options.logFile, 'a');
  const [file, argv] = tiedToParent(command, args);
  const child = spawn(file, argv, {
    cwd: options.dir,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid !== undefined) writeOwner(options.dir, options.kind, child.pid);
  live.add(child);
  child.once('exit', () => live.delete(child));
  // A spawn failure (ENOENT) is reported through exitPromise.
  child.once('error', () => live.delete(child));
  return child;
}

/** Resolves when the child has exited (or failed to spawn). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

function within(ms: number, p: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL if still running after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  const gone = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await within(graceMs, gone)) return;
  child.kill('SIGKILL');
  await within(10_000, gone);
}

/** Removes a dir made by ownedTempDir. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago (never the same one twice per process). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: no unused port after 50 attempts');
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The last `lines` lines of a text file ('' if it is missing). */
export function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Runs a command to completion; throws with its output if it fails. */
export function runOrThrow(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): string {
  const result = spawnSync(command, [...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `onLine` with each line a child writes to stdout or stderr, parsed as JSON (the runtime's
 * logs), or as `{ raw: text }` when a line is not JSON. Blank lines are skipped.
 */
export function onJsonLines(child: ChildProcess, onLine: (line: Record<string, unknown>) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!text.trim()) continue;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          line = { raw: text };
        }
        onLine(line);
      }
    });
  }
}
