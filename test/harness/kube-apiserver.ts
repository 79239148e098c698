/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver built from Go modules by
 * .ci/k8s/build.sh, started on free 127.0.0.1 ports in their own temp dir, with the flags envtest
 * gives them: token authentication (one admin token in `system:masters`), RBAC, service-account
 * signing keys, a serving certificate signed by a CA made for this run. No kubelet, scheduler or
 * controller-manager runs: objects are stored and admitted (validation, defaulting, Pod Security
 * admission, RBAC) but nothing reconciles them.
 *
 * Same process rules as the Kafka broker (processes.ts): every child dies with the test process,
 * `stop()` removes the temp dir, a later start sweeps what a killed run left behind.
 */
import { ChildProcess, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { REPO_ROOT, exited, freePort, ownedTempDir, removeDir, runOrThrow, sleep, spawnOwned, stopChild, sweepOrphans, tail } from './processes';

/** Where build.sh put the binaries. */
export interface ControlPlaneBinaries {
  /** Folder of kube-apiserver and kubectl. */
  readonly kubernetes: string;
  /** Folder of etcd and etcdctl. */
  readonly etcd: string;
}

const located = new Map<string, string>();

/**
 * The bin folder build.sh made for `component` (`bash .ci/k8s/build.sh locate <component>`). Throws,
 * saying how to build it, when it is not built: a test never starts a long build by itself.
 */
export function builtTool(component: 'kubernetes' | 'etcd' | 'keda'): string {
  const known = located.get(component);
  if (known) return known;
  const run = spawnSync('bash', [path.join(REPO_ROOT, '.ci', 'k8s', 'build.sh'), 'locate', component], { encoding: 'utf8', timeout: 60_000 });
  const dir = run.stdout?.trim();
  if (run.status !== 0 || !dir) throw new Error(`${component}: ${run.stderr?.trim() || run.error?.message || 'build.sh locate failed'}`);
  located.set(component, dir);
  return dir;
}

/** The folders of kube-apiserver, kubectl, etcd and etcdctl. */
export function controlPlaneBinaries(): ControlPlaneBinaries {
  return { kubernetes: builtTool('kubernetes'), etcd: builtTool('etcd') };
}

/** Options of startKubeApiserver. */
export interface KubeApiserverOptions {
  /** Further kube-apiserver flags (`--name=value`); they win over the harness's own. @default - none */
  readonly apiserverFlags?: Readonly<Record<string, string>>;
  /** Further etcd flags; they win over the harness's own. @default - none */
  readonly etcdFlags?: Readonly<Record<string, string>>;
  /** How long to wait for /readyz. @default 90000 */
  readonly startTimeoutMs?: number;
  /** Progress messages. @default - silent */
  readonly log?: (line: string) => void;
}

/** The result of a kubectl run. */
export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running control plane. */
export interface KubeApiserver {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The bearer token of the admin user (group `system:masters`). */
  readonly token: string;
  /** PEM file of the CA that signed the API server's certificate. */
  readonly caFile: string;
  /** A kubeconfig for the admin user (current context set). */
  readonly kubeconfig: string;
  /** `http://127.0.0.1:<port>` of etcd. */
  readonly etcdUrl: string;
  /** `kube-apiserver --version`, e.g. 'Kubernetes v1.34.4'. */
  readonly version: string;
  /** Seconds from the start to /readyz answering ok. */
  readonly startupSeconds: number;
  readonly dir: string;
  /** Process ids of kube-apiserver and etcd. */
  readonly pids: readonly number[];
  readonly binaries: ControlPlaneBinaries;
  /** Runs kubectl against this API server with the admin kubeconfig. */
  kubectl(args: readonly string[], options?: { input?: string; timeoutMs?: number }): KubectlResult;
  /** Like kubectl(), but throws with the output unless it exits 0. */
  kubectlOrThrow(args: readonly string[], options?: { input?: string; timeoutMs?: number }): string;
  /** An authenticated request to the API (path like `/api/v1/namespaces`), JSON in and out. */
  request<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: T; warnings: string[] }>;
  /** Stops kube-apiserver, then etcd, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

function flagsOf(defaults: Record<string, string>, extra: Readonly<Record<string, string>> = {}): string[] {
  return Object.entries({ ...defaults, ...extra }).map(([name, value]) => `--${name}=${value}`);
}

/** A CA, a serving certificate for 127.0.0.1/localhost it signs, and a service-account key pair. */
function makeKeys(dir: string): { caFile: string; certFile: string; keyFile: string; saKey: string; saPub: string } {
  const at = (f: string): string => path.join(dir, f);
  const days = ['-days', '2'];
  runOrThrow('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.crt'), ...days, '-subj', '/CN=klaxon-test-kubernetes-ca']);
  runOrThrow('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('apiserver.key'), '-out', at('apiserver.csr'), '-subj', '/CN=kube-apiserver']);
  fs.writeFileSync(at('apiserver.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n');
  runOrThrow('openssl', ['x509', '-req', '-in', at('apiserver.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('apiserver.crt'), ...days, '-extfile', at('apiserver.ext')]);
  runOrThrow('openssl', ['genrsa', '-out', at('sa.key'), '2048']);
  runOrThrow('openssl', ['rsa', '-in', at('sa.key'), '-pubout', '-out', at('sa.pub')]);
  return { caFile: at('ca.crt'), certFile: at('apiserver.crt'), keyFile: at('apiserver.key'), saKey: at('sa.key'), saPub: at('sa.pub') };
}

function kubeconfigYaml(url: string, caFile: string, token: string): string {
  // JSON is YAML; kubectl and @kubernetes/client-node read either.
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'klaxon-test', cluster: { server: url, 'certificate-authority-data': fs.readFileSync(caFile).toString('base64') } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'klaxon-test', context: { cluster: 'klaxon-test', user: 'admin', namespace: 'default' } }],
      'current-context': 'klaxon-test',
    },
    null,
    2,
  )}\n`;
}

async function waitFor(what: string, deadline: number, isDead: () => boolean, logFile: string, probe: () => Promise<boolean>): Promise<void> {
  while (Date.now() < deadline) {
    if (isDead()) throw new Error(`${what} exited during startup:\n${tail(logFile)}`);
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what}: not ready in time:\n${tail(logFile)}`);
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers ok. */
export async function startKubeApiserver(options: KubeApiserverOptions = {}): Promise<KubeApiserver> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const deadline = started + (options.startTimeoutMs ?? 90_000);
  sweepOrphans(log);
  const binaries = controlPlaneBinaries();
  const dir = ownedTempDir('kube-apiserver');
  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const child of [...children].reverse()) await stopChild(child, 10_000);
    removeDir(dir);
  };
  try {
    const keys = makeKeys(dir);
    const token = randomBytes(16).toString('hex');
    fs.writeFileSync(path.join(dir, 'tokens.csv'), `${token},klaxon-admin,klaxon-admin,"system:masters"\n`);

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    /** Starts one control-plane process in `dir`; `isDead()` turns true when it exits. */
    const startChild = (kind: string, binary: string, flags: string[]): { logFile: string; isDead: () => boolean } => {
      const logFile = path.join(dir, `${kind}.log`);
      const child = spawnOwned(binary, flags, { dir, kind, logFile });
      children.push(child);
      let dead = false;
      void exited(child).then(() => (dead = true));
      return { logFile, isDead: () => dead };
    };
    const etcd = startChild(
      'etcd',
      path.join(binaries.etcd, 'etcd'),
      flagsOf(
        {
          'name': 'klaxon-test',
          'data-dir': path.join(dir, 'etcd'),
          'listen-client-urls': etcdUrl,
          'advertise-client-urls': etcdUrl,
          'listen-peer-urls': `http://127.0.0.1:${etcdPeer}`,
          'initial-advertise-peer-urls': `http://127.0.0.1:${etcdPeer}`,
          'initial-cluster': `klaxon-test=http://127.0.0.1:${etcdPeer}`,
          // Test data: durability across a machine crash is not needed, speed on a busy disk is.
          'unsafe-no-fsync': 'true',
          'log-level': 'warn',
        },
        options.etcdFlags,
      ),
    );
    await waitFor('etcd', deadline, etcd.isDead, etcd.logFile, async () => (await fetch(`${etcdUrl}/health`)).ok);

    const url = `https://127.0.0.1:${apiPort}`;
    const apiserver = startChild(
      'kube-apiserver',
      path.join(binaries.kubernetes, 'kube-apiserver'),
      flagsOf(
        {
          'etcd-servers': etcdUrl,
          'bind-address': '127.0.0.1',
          'advertise-address': '127.0.0.1',
          'secure-port': String(apiPort),
          'tls-cert-file': keys.certFile,
          'tls-private-key-file': keys.keyFile,
          'client-ca-file': keys.caFile,
          'token-auth-file': path.join(dir, 'tokens.csv'),
          'authorization-mode': 'RBAC',
          'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
          'service-account-key-file': keys.saPub,
          'service-account-signing-key-file': keys.saKey,
          // Allocation only: no address of this range is ever reached (nothing runs a proxy).
          'service-cluster-ip-range': '10.0.0.0/24',
          'allow-privileged': 'true',
          // No controller-manager creates each namespace's `default` ServiceAccount, which this
          // plugin requires of every Pod; the Pods here are only ever admitted, never run.
          'disable-admission-plugins': 'ServiceAccount',
          'profiling': 'false',
          'v': '0',
        },
        options.apiserverFlags,
      ),
    );

    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, kubeconfigYaml(url, keys.caFile, token));
    const kubectlBin = path.join(binaries.kubernetes, 'kubectl');
    const kubectl = (args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): KubectlResult => {
      const run = spawnSync(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8',
        input: o.input,
        timeout: o.timeoutMs ?? 120_000,
        // `get -o json` of a file with the workloads' code ConfigMaps runs past the 1 MiB default
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      if (run.error) throw new Error(`kubectl ${args.join(' ')}: ${run.error.message}`);
      return { status: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
    };
    const kubectlOrThrow = (args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): string => {
      const run = kubectl(args, o);
      if (run.status !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
      return run.stdout;
    };
    const request = requester(url, token, keys.caFile);
    await waitFor('kube-apiserver', deadline, apiserver.isDead, apiserver.logFile, async () => {
      const ready = await request<string>('GET', '/readyz');
      return ready.status === 200;
    });
    const version = /Kubernetes v\S+/.exec(runOrThrow(path.join(binaries.kubernetes, 'kube-apiserver'), ['--version']))?.[0] ?? 'unknown';
    const startupSeconds = (Date.now() - started) / 1000;
    log(`kube-apiserver: ${version} serving on ${url} after ${startupSeconds.toFixed(1)} s (etcd ${etcdUrl})`);
    let stopping: Promise<void> | undefined;
    return {
      url,
      token,
      caFile: keys.caFile,
      kubeconfig,
      etcdUrl,
      version,
      startupSeconds,
      dir,
      pids: children.map((c) => c.pid!),
      binaries,
      kubectl,
      kubectlOrThrow,
      request,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Authenticated JSON requests to the API server, trusting only the run's CA (node:https). */
function requester(url: string, token: string, caFile: string) {
  const ca = fs.readFileSync(caFile);
  const agent = new https.Agent({ ca, keepAlive: true });
  return <T>(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: T; warnings: string[] }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `${url}${apiPath}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain text (e.g. /readyz)
            }
            const warning = res.headers.warning;
            const warnings = warning === undefined ? [] : Array.isArray(warning) ? warning : [warning];
            resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}
