/**
 * Klaxon's own NetworkPolicies, rendered from the construct graph (not from name strings):
 *
 * - default-deny ingress in every namespace Klaxon runs pods in;
 * - the Kafka brokers' listener ports only from the pods registered as clients of each listener
 *   (`KafkaCluster.registerClient`: the same constructs that grant the KafkaUsers their ACLs register
 *   their pods: workloads, KEDA's operator, the log shipper, event sources);
 * - each pod's metrics port only from the monitoring namespace;
 * - the workloads' egress: DNS, the brokers' workload listener port, and their sinks (in-cluster
 *   Services by namespace and port, outside sinks by CIDR and port).
 *
 * Strimzi renders its own policies for the brokers (its listeners' `networkPolicyPeers`, replication
 * and operator ports); NetworkPolicies add up, so a listener Strimzi leaves open (not `restricted`)
 * stays open. Fluent Bit, eventrouter, the event exporter and kube-eventer keep open egress: they call the Kubernetes API,
 * whose address is the cluster's own (README, Security model).
 */
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AlertSinkSpec, DEFAULT_NOTIFICATION_MANAGER_URL } from '../../functions/contracts/alert-sinks';
import { DEFAULT_HTTP_PORT } from '../../functions/contracts/workload-env';
import { LogAlerter } from '../workloads/log-alerter';
import { selectorLabels } from '../pod-support';
import { KafkaCluster, STRIMZI_CLUSTER_LABEL } from '../kafka/kafka-cluster';
import { NAMESPACE_NAME_LABEL } from '../kafka/kafka-listeners';
import { FluentBit, FLUENT_BIT_HTTP_PORT } from '../shipping/fluent-bit';
import { EventExporter } from '../sources/event-exporter';
import { Eventrouter, EVENTROUTER_METRICS_PORT } from '../sources/eventrouter';
import { checkInteger, checkNamespaceName, describeProp, PropError } from '../validation';
import { KafkaFunction } from '../workloads/kafka-function';

/** Pods by namespace and labels. */
export interface PodPeer {
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Labels the pods carry. @default - every pod of the namespace */
  readonly podLabels?: Record<string, string>;
}

/** Destinations outside the cluster a workload may reach (a sink's address range). */
export interface ExternalEgress {
  /** IPv4/IPv6 CIDR, e.g. '203.0.113.0/24'. */
  readonly cidr: string;
  /** CIDRs inside `cidr` to leave out. @default - none */
  readonly except?: string[];
  /** TCP ports. */
  readonly ports: number[];
}

/** Props of KlaxonNetworkPolicies. */
export interface KlaxonNetworkPoliciesProps {
  /** The Kafka cluster whose listeners are guarded. */
  readonly cluster: KafkaCluster;
  /** Who may scrape the metrics ports. @default { namespace: 'monitoring' } */
  readonly monitoring?: PodPeer;
  /** The cluster DNS pods the workloads resolve names with. @default { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } } */
  readonly dns?: PodPeer;
  /** Where sinks outside the cluster (URLs that are not `<service>.<namespace>.svc`, and Slack) may be reached. @default - DEFAULT_EXTERNAL_EGRESS on the sinks' ports */
  readonly externalSinks?: ExternalEgress[];
}

/** Every public address (private IPv4 ranges left out) on the sinks' ports: outside sinks only. */
export const PRIVATE_IPV4_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

/** The labels Strimzi puts on the broker pods of cluster `name`. */
export function kafkaBrokerPodLabels(clusterName: string): Record<string, string> {
  return { [STRIMZI_CLUSTER_LABEL]: clusterName, 'strimzi.io/kind': 'Kafka' };
}

const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

/** NetworkPolicies (ids under this construct) for every Klaxon pod of the app; build it once the pipeline is complete. */
export class KlaxonNetworkPolicies extends Construct {
  /** Who may scrape metrics. */
  public readonly monitoring: PodPeer;
  /** The cluster DNS. */
  public readonly dns: PodPeer;
  /** The policies rendered. */
  public readonly policies: k8s.KubeNetworkPolicy[] = [];

  constructor(scope: Construct, id: string, props: KlaxonNetworkPoliciesProps) {
    super(scope, id);
    const owner = 'KlaxonNetworkPolicies';
    this.monitoring = checkPeer('monitoring', props.monitoring ?? { namespace: 'monitoring' }, owner);
    this.dns = checkPeer('dns', props.dns ?? { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }, owner);
    for (const e of props.externalSinks ?? []) {
      if (!CIDR.test(e.cidr)) throw new PropError(`${describeProp('externalSinks[].cidr', e.cidr, owner)} must be a CIDR such as '203.0.113.0/24'.`);
      for (const port of e.ports) checkInteger('externalSinks[].ports', port, { min: 1, max: 65535, owner });
    }
    const cluster = props.cluster;
    const clusterNamespace = cluster.namespace;
    if (!clusterNamespace) throw new PropError(`${owner} needs the Kafka cluster '${cluster.clusterName}' in a chart with a namespace.`);
    const all = this.node.root.node.findAll();
    const functions = all.filter((c): c is KafkaFunction => c instanceof KafkaFunction);
    const fluentBits = all.filter((c): c is FluentBit => c instanceof FluentBit);
    const eventrouters = all.filter((c): c is Eventrouter => c instanceof Eventrouter);
    const exporters = all.filter((c): c is EventExporter => c instanceof EventExporter);

    // Default-deny ingress in every namespace that holds Klaxon pods.
    const namespaces = new Set<string>([clusterNamespace]);
    for (const c of [...functions, ...fluentBits, ...eventrouters, ...exporters]) {
      const ns = Chart.of(c).namespace;
      if (ns) namespaces.add(ns);
    }
    for (const ns of [...namespaces].sort()) {
      this.policy(`DefaultDenyIngress-${ns}`, ns, 'klaxon-default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
    }

    // The brokers: each listener's port from its registered clients only.
    const ingress: k8s.NetworkPolicyIngressRule[] = [];
    for (const l of cluster.listeners) {
      const peers = cluster.clientPeersOf(l.name).map((p) => toPeer({ namespace: p.namespace ?? clusterNamespace, podLabels: p.podLabels }));
      if (peers.length > 0) ingress.push({ ports: [{ port: k8s.IntOrString.fromNumber(l.port), protocol: 'TCP' }], from: peers });
    }
    this.policy('KafkaListeners', clusterNamespace, `${cluster.clusterName}-kafka-listeners`, {
      podSelector: { matchLabels: kafkaBrokerPodLabels(cluster.clusterName) },
      policyTypes: ['Ingress'],
      ingress,
    });

    // The workloads: metrics from monitoring; egress to DNS, Kafka and their sinks.
    for (const fn of functions) {
      const ns = fn.deployment.metadata.namespace ?? clusterNamespace;
      const alerter = fn.node.scope instanceof LogAlerter ? fn.node.scope : undefined;
      const sinkEgress = alerter ? sinkEgressRules(alerter.sinks.map((sink, i) => sink._bind(i).spec), props.externalSinks) : [];
      const kafkaPort = fn.cluster instanceof KafkaCluster ? fn.cluster.workloadListener.port : undefined;
      this.policy(`Workload-${fn.workloadName}`, ns, `klaxon-${fn.workloadName}`, {
        podSelector: { matchLabels: { ...fn.selectorLabels } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [tcp(fn.httpPort)], from: [toPeer(this.monitoring)] }],
        egress: [
          { ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, tcp(53)], to: [toPeer(this.dns)] },
          ...(kafkaPort !== undefined
            ? [{ ports: [tcp(kafkaPort)], to: [toPeer({ namespace: fn.cluster.namespace ?? ns, podLabels: kafkaBrokerPodLabels(fn.cluster.clusterName) })] }]
            : []),
          ...sinkEgress,
        ],
      });
    }
    for (const fb of fluentBits) {
      const ns = fb.daemonSet.metadata.namespace!;
      this.policy(`FluentBit-${fb.node.id}`, ns, 'klaxon-fluent-bit-metrics', {
        podSelector: { matchLabels: selectorLabels(fb, 'fluent-bit') },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [tcp(FLUENT_BIT_HTTP_PORT)], from: [toPeer(this.monitoring)] }],
      });
    }
    for (const ex of exporters) {
      // The exporter's metrics and probes from monitoring only; egress stays open (the Kubernetes API).
      const ns = ex.deployment.metadata.namespace ?? clusterNamespace;
      this.policy(`EventExporter-${ex.node.id}`, ns, `klaxon-${ex.workloadName}-metrics`, {
        podSelector: { matchLabels: { ...ex.selectorLabels } },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [tcp(DEFAULT_HTTP_PORT)], from: [toPeer(this.monitoring)] }],
      });
    }
    for (const er of eventrouters) {
      const ns = er.deployment.metadata.namespace!;
      this.policy(`Eventrouter-${er.node.id}`, ns, 'klaxon-eventrouter-metrics', {
        podSelector: { matchLabels: selectorLabels(er, 'eventrouter') },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [tcp(EVENTROUTER_METRICS_PORT)], from: [toPeer(this.monitoring)] }],
      });
    }
  }

  private policy(id: string, namespace: string, name: string, spec: k8s.NetworkPolicySpec): void {
    this.policies.push(new k8s.KubeNetworkPolicy(this, id, {
      metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'klaxon' } },
      spec,
    }));
  }
}

function tcp(port: number): k8s.NetworkPolicyPort {
  return { port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' };
}

function checkPeer(prop: string, peer: PodPeer, owner: string): PodPeer {
  checkNamespaceName(`${prop}.namespace`, peer.namespace, owner);
  return { namespace: peer.namespace, ...(peer.podLabels ? { podLabels: { ...peer.podLabels } } : {}) };
}

function toPeer(peer: PodPeer): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } },
    ...(peer.podLabels && Object.keys(peer.podLabels).length > 0 ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
  };
}

const IN_CLUSTER_HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/;

/**
 * Egress rules to the sinks: a `<service>.<namespace>.svc` URL → that namespace on the URL's port
 * (Services forward to the same port by Klaxon's and Notification Manager's conventions); any other
 * URL, and Slack (its webhook URL is a Secret), → `externalSinks` or public addresses on the port.
 */
export function sinkEgressRules(sinks: readonly AlertSinkSpec[], externalSinks: ExternalEgress[] | undefined): k8s.NetworkPolicyEgressRule[] {
  const rules: k8s.NetworkPolicyEgressRule[] = [];
  const externalPorts = new Set<number>();
  for (const sink of sinks) {
    const url = (sink as { url?: string }).url ?? (sink.type === 'notification-manager' ? DEFAULT_NOTIFICATION_MANAGER_URL : undefined);
    if (typeof url !== 'string') {
      externalPorts.add(443);
      continue;
    }
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const m = IN_CLUSTER_HOST.exec(u.hostname);
    if (m) rules.push({ ports: [tcp(port)], to: [toPeer({ namespace: m[2] })] });
    else externalPorts.add(port);
  }
  if (externalPorts.size > 0) {
    const external = externalSinks ?? [{ cidr: '0.0.0.0/0', except: [...PRIVATE_IPV4_RANGES], ports: [...externalPorts].sort((a, b) => a - b) }];
    for (const e of external) {
      rules.push({ ports: e.ports.map(tcp), to: [{ ipBlock: { cidr: e.cidr, ...(e.except?.length ? { except: [...e.except] } : {}) } }] });
    }
  }
  return rules;
}
