/**
 * Small pieces the source and shipping constructs share: restricted security contexts, resource
 * rendering, a content hash for pod templates, the chart namespace, and Secret references.
 * Not a construct; nothing here reads the environment.
 */
import { createHash } from 'crypto';
import { Chart, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { quantity } from '../kafka/kafka-cluster';
import { PropError } from '../validation';

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

/** Container-level security context of the restricted Pod Security profile. */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
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

/** An env var whose value comes from a Secret key (never rendered in clear). */
export function secretEnv(name: string, value: kplus.SecretValue): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: value.secret.name, key: value.key } } };
}
