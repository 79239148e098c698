import { App, Chart, Size, Testing } from 'cdk8s';
import { KafkaStorage } from '../../constructs/kafka/kafka-cluster';
import { KlaxonPipeline, KlaxonPipelineProps } from '../../constructs/pipeline';
import { FunctionCode } from '../../constructs/workloads/function-code';

const code = { eventsFanout: FunctionCode.fromBundle(Buffer.from('console.log("fanout");\n')) };

function pipeline(props: Partial<KlaxonPipelineProps> = {}): { app: App; pipeline: KlaxonPipeline } {
  const app = Testing.app();
  return { app, pipeline: new KlaxonPipeline(app, { code, ...props }) };
}

function objects(chart: Chart, kind?: string): any[] {
  return Testing.synth(chart).filter((o: any) => kind === undefined || o.kind === kind);
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}

describe('KlaxonPipeline', () => {
  test('charts come in apply order: kafka, then sources and logging, then workloads', () => {
    // GIVEN / WHEN
    const { app } = pipeline();

    // THEN
    expect(app.charts.map((c) => c.node.id)).toEqual(['kafka', 'sources', 'logging', 'workloads']);
  });

  test('every workload and source takes brokers and topics from the cluster and topic objects', () => {
    // GIVEN
    const { pipeline: p } = pipeline({ topics: { namespaces: ['shop'] } });

    // WHEN
    const deployment = objects(p.workloadsChart, 'Deployment')[0];
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const routerConfig = JSON.parse(objects(p.sourcesChart, 'ConfigMap')[0].data['config.json']);
    const fluentConf: string = objects(p.loggingChart, 'ConfigMap')[0].data['fluent-bit.conf'];

    // THEN
    expect(p.cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap.klaxon.svc:9092');
    expect(env.KAFKA_BROKERS).toBe(p.cluster.bootstrapServers);
    expect(env.KAFKA_SOURCE_TOPIC).toBe(p.topics.clusterEvents.topicName);
    expect(env.KAFKA_DEAD_LETTER_TOPIC).toBe(p.topics.deadLetter.topicName);
    expect(env.FANOUT_NAMESPACES).toBe('shop');
    expect(routerConfig.kafkaBrokers).toEqual([p.cluster.bootstrapServers]);
    expect(routerConfig.kafkaTopic).toBe(p.topics.clusterEvents.topicName);
    expect(fluentConf).toMatch(new RegExp(`^\\s*topics\\s+${p.topics.logs.topicName}\\s*$`, 'm'));
    expect(fluentConf).toContain(p.cluster.bootstrapServers);
  });

  test('kube-eventer sends Warning events to Notification Manager as alerts by default', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline();
    const deployment = objects(p.sourcesChart, 'Deployment').find((d) => d.metadata.name.includes('kubeeventer'));
    const container = deployment.spec.template.spec.containers[0];
    const sinks = [...(container.command ?? []), ...(container.args ?? [])].filter((a: string) => a.startsWith('--sink='));

    // THEN
    expect(sinks).toHaveLength(1);
    const [sink] = sinks;
    expect(sink).toMatch(/^--sink=webhook:http:\/\/notification-manager-svc\.kubesphere-monitoring-system\.svc:19093\/api\/v2\/alerts\?level=Warning&method=POST&/);
    expect(sink).toContain('custom_body_configmap=');
  });

  test('the Fluent Bit DaemonSet runs in its own privileged namespace; everything else under baseline', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline();
    const [klaxon] = objects(p.kafkaChart, 'Namespace');
    const [logging] = objects(p.loggingChart, 'Namespace');

    // THEN
    expect(klaxon.metadata.name).toBe('klaxon');
    expect(klaxon.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(logging.metadata.name).toBe('klaxon-logging');
    expect(logging.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(objects(p.loggingChart, 'DaemonSet')[0].metadata.namespace).toBe('klaxon-logging');
    expect(objects(p.workloadsChart, 'Deployment')[0].metadata.namespace).toBe('klaxon');
  });

  test('with fluent-operator shipping there is no DaemonSet and no logging namespace, but a ClusterOutput to logs', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({ logShipping: { kind: 'fluent-operator' } });

    // THEN
    expect(objects(p.loggingChart, 'DaemonSet')).toEqual([]);
    expect(objects(p.loggingChart, 'Namespace')).toEqual([]);
    const [output] = objects(p.loggingChart, 'ClusterOutput');
    expect(output.spec.kafka).toMatchObject({ brokers: p.cluster.bootstrapServers, topics: 'logs' });
  });

  test('cluster-scoped objects carry no namespace', () => {
    // GIVEN / WHEN
    const { app } = pipeline({ logShipping: { kind: 'fluent-operator' } });
    const all = app.charts.flatMap((c) => objects(c));
    const clusterScoped = all.filter((o) => ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterOutput', 'ClusterInput', 'ClusterFilter'].includes(o.kind));

    // THEN
    expect(clusterScoped.length).toBeGreaterThan(3);
    for (const o of clusterScoped) expect(o.metadata.namespace).toBeUndefined();
    for (const o of all.filter((x) => !clusterScoped.includes(x))) expect(o.metadata.namespace).toBeDefined();
  });

  test('a prod-like environment renders three brokers on persistent claims', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({
      kafka: { brokers: 3, controllers: 3, storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100) }) },
      fanout: { replicas: 2 },
    });
    const pools = objects(p.kafkaChart, 'KafkaNodePool');

    // THEN
    expect(pools.map((pool) => [pool.metadata.name, pool.spec.replicas, pool.spec.roles])).toEqual([
      ['controller', 3, ['controller']],
      ['broker', 3, ['broker']],
    ]);
    expect(pools.find((pool) => pool.metadata.name === 'broker').spec.storage).toMatchObject({ type: 'persistent-claim', size: '100Gi' });
    expect(objects(p.workloadsChart, 'Deployment')[0].spec.replicas).toBe(2);
  });

  test('fails if the logging namespace is the main namespace', () => {
    expect(messageOf(() => pipeline({ namespace: 'ops', loggingNamespace: 'ops' }))).toBe(
      `'loggingNamespace' ("ops") of KlaxonPipeline must differ from 'namespace': the log shipper needs Pod Security 'privileged', the rest runs under 'baseline'/'restricted'.`,
    );
  });

  test('fails if the namespace is not a DNS label', () => {
    expect(messageOf(() => pipeline({ namespace: 'Klaxon_NS' }))).toBe(
      `'namespace' ("Klaxon_NS") of KlaxonPipeline is not a valid namespace: a namespace name is a DNS label: lowercase letters, digits and -.`,
    );
  });
});
