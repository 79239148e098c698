/**
 * Support for test/integration/e2e-dist.test.ts: dist/<env>/*.k8s.yaml read back as objects, and a
 * small stand-in for the kubelet that runs a Deployment's pod from those objects alone: each volume
 * made as a temp dir (a ConfigMap or Secret volume holds its object's keys), the init containers run
 * to completion with their own command and args, then the one container with its own command and the
 * env the test gives. Paths under a volumeMount, in arguments and env values, are rewritten to that
 * volume's dir; nothing else is changed.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseYamlDocuments } from '../schema/validator';
import { onJsonLines } from '../harness/processes';
import { workloadNode } from '../harness/workload-node';
import { httpGet } from '../functions/support/http';

const ROOT = path.resolve(__dirname, '..', '..');

/** The fields of a manifest object the e2e test reads. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly spec?: any;
  readonly data?: Record<string, string>;
  readonly binaryData?: Record<string, string>;
}

/** Every object of dist/<env>/<file> (the committed manifests, not a fresh synth), by file name. */
export function readDist(env: string): Map<string, KubeObject[]> {
  const dir = path.join(ROOT, 'dist', env);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort();
  return new Map(files.map((f) => [f, (parseYamlDocuments(fs.readFileSync(path.join(dir, f), 'utf8'), f) as KubeObject[]).filter((o) => o !== null)]));
}

/** A container's `env` entry. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: unknown;
}

/** A pod started by `startPod`. */
export interface PodProcess {
  readonly deployment: string;
  readonly child: ChildProcess;
  /** The init containers' output (e.g. the unpack line). */
  readonly initOutput: string[];
  /** Every stdout/stderr line of the container, parsed (non-JSON as { raw }). */
  readonly lines: Array<Record<string, unknown>>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  get(urlPath: string): Promise<{ status: number; body: string }>;
  kill(signal: NodeJS.Signals): void;
}

interface Mount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
}

interface Container {
  readonly name: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: EnvVar[];
  readonly envFrom?: unknown[];
  readonly volumeMounts?: Mount[];
}

/** The pods `startPod` started, their temp dirs, and their cleanup (SIGKILL leftovers). */
export class PodRunner {
  private readonly pods: PodProcess[] = [];
  private readonly dirs: string[] = [];

  /** `secrets`: Secret objects (`data` base64 or `stringData`) that secret volumes mount. */
  constructor(
    private readonly configMaps: readonly KubeObject[],
    private readonly secrets: readonly KubeObject[] = [],
  ) {}

  /**
   * Runs `deployment`'s pod: volumes, init containers (each must exit 0), then its one container with
   * `env(container.env)` (plus PATH) as its whole environment; `node` is this Node.js.
   */
  async startPod(deployment: KubeObject, env: (declared: readonly EnvVar[]) => Record<string, string>): Promise<PodProcess> {
    const spec = deployment.spec.template.spec;
    const name = deployment.metadata.name;
    if (spec.containers.length !== 1) throw new Error(`${name}: ${spec.containers.length} containers; the e2e pod runner runs one`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `klaxon-e2e-${name}-`));
    this.dirs.push(dir);
    const volumes = new Map<string, string>();
    for (const v of spec.volumes ?? []) volumes.set(v.name, this.makeVolume(name, dir, v));

    const initOutput: string[] = [];
    for (const init of (spec.initContainers ?? []) as Container[]) {
      const [cmd, ...args] = commandOf(name, init, volumes);
      const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH ?? '' }, cwd: dir, encoding: 'utf8', timeout: 60_000 });
      initOutput.push(`${r.stdout ?? ''}${r.stderr ?? ''}`.trim());
      if (r.status !== 0) throw new Error(`${name}: init container ${init.name} failed (${r.status ?? r.signal}): ${r.stdout ?? ''}${r.stderr ?? ''}`);
    }

    const container = spec.containers[0] as Container;
    if (container.envFrom !== undefined) throw new Error(`${name}: container ${container.name} has envFrom, which the e2e test cannot provide`);
    for (const m of container.volumeMounts ?? []) if (m.readOnly) fs.chmodSync(volumes.get(m.name)!, 0o555); // as mounted read-only
    const [cmd, ...args] = commandOf(name, container, volumes);
    // Paths the Deployment declares move into their volumes; values a test put in (host paths) stay as given.
    const declared = new Map((container.env ?? []).map((e) => [e.name, e.value]));
    const podEnv = Object.fromEntries(Object.entries(env(container.env ?? [])).map(([k, v]) => [k, declared.get(k) === v ? underMount(container, volumes, v) : v]));
    const child = spawn(cmd, args, { env: { ...podEnv, PATH: process.env.PATH ?? '' }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<Record<string, unknown>> = [];
    onJsonLines(child, (line) => lines.push(line));
    let exited = false;
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    void exit.then(() => (exited = true));
    const waitForLine = async (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(predicate);
        if (found) return found;
        const tail = lines.slice(-15).map((l) => JSON.stringify(l).slice(0, 400)).join('\n');
        if (exited) throw new Error(`${name} exited before the expected log line; last lines:\n${tail}`);
        if (Date.now() > deadline) throw new Error(`${name}: no matching log line within ${timeoutMs} ms; last lines:\n${tail}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let port: Promise<number> | undefined;
    const pod: PodProcess = {
      deployment: name,
      child,
      initOutput,
      lines,
      exit,
      waitForLine,
      get: async (urlPath) => httpGet(await (port ??= waitForLine((l) => l.msg === 'http server listening').then((l) => Number(l.port))), urlPath),
      kill: (signal) => void child.kill(signal),
    };
    this.pods.push(pod);
    return pod;
  }

  /** SIGKILLs the pods still running and removes their dirs (for afterAll). */
  async cleanUp(): Promise<void> {
    for (const pod of this.pods) {
      if (pod.child.exitCode !== null || pod.child.signalCode !== null) continue;
      pod.kill('SIGKILL');
      await pod.exit;
    }
    for (const dir of this.dirs) {
      spawnSync('chmod', ['-R', 'u+w', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private makeVolume(deployment: string, podDir: string, volume: any): string {
    const dir = path.join(podDir, 'volumes', volume.name);
    fs.mkdirSync(dir, { recursive: true });
    if (volume.emptyDir !== undefined) return dir;
    if (volume.configMap !== undefined) {
      const cm = this.configMaps.find((c) => c.metadata.name === volume.configMap.name);
      if (!cm) throw new Error(`${deployment}: volume ${volume.name} mounts ConfigMap ${volume.configMap.name}, which is not in dist`);
      if (volume.configMap.items !== undefined) throw new Error(`${deployment}: volume ${volume.name} selects items, which the e2e pod runner does not do`);
      const mode = volume.configMap.defaultMode ?? 0o644;
      for (const [key, text] of Object.entries(cm.data ?? {})) fs.writeFileSync(path.join(dir, key), text, { mode });
      for (const [key, b64] of Object.entries(cm.binaryData ?? {})) fs.writeFileSync(path.join(dir, key), Buffer.from(b64, 'base64'), { mode });
      return dir;
    }
    if (volume.secret !== undefined) {
      const secret = this.secrets.find((c) => c.metadata.name === volume.secret.secretName) as (KubeObject & { stringData?: Record<string, string> }) | undefined;
      if (!secret) throw new Error(`${deployment}: volume ${volume.name} mounts Secret ${volume.secret.secretName}, which the test did not give`);
      const mode = volume.secret.defaultMode ?? 0o644;
      const keys: Record<string, Buffer> = {};
      for (const [key, b64] of Object.entries(secret.data ?? {})) keys[key] = Buffer.from(b64, 'base64');
      for (const [key, text] of Object.entries(secret.stringData ?? {})) keys[key] = Buffer.from(text);
      const items = (volume.secret.items as Array<{ key: string; path: string }> | undefined) ?? Object.keys(keys).map((key) => ({ key, path: key }));
      for (const item of items) {
        if (!(item.key in keys)) throw new Error(`${deployment}: volume ${volume.name} wants key ${item.key} of Secret ${volume.secret.secretName}, which it lacks`);
        fs.mkdirSync(path.dirname(path.join(dir, item.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, item.path), keys[item.key], { mode });
      }
      return dir;
    }
    throw new Error(`${deployment}: volume ${volume.name} is neither an emptyDir, a ConfigMap nor a Secret; the e2e pod runner cannot make it`);
  }
}

/** `value` moved to its volume's dir when it is a path under one of `container`'s volumeMounts. */
function underMount(container: Container, volumes: ReadonlyMap<string, string>, value: string): string {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const m = mounts.find((mount) => value === mount.mountPath || value.startsWith(`${mount.mountPath}/`));
  return m ? path.join(volumes.get(m.name)!, value.slice(m.mountPath.length)) : value;
}

/** command + args with `node` as the pods' Node.js (workloadNode()) and every path under a volumeMount moved to its volume's dir. */
function commandOf(deployment: string, container: Container, volumes: ReadonlyMap<string, string>): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  if (argv[0] !== 'node') throw new Error(`${deployment}: container ${container.name} runs ${JSON.stringify(argv[0])}, not node; the e2e pod runner runs node only`);
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const local = (arg: string): string => {
    const m = mounts.find((mount) => arg === mount.mountPath || arg.startsWith(`${mount.mountPath}/`));
    return m ? path.join(volumes.get(m.name)!, arg.slice(m.mountPath.length)) : arg;
  };
  return [workloadNode(), ...argv.slice(1).map(local)];
}

/** Polls until `check` holds; throws with `what` after `timeoutMs` (generous: a slow CI machine only waits longer). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e; // e.g. the HTTP server not listening yet: ask again
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
