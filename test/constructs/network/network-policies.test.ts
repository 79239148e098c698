/**
 * KlaxonNetworkPolicies in a pipeline: the policies derived from the construct graph, and who may
 * reach whom under them (test/security/netpol.ts evaluates the rendered objects).
 */
import { App, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AlertSink } from '../../../constructs/alerting/alert-sink';
import { KlaxonNetworkPolicies } from '../../../constructs/network/network-policies';
import { KlaxonPipeline, KlaxonPipelineProps } from '../../../constructs/pipeline';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { egressAllows, mayReach, Pod } from '../../security/netpol';
import { messageOf, schemaProblems } from '../support';

const code = { eventsFanout: FunctionCode.fromBundle('//fanout'), logAlerter: FunctionCode.fromBundle('//alerter'), eventExporter: FunctionCode.fromBundle('//exporter') };

function build(props: Partial<KlaxonPipelineProps> = {}): { app: App; pipeline: KlaxonPipeline; policies: any[] } {
  const app = Testing.app();
  const pipeline = new KlaxonPipeline(app, { code, logAlerter: { rules: [EXAMPLE_404_RULE] }, ...props });
  const policies = pipeline.workloadsChart.toJson().filter((o: any) => o.kind === 'NetworkPolicy');
  return { app, pipeline, policies };
}

const broker: Pod = { namespace: 'klaxon', labels: { 'strimzi.io/cluster': 'klaxon', 'strimzi.io/kind': 'Kafka' } };
const podOf = (p: KlaxonPipeline, name: 'fanout' | 'alerter'): Pod => ({ namespace: 'klaxon', labels: { ...(name === 'fanout' ? p.eventsFanout : p.logAlerter).function.selectorLabels } });

describe('KlaxonNetworkPolicies', () => {
  test('renders default-deny per namespace, the brokers\' listener rules from the registered clients, and one policy per pod kind', () => {
    const { pipeline: p, policies } = build();
    expect(policies.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'klaxon/klaxon-default-deny-ingress',
      'klaxon-logging/klaxon-default-deny-ingress',
      'klaxon/klaxon-kafka-listeners',
      'klaxon/klaxon-events-fanout',
      'klaxon/klaxon-log-alerter',
      'klaxon-logging/klaxon-fluent-bit-metrics',
      'klaxon/klaxon-event-exporter-metrics',
    ]);
    const listeners = policies.find((o) => o.metadata.name === 'klaxon-kafka-listeners').spec.ingress;
    expect(listeners.map((r: any) => r.ports[0].port)).toEqual([9092]);
    expect(listeners[0].from.map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name'])).toEqual(['event-exporter', 'fluent-bit', 'events-fanout', 'log-alerter', 'keda-operator']);
    expect(p.cluster.clientPeersOf('tls')).toEqual([]);
    expect(schemaProblems(p.workloadsChart.toJson())).toEqual([]);
  });

  test('a workload reaches DNS, Kafka and its sinks only: in-cluster by namespace and port, outside by the externalSinks option', () => {
    const slack = (chart: any): AlertSink => AlertSink.slack({ webhookUrl: { secret: kplus.Secret.fromSecretName(chart, 'Slack', 'klaxon-slack'), key: 'url' } });
    const app = Testing.app();
    const p = new KlaxonPipeline(app, {
      code,
      logAlerter: { rules: [EXAMPLE_404_RULE], sinks: [AlertSink.alertmanager({ url: 'http://alertmanager-main.monitoring.svc:9093' }), slack(app)] },
      networkPolicies: { externalSinks: [{ cidr: '203.0.113.0/24', ports: [443] }] },
    });
    const policies = p.workloadsChart.toJson().filter((o: any) => o.kind === 'NetworkPolicy');
    const alerter = podOf(p, 'alerter');
    expect(egressAllows(policies, alerter, { namespace: 'monitoring', labels: { app: 'alertmanager' } }, 9093)).toBe(true);
    expect(egressAllows(policies, alerter, { ip: '203.0.113.7' }, 443)).toBe(true);
    expect(egressAllows(policies, alerter, { ip: '198.51.100.7' }, 443)).toBe(false);
    expect(egressAllows(policies, alerter, { namespace: 'default', labels: {} }, 9093)).toBe(false);
    expect(mayReach(policies, podOf(p, 'fanout'), broker, 9092)).toBe(true);
    expect(mayReach(policies, { namespace: 'default', labels: { app: 'x' } }, broker, 9092)).toBe(false);
  });

  test('the monitoring namespace is a prop', () => {
    const { pipeline: p, policies } = build({ networkPolicies: { monitoring: { namespace: 'observability', podLabels: { app: 'prometheus' } } } });
    const prometheus: Pod = { namespace: 'observability', labels: { app: 'prometheus' } };
    expect(mayReach(policies, prometheus, podOf(p, 'fanout'), 8080)).toBe(true);
    expect(mayReach(policies, { namespace: 'monitoring', labels: { app: 'prometheus' } }, podOf(p, 'fanout'), 8080)).toBe(false);
  });

  test('networkPolicies: false renders none', () => {
    expect(build({ networkPolicies: false }).policies).toEqual([]);
  });

  test('fails if an external sink range is not a CIDR, or a port is out of range', () => {
    const { pipeline: p } = build({ networkPolicies: false });
    expect(messageOf(() => new KlaxonNetworkPolicies(p.workloadsChart, 'Np', { cluster: p.cluster, externalSinks: [{ cidr: 'hooks.slack.com', ports: [443] }] }))).toBe(
      "'externalSinks[].cidr' (\"hooks.slack.com\") of KlaxonNetworkPolicies must be a CIDR such as '203.0.113.0/24'.",
    );
    expect(messageOf(() => new KlaxonNetworkPolicies(p.workloadsChart, 'Np2', { cluster: p.cluster, externalSinks: [{ cidr: '203.0.113.0/24', ports: [0] }] }))).toBe(
      "'externalSinks[].ports' (0) of KlaxonNetworkPolicies must be at least 1.",
    );
  });
});
