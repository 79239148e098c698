/**
 * Pod pieces every Klaxon workload construct shares (sources, shipping, workloads): restricted
 * security contexts, container resources (defaults, checks, rendering), Kubernetes quantities, a
 * content hash for pod templates, standard labels, Secret env references, and the
 * ServiceAccount + ClusterRole + binding of a cluster-wide reader.
 * Not a construct; nothing here reads the environment.
 */
import { createHash } from 'crypto';
import { Chart, Duration, Names, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { describeProp, PropError } from './validation';

/** Annotation on a pod template that changes whenever the rendered configuration does. */
export const CONFIG_HASH_ANNOTATION = 'klaxon.io/config-hash';

/** sha256 hex of a rendered configuration. */
export function configHash(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** The namespace of the construct's chart; a ClusterRoleBinding subject needs one. */
export function chartNamespace(scope: IConstruct, owner: string): string {
  const namespace = Chart.of(scope).namespace;
  if (!namespace) {
    throw new PropError(
      `${owner} needs a namespace for its ServiceAccount (the subject of its ClusterRoleBinding), but chart '${Chart.of(scope).node.id}' has none. Give the chart a 'namespace'.`,
    );
  }
  return namespace;
}

/** Standard labels: `app.kubernetes.io/name` plus an instance label unique to the construct. */
export function selectorLabels(scope: IConstruct, name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': Names.toLabelValue(scope),
  };
}

/** Pod-level security context of the restricted Pod Security profile. */
export function restrictedPodSecurityContext(user: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    fsGroup: user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level security context of the restricted Pod Security profile (with the pod-level one above). */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/**
 * `given` over `defaults`, field by field (a `cpu.limit` alone keeps the default `cpu.request` and
 * memory); fails when a request exceeds its limit, which Kubernetes rejects.
 */
export function resolveResources(
  given: kplus.ContainerResources | undefined,
  defaults: kplus.ContainerResources,
  owner: string,
  prop = 'resources',
): kplus.ContainerResources {
  const merge = <T>(d?: T, g?: T): T | undefined => (d || g ? { ...d, ...g } as T : undefined);
  const cpu = merge(defaults.cpu, given?.cpu);
  const memory = merge(defaults.memory, given?.memory);
  const ephemeralStorage = merge(defaults.ephemeralStorage, given?.ephemeralStorage);
  if (cpu?.request && cpu.limit && cpuMillis(cpu.request) > cpuMillis(cpu.limit)) {
    throw new PropError(`${describeProp(`${prop}.cpu.request`, cpu.request.amount, owner)} exceeds '${prop}.cpu.limit' (${JSON.stringify(cpu.limit.amount)}); Kubernetes rejects such a pod. Lower the request or raise the limit.`);
  }
  for (const [name, r] of [['memory', memory], ['ephemeralStorage', ephemeralStorage]] as const) {
    if (r?.request && r.limit && bytesOf(r.request) > bytesOf(r.limit)) {
      throw new PropError(`${describeProp(`${prop}.${name}.request`, quantity(r.request), owner)} exceeds '${prop}.${name}.limit' (${JSON.stringify(quantity(r.limit))}); Kubernetes rejects such a pod. Lower the request or raise the limit.`);
    }
  }
  return { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}), ...(ephemeralStorage ? { ephemeralStorage } : {}) };
}

/** cdk8s-plus resources as Kubernetes ResourceRequirements. */
export function renderResources(resources: kplus.ContainerResources): k8s.ResourceRequirements {
  const requests: Record<string, k8s.Quantity> = {};
  const limits: Record<string, k8s.Quantity> = {};
  if (resources.cpu?.request) requests.cpu = k8s.Quantity.fromString(resources.cpu.request.amount);
  if (resources.cpu?.limit) limits.cpu = k8s.Quantity.fromString(resources.cpu.limit.amount);
  if (resources.memory?.request) requests.memory = k8s.Quantity.fromString(quantity(resources.memory.request));
  if (resources.memory?.limit) limits.memory = k8s.Quantity.fromString(quantity(resources.memory.limit));
  if (resources.ephemeralStorage?.request) requests['ephemeral-storage'] = k8s.Quantity.fromString(quantity(resources.ephemeralStorage.request));
  if (resources.ephemeralStorage?.limit) limits['ephemeral-storage'] = k8s.Quantity.fromString(quantity(resources.ephemeralStorage.limit));
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/** A Size as a Kubernetes quantity in the largest binary unit that keeps it whole (`10Gi`, `512Mi`). */
export function quantity(size: Size): string {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  for (const [unit, factor] of [['Ti', 1024 ** 3], ['Gi', 1024 ** 2], ['Mi', 1024], ['Ki', 1]] as const) {
    if (Number.isInteger(kib / factor) && kib / factor >= 1) return `${kib / factor}${unit}`;
  }
  return `${Math.round(kib * 1024)}`;
}

/** An env var whose value comes from a Secret key (never rendered in clear). */
export function secretEnv(name: string, value: kplus.SecretValue): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: value.secret.name, key: value.key } } };
}

/** What `clusterReader` creates. */
export interface ClusterReader {
  /** The pods' ServiceAccount. */
  readonly serviceAccount: k8s.KubeServiceAccount;
  /** The ClusterRole holding `rules`. */
  readonly clusterRole: k8s.KubeClusterRole;
}

/**
 * A ServiceAccount (id 'ServiceAccount') bound cluster-wide (ids 'ClusterRole',
 * 'ClusterRoleBinding') to exactly `rules`, for a program that watches the whole cluster.
 */
export function clusterReader(
  scope: IConstruct,
  options: { readonly owner: string; readonly labels: Record<string, string>; readonly rules: k8s.PolicyRule[]; readonly automountServiceAccountToken?: boolean },
): ClusterReader {
  const namespace = chartNamespace(scope, options.owner);
  const metadata = { labels: { ...options.labels } };
  const serviceAccount = new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
    metadata,
    ...(options.automountServiceAccountToken !== undefined ? { automountServiceAccountToken: options.automountServiceAccountToken } : {}),
  });
  const clusterRole = new k8s.KubeClusterRole(scope, 'ClusterRole', { metadata, rules: options.rules });
  new k8s.KubeClusterRoleBinding(scope, 'ClusterRoleBinding', {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace }],
  });
  return { serviceAccount, clusterRole };
}

function cpuMillis(cpu: kplus.Cpu): number {
  return cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000;
}

function bytesOf(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
}

/** Timing of an HTTP probe; fields left out are left to Kubernetes' defaults. */
export interface HttpProbeOptions {
  /** Delay before the first probe. @default - none (Kubernetes: 0) */
  readonly initialDelay?: Duration;
  /** Time between probes. */
  readonly period: Duration;
  /** Time one probe may take. */
  readonly timeout: Duration;
  /** Consecutive failures that fail the probe. @default 3 */
  readonly failureThreshold?: number;
  /** Consecutive successes that pass a failed probe again. @default - none (Kubernetes: 1) */
  readonly successThreshold?: number;
  /** Spell the scheme out. @default - none (Kubernetes: HTTP) */
  readonly scheme?: 'HTTP' | 'HTTPS';
}

/** An HTTP GET probe of `path` on the container port named `portName`. */
export function httpProbe(path: string, portName: string, options: HttpProbeOptions): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(portName), ...(options.scheme ? { scheme: options.scheme } : {}) },
    ...(options.initialDelay ? { initialDelaySeconds: options.initialDelay.toSeconds() } : {}),
    periodSeconds: options.period.toSeconds(),
    timeoutSeconds: options.timeout.toSeconds(),
    failureThreshold: options.failureThreshold ?? 3,
    ...(options.successThreshold !== undefined ? { successThreshold: options.successThreshold } : {}),
  };
}
