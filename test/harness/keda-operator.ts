/**
 * The real KEDA operator (kedacore/keda v2 `cmd/operator`, built from Go modules by
 * .ci/k8s/build.sh) run out of cluster against a test kube-apiserver, as its Deployment runs it in a
 * cluster: all namespaces watched, its own namespace `keda`, leader election off (one replica), every
 * port on 127.0.0.1. Its metrics gRPC service gets the API server's certificate (it needs one to
 * start; nothing calls it: no metrics server runs, so no HPA scales between 1 and N here). What it
 * does alone: activation (0 → 1) and scale to zero after the cooldown, through the Deployment's
 * `scale` subresource.
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { builtTool, KubeApiserver } from './kube-apiserver';
import { exited, freePort, ownedTempDir, removeDir, sleep, spawnOwned, stopChild, tail } from './processes';

/** A running KEDA operator. */
export interface KedaOperator {
  readonly version: string;
  readonly logFile: string;
  /** The operator's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Options of startKedaOperator. */
export interface KedaOperatorOptions {
  /** Progress messages. @default - silent */
  readonly log?: (line: string) => void;
  /** How long to wait for /readyz. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** Starts the operator against `api` (the six KEDA CRDs must be installed); resolves once it is ready. */
export async function startKedaOperator(api: KubeApiserver, options: KedaOperatorOptions = {}): Promise<KedaOperator> {
  const binary = path.join(builtTool('keda'), 'keda-operator');
  const dir = ownedTempDir('keda-operator');
  const certDir = path.join(dir, 'certs');
  fs.mkdirSync(certDir);
  fs.mkdirSync(path.join(dir, 'custom-ca'));
  fs.copyFileSync(api.caFile, path.join(certDir, 'ca.crt'));
  fs.copyFileSync(path.join(api.dir, 'apiserver.crt'), path.join(certDir, 'tls.crt'));
  fs.copyFileSync(path.join(api.dir, 'apiserver.key'), path.join(certDir, 'tls.key'));
  const [metrics, probe, grpc] = [await freePort(), await freePort(), await freePort()];
  const logFile = path.join(dir, 'keda-operator.log');
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 10_000);
    removeDir(dir);
  };
  try {
    api.kubectlOrThrow(['create', 'namespace', 'keda', '--dry-run=client', '-o', 'json']);
    if (api.kubectl(['get', 'namespace', 'keda']).status !== 0) api.kubectlOrThrow(['create', 'namespace', 'keda']);
    child = spawnOwned(
      binary,
      [
        `--metrics-bind-address=127.0.0.1:${metrics}`,
        `--health-probe-bind-address=127.0.0.1:${probe}`,
        `--metrics-service-bind-address=127.0.0.1:${grpc}`,
        `--cert-dir=${certDir}`,
        // CA files for scalers' TLS (none: each trigger brings its own CA by TriggerAuthentication)
        `--ca-dir=${path.join(dir, 'custom-ca')}`,
        '--leader-elect=false',
        '--zap-log-level=info',
        '--zap-encoder=json',
      ],
      {
        dir,
        kind: 'keda-operator',
        logFile,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          KUBECONFIG: api.kubeconfig,
          WATCH_NAMESPACE: '',
          POD_NAMESPACE: 'keda',
          KEDA_CLUSTER_OBJECT_NAMESPACE: 'keda',
        },
      },
    );
    let dead = false;
    void exited(child).then(() => (dead = true));
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (dead) throw new Error(`keda-operator exited during startup:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`keda-operator: not ready in time:\n${tail(logFile)}`);
      const ready = await fetch(`http://127.0.0.1:${probe}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      await sleep(200);
    }
    const text = fs.readFileSync(logFile, 'utf8');
    const version = /KEDA Version"?:\s*"?([0-9][^"\s]*)/.exec(text)?.[1] ?? 'unknown';
    options.log?.(`keda-operator: ${version} ready against ${api.url}`);
    return { version, logFile, log: () => fs.readFileSync(logFile, 'utf8'), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
