/**
 * The pod parts every Klaxon function runs with, whatever starts it (a KafkaFunction, the event
 * exporter): the init container that unpacks its code (when the code is a bundle), its one
 * container with the runtime's HTTP port and probes (/livez, /readyz), and its volumes (a small
 * /tmp, the code's, and the caller's: Kafka credentials, secret files).
 */
import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { httpProbe } from '../pod-support';
import type { FunctionCodeConfig } from './function-code';

/** Name of the container port of the runtime's /livez, /readyz and /metrics server. */
export const HTTP_PORT_NAME = 'http';

/** Megabytes of each of V8's two young-generation semi-spaces in a function's pod. */
export const NODE_SEMI_SPACE_MIB = 2;

/**
 * NODE_OPTIONS for a function under `memoryLimitMiB`: V8's old space capped at half the limit, so the
 * process collects garbage before the kernel kills the pod, and a young generation of 2 MiB
 * semi-spaces instead of Node 24's 16 MiB. Measured on a fanout drain (bench/results/ratios.md):
 * peak RSS 126 MiB instead of about 200, and less CPU per record (the records in hand stay in cache).
 */
export function nodeOptions(memoryLimitMiB: number): string {
  return `--max-old-space-size=${Math.max(32, Math.floor(memoryLimitMiB / 2))} --max-semi-space-size=${NODE_SEMI_SPACE_MIB}`;
}

/** sizeLimit of the pod's writable /tmp (the root filesystem is read-only). */
export const TMP_VOLUME_SIZE_LIMIT = '64Mi';

/** What the function's container gets besides its code. */
export interface FunctionPodOptions {
  /** Container name (the workload's name). */
  readonly name: string;
  readonly env: k8s.EnvVar[];
  /** The runtime's HTTP port. */
  readonly port: number;
  readonly resources: k8s.ResourceRequirements;
  readonly securityContext: k8s.SecurityContext;
  /** Mounts besides /tmp and the code's. */
  readonly volumeMounts: readonly k8s.VolumeMount[];
  /** Volumes besides /tmp and the code's. */
  readonly volumes: readonly k8s.Volume[];
}

/** `initContainers` (bundle code only), `containers` and `volumes` of a function's pod spec, in that order. */
export function functionPodParts(code: FunctionCodeConfig, o: FunctionPodOptions): Pick<k8s.PodSpec, 'initContainers' | 'containers' | 'volumes'> {
  const probe = (path: string, period: Duration): k8s.Probe =>
    httpProbe(path, HTTP_PORT_NAME, { scheme: 'HTTP', period, timeout: Duration.seconds(2), successThreshold: 1 });
  return {
    ...(code.init
      ? {
        initContainers: [{
          name: code.init.name,
          image: code.init.image,
          imagePullPolicy: 'IfNotPresent',
          command: [...code.init.command],
          resources: o.resources,
          securityContext: o.securityContext,
          volumeMounts: code.init.volumeMounts.map((m) => ({ ...m })),
        }],
      }
      : {}),
    containers: [{
      name: o.name,
      image: code.image,
      imagePullPolicy: 'IfNotPresent',
      ...(code.command ? { command: [...code.command] } : {}),
      ...(code.args ? { args: [...code.args] } : {}),
      env: o.env,
      ports: [{ name: HTTP_PORT_NAME, containerPort: o.port, protocol: 'TCP' }],
      resources: o.resources,
      securityContext: o.securityContext,
      livenessProbe: probe('/livez', Duration.seconds(10)),
      readinessProbe: probe('/readyz', Duration.seconds(5)),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...code.volumeMounts.map((m) => ({ ...m })), ...o.volumeMounts],
    }],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(TMP_VOLUME_SIZE_LIMIT) } }, ...code.volumes, ...o.volumes],
  };
}
