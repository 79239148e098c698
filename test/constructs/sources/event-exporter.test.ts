import { Chart, Duration, Testing } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { EventExporter } from '../../../constructs/sources/event-exporter';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { loadExporterSettings } from '../../../functions/event-exporter/settings';
import { fixture, messageOf } from './support';

const code = FunctionCode.fromBundle(Buffer.from('console.log("exporter");\n'));

function synth(f: ReturnType<typeof fixture>): any[] {
  return Testing.synth(f.chart);
}

const envOf = (deployment: any): Record<string, any> => Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('EventExporter', () => {
  test('two replicas elect a leader on their own Lease and write cluster-events; every prop reaches the env', () => {
    // GIVEN
    const f = fixture();
    // WHEN
    new EventExporter(f.chart, 'Exporter', {
      topic: f.topic, code, clusterName: 'prod-eu', namespaces: ['shop', 'billing'], types: ['Warning'], reasons: ['BackOff', 'Failed'],
      replicas: 3, leaseDuration: Duration.seconds(20), renewDeadline: Duration.seconds(12), retryPeriod: Duration.seconds(3), logLevel: 'debug',
    });
    const objects = synth(f);
    const deployment = objects.find((o) => o.kind === 'Deployment');
    const env = envOf(deployment);
    // THEN
    expect(deployment.spec.replicas).toBe(3);
    expect(env).toMatchObject({
      KAFKA_BROKERS: f.cluster.bootstrapServers,
      EXPORTER_TOPIC: 'cluster-events',
      EXPORTER_CLUSTER_NAME: 'prod-eu',
      EXPORTER_NAMESPACES: 'shop,billing',
      EXPORTER_TYPES: 'Warning',
      EXPORTER_REASONS: 'BackOff,Failed',
      EXPORTER_LEASE_NAMESPACE: 'klaxon',
      EXPORTER_LEASE_NAME: 'event-exporter',
      EXPORTER_LEASE_DURATION_SECONDS: '20',
      EXPORTER_RENEW_DEADLINE_SECONDS: '12',
      EXPORTER_RETRY_PERIOD_SECONDS: '3',
      EXPORTER_IDENTITY: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      LOG_LEVEL: 'debug',
    });
    expect(objects.find((o) => o.kind === 'Lease')).toEqual(expect.objectContaining({ apiVersion: 'coordination.k8s.io/v1', metadata: expect.objectContaining({ name: 'event-exporter' }) }));
    // AND the env it renders is read back by the exporter's own settings loader without a problem
    const plain = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : 'pod-0']));
    expect(loadExporterSettings(plain)).toMatchObject({ namespaces: ['shop', 'billing'], types: ['Warning'], leaseDurationSeconds: 20, identity: 'pod-0' });
  });

  test('RBAC: list/watch of events.k8s.io events, get/update of its own Lease by name, nothing else', () => {
    // GIVEN all namespaces
    const f = fixture();
    new EventExporter(f.chart, 'Exporter', { topic: f.topic, code });
    const objects = synth(f);
    // THEN a ClusterRole for the Events, a Role for the Lease
    expect(objects.find((o) => o.kind === 'ClusterRole').rules).toEqual([{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['list', 'watch'] }]);
    expect(objects.find((o) => o.kind === 'Role').rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['event-exporter'], verbs: ['get', 'update'] }]);
    expect(objects.filter((o) => o.kind === 'ClusterRoleBinding')[0].subjects).toEqual([{ kind: 'ServiceAccount', name: objects.find((o) => o.kind === 'ServiceAccount').metadata.name, namespace: 'klaxon' }]);

    // GIVEN a set of namespaces: one Role each, no ClusterRole
    const g = fixture();
    new EventExporter(g.chart, 'Exporter', { topic: g.topic, code, namespaces: ['shop'] });
    const scoped = synth(g);
    expect(scoped.filter((o) => o.kind === 'ClusterRole')).toEqual([]);
    expect(scoped.filter((o) => o.kind === 'Role').map((r) => `${r.metadata.namespace}:${r.rules[0].resources[0]}`)).toEqual(['shop:events', 'klaxon:leases']);
  });

  test('on an authenticating listener it logs in as its own KafkaUser holding Write on its topic only', () => {
    // GIVEN a chart of its own with a SCRAM-only cluster
    const app = Testing.app();
    const f = { chart: new Chart(app, 'secure', { namespace: 'klaxon' }) };
    const cluster = new KafkaCluster(f.chart, 'Scram', { clusterName: 'secure', listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }] });
    const topic = new KafkaTopic(cluster, 'Events', { topicName: 'cluster-events', partitions: 3 });
    const user = new KafkaUser(cluster, 'User', { userName: 'event-exporter' });
    // WHEN
    new EventExporter(f.chart, 'Exporter', { topic, code, user });
    const objects = Testing.synth(f.chart);
    // THEN
    const acls = objects.find((o) => o.kind === 'KafkaUser').spec.authorization.acls;
    expect(acls.map((a: any) => `${a.resource.type}:${a.resource.name}:${a.operations.join('+')}`)).toEqual(['topic:cluster-events:Write+Describe']);
    expect(envOf(objects.find((o) => o.kind === 'Deployment'))).toMatchObject({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'event-exporter' });
  });

  test('fails if the renew deadline is not shorter than the lease duration', () => {
    const f = fixture();
    expect(messageOf(() => new EventExporter(f.chart, 'Exporter', { topic: f.topic, code, renewDeadline: Duration.seconds(15) }))).toBe(
      "'renewDeadline' (\"15 seconds\") of EventExporter must be shorter than 'leaseDuration' (15 seconds): a leader that cannot renew must stop shipping before another replica may take over.",
    );
  });

  test('fails if the retry period is not shorter than the renew deadline', () => {
    const f = fixture();
    expect(messageOf(() => new EventExporter(f.chart, 'Exporter', { topic: f.topic, code, retryPeriod: Duration.seconds(10) }))).toBe(
      "'retryPeriod' (\"10 seconds\") of EventExporter must be shorter than 'renewDeadline' (10 seconds): the leader needs more than one try to renew.",
    );
  });

  test('fails if a namespace is not a DNS label, or a reason holds a comma', () => {
    const f = fixture();
    expect(messageOf(() => new EventExporter(f.chart, 'A', { topic: f.topic, code, namespaces: ['Shop'] }))).toMatch(/^'namespaces\[0\]' \("Shop"\) of EventExporter/);
    expect(messageOf(() => new EventExporter(f.chart, 'B', { topic: f.topic, code, reasons: ['a,b'] }))).toBe(
      "'reasons[0]' (\"a,b\") of EventExporter must not contain ','; reasons are passed as a comma-separated list.",
    );
  });
});

test('EventExporter leaves empty settings out of the env, so a re-apply sends nothing the API server dropped', () => {
  const f = fixture();
  new EventExporter(f.chart, 'Exporter', { topic: f.topic, code });
  const env = Testing.synth(f.chart).find((o: any) => o.kind === 'Deployment').spec.template.spec.containers[0].env;
  expect(env.filter((e: any) => e.value === '')).toEqual([]);
  expect(env.map((e: any) => e.name)).not.toContain('EXPORTER_NAMESPACES');
});
