/**
 * A small evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1 semantics), for tests that
 * ask who may reach whom in the rendered manifests:
 *
 * - a pod selected by no policy of a policy type (Ingress/Egress) is open in that direction;
 * - once selected, a connection is allowed only when some rule of some selecting policy admits it
 *   (policies add up; there are no deny rules);
 * - a peer with only `podSelector` means pods of the policy's namespace; with `namespaceSelector`,
 *   pods of the matching namespaces (all pods when `podSelector` is absent); `ipBlock` matches
 *   addresses outside the cluster only (pods are addressed by labels here);
 * - a rule without `from`/`to` admits everyone, without `ports` every port.
 *
 * A connection is allowed when the source's egress and the destination's ingress both allow it.
 * Ports are numbers (Klaxon renders no named ports in policies).
 */

/** A pod: its namespace and labels. */
export interface Pod {
  readonly namespace: string;
  readonly labels: Record<string, string>;
}

/** An address outside the cluster. */
export interface External {
  readonly ip: string;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };

/** The label every namespace carries with its name; namespaces are matched by it. */
const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key])
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key])
        : e.operator === 'Exists' ? has
          : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

function peerMatches(peer: any, policyNamespace: string, target: Pod | External): boolean {
  if ('ip' in target) return peer.ipBlock !== undefined && inCidr(target.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(target.ip, c));
  if (peer.ipBlock) return false;
  if (peer.namespaceSelector === undefined) return target.namespace === policyNamespace && selects(peer.podSelector, target.labels);
  return selects(peer.namespaceSelector, { [NAMESPACE_NAME]: target.namespace }) && selects(peer.podSelector, target.labels);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || (p.endPort !== undefined ? port >= p.port && port <= p.endPort : p.port === port)));
}

function typesOf(policy: any): string[] {
  return policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** The policies that select `pod` for `type`. */
export function selecting(policies: any[], pod: Pod, type: 'Ingress' | 'Egress'): any[] {
  return policies.filter((p) => p.metadata.namespace === pod.namespace && typesOf(p).includes(type) && selects(p.spec.podSelector, pod.labels));
}

/** Whether `to` admits `from` on `port`. */
export function ingressAllows(policies: any[], from: Pod, to: Pod, port: number, protocol = 'TCP'): boolean {
  const mine = selecting(policies, to, 'Ingress');
  if (mine.length === 0) return true;
  return mine.some((p) => (p.spec.ingress ?? []).some((r: any) =>
    portMatches(r.ports, port, protocol) && (r.from === undefined || r.from.some((peer: any) => peerMatches(peer, p.metadata.namespace, from)))));
}

/** Whether `from` may send to `to` (a pod or an outside address) on `port`. */
export function egressAllows(policies: any[], from: Pod, to: Pod | External, port: number, protocol = 'TCP'): boolean {
  const mine = selecting(policies, from, 'Egress');
  if (mine.length === 0) return true;
  return mine.some((p) => (p.spec.egress ?? []).some((r: any) =>
    portMatches(r.ports, port, protocol) && (r.to === undefined || r.to.some((peer: any) => peerMatches(peer, p.metadata.namespace, to)))));
}

/** Whether a connection from `from` to the pod `to` on `port` is allowed in both directions' policies. */
export function mayReach(policies: any[], from: Pod, to: Pod, port: number, protocol = 'TCP'): boolean {
  return egressAllows(policies, from, to, port, protocol) && ingressAllows(policies, from, to, port, protocol);
}

function ipv4(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Whether IPv4 `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return ((ipv4(ip) & mask) >>> 0) === ((ipv4(base) & mask) >>> 0);
}
