import { ApiObject, App, Chart, Size, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { ANONYMOUS } from '../../constructs/kafka/kafka-cluster';
import { KafkaStorage } from '../../constructs/kafka/kafka-storage';
import { KlaxonPipeline, KlaxonPipelineProps, NOTIFICATION_MANAGER_ALERTS_URL } from '../../constructs/pipeline';
import { LogShipping, LogShippingContext } from '../../constructs/shipping/bind';
import { EventSource } from '../../constructs/sources/bind';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { DEFAULT_EVENT_RULES } from '../../constructs/alerting/default-event-rules';
import { KubeEventerSink, KubeEventerWebhookBody } from '../../constructs/sources/kube-eventer-sinks';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { DEFAULT_NOTIFICATION_MANAGER_URL } from '../../functions/contracts/alert-sinks';

const code = {
  eventsFanout: FunctionCode.fromBundle(Buffer.from('console.log("fanout");\n')),
  logAlerter: FunctionCode.fromBundle(Buffer.from('console.log("alerter");\n')),
  eventExporter: FunctionCode.fromBundle(Buffer.from('console.log("exporter");\n')),
};
const alerting = { rules: [EXAMPLE_404_RULE] };

function pipeline(props: Partial<KlaxonPipelineProps> = {}): { app: App; pipeline: KlaxonPipeline } {
  const app = Testing.app();
  return { app, pipeline: new KlaxonPipeline(app, { code, logAlerter: alerting, ...props }) };
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
    const { pipeline: p } = pipeline({ topics: { namespaces: ['shop'] }, eventSources: [EventSource.exporter(), EventSource.eventrouter()] });

    // WHEN
    const deployment = objects(p.workloadsChart, 'Deployment')[0];
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const routerConfig = JSON.parse(objects(p.sourcesChart, 'ConfigMap').find((c: any) => c.data?.['config.json']).data['config.json']);
    const exporterEnv = Object.fromEntries(objects(p.sourcesChart, 'Deployment').find((d: any) => d.metadata.labels['app.kubernetes.io/name'] === 'event-exporter')
      .spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const fluentConf: string = objects(p.loggingChart, 'ConfigMap')[0].data['fluent-bit.conf'];

    // THEN
    expect(p.cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap.klaxon.svc:9092');
    expect(env.KAFKA_BROKERS).toBe(p.cluster.bootstrapServers);
    expect(env.KAFKA_SOURCE_TOPIC).toBe(p.topics.clusterEvents.topicName);
    expect(env.KAFKA_DEAD_LETTER_TOPIC).toBe(p.topics.deadLetter.topicName);
    expect(env.FANOUT_NAMESPACES).toBe('shop');
    expect(routerConfig.kafkaBrokers).toEqual([p.cluster.bootstrapServers]);
    expect(routerConfig.kafkaTopic).toBe(p.topics.clusterEvents.topicName);
    expect(exporterEnv.KAFKA_BROKERS).toBe(p.cluster.bootstrapServers);
    expect(exporterEnv.EXPORTER_TOPIC).toBe(p.topics.clusterEvents.topicName);
    expect(fluentConf).toMatch(new RegExp(`^\\s*topics\\s+${p.topics.logs.topicName}\\s*$`, 'm'));
    expect(fluentConf).toContain(p.cluster.bootstrapServers);
  });

  test('renders no kube-eventer by default: event rules of the event-alerter replace its Warning flood', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({ logAlerter: { rules: [EXAMPLE_404_RULE, ...DEFAULT_EVENT_RULES] } });

    // THEN
    expect(p.kubeEventer).toBeUndefined();
    expect(objects(p.sourcesChart, 'Deployment').map((d) => d.metadata.name).filter((n: string) => n.includes('kubeeventer'))).toEqual([]);
    const events = objects(p.workloadsChart, 'Deployment').find((d) => d.metadata.name.includes('events') && d.metadata.name.includes('alerter'));
    const env = Object.fromEntries(events.spec.template.spec.containers[0].env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    expect(env.KAFKA_SOURCE_TOPIC).toBe('cluster-events');
    expect(env.KAFKA_GROUP_ID).toBe('klaxon-event-alerter');
    expect(env.ALERTER_INPUT).toBe('events');
    expect(JSON.parse(env.ALERTER_RULES).map((r: any) => r.name)).toEqual(['PodCrashLooping', 'PodUnschedulable', 'NodeOOMKilling', 'NodeNotReady']);
    expect(JSON.parse(env.ALERTER_RULES)[0].threshold).toEqual({ count: 3, windowSeconds: 600 });
  });

  test('kube-eventer stays a typed option: Warning events to Notification Manager when configured', () => {
    // GIVEN / WHEN
    const kubeEventer = {
      sinks: [KubeEventerSink.webhook({ url: NOTIFICATION_MANAGER_ALERTS_URL, method: 'POST' as const, level: 'Warning' as const, headers: { 'Content-Type': 'application/json' }, body: KubeEventerWebhookBody.alertmanagerWebhook() })],
    };
    const { pipeline: p } = pipeline({ eventSources: [EventSource.exporter(), EventSource.kubeEventer(kubeEventer)] });
    const deployment = objects(p.sourcesChart, 'Deployment').find((d) => d.metadata.name.includes('kubeeventer'));
    const container = deployment.spec.template.spec.containers[0];
    const sinks = [...(container.command ?? []), ...(container.args ?? [])].filter((a: string) => a.startsWith('--sink='));

    // THEN
    expect(sinks).toHaveLength(1);
    expect(sinks[0]).toMatch(/^--sink=webhook:http:\/\/notification-manager-svc\.kubesphere-monitoring-system\.svc:19093\/api\/v2\/alerts\?level=Warning&method=POST&/);
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
    const { pipeline: p } = pipeline({ logShipping: LogShipping.fluentOperator() });

    // THEN
    expect(objects(p.loggingChart, 'DaemonSet')).toEqual([]);
    expect(objects(p.loggingChart, 'Namespace')).toEqual([]);
    const [output] = objects(p.loggingChart, 'ClusterOutput');
    expect(output.spec.kafka).toMatchObject({ brokers: p.cluster.bootstrapServers, topics: 'logs' });
  });

  test('LogShipping.none(): no shipper, no shipper KafkaUser, an empty logging chart', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({ logShipping: LogShipping.none() });

    // THEN
    expect(p.logShipper).toBeUndefined();
    expect(objects(p.loggingChart)).toEqual([]);
    expect(objects(p.kafkaChart, 'KafkaUser').map((u) => u.metadata.name)).not.toContain('klaxon-log-shipper');
  });

  test('a shipper of its own plugs in through bind(): it gets the logs topic, the chart and a shipper user on demand', () => {
    // GIVEN a shipper the project does not know, on prod's SCRAM listener
    class ConfigMapShipper extends LogShipping {
      public bind(ctx: LogShippingContext) {
        const user = ctx.shipperUser(undefined);
        const c = new Construct(ctx.chart, 'Custom');
        new ApiObject(c, 'Settings', { apiVersion: 'v1', kind: 'ConfigMap', data: { topic: ctx.topic.topicName, user: user?.userName ?? '' } });
        return Object.assign(c, { topic: ctx.topic, allowDuplicateShipping: false, shipperDescription: 'ConfigMapShipper' });
      }
    }
    // WHEN
    const { pipeline: p } = pipeline({
      kafka: { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }], workloadListener: 'scram' },
      logShipping: new ConfigMapShipper(),
    });

    // THEN
    expect(objects(p.loggingChart, 'ConfigMap')[0].data).toEqual({ topic: 'logs', user: 'klaxon-log-shipper' });
    expect(objects(p.kafkaChart, 'KafkaUser').map((u) => u.metadata.name)).toContain('klaxon-log-shipper');
  });

  test('cluster-scoped objects carry no namespace', () => {
    // GIVEN / WHEN
    const { app } = pipeline({ logShipping: LogShipping.fluentOperator() });
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
      eventsFanout: { replicas: 2 },
      scaling: { eventsFanout: false },
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

  test('the log-alerter reads logs with the environment\'s rules and sends to Notification Manager by default', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline();
    const deployment = objects(p.workloadsChart, 'Deployment').find((d) => d.metadata.name.includes('logalerter'));
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));

    // THEN
    expect(env.KAFKA_SOURCE_TOPIC).toBe(p.topics.logs.topicName);
    expect(env.KAFKA_GROUP_ID).toBe(p.logAlerter.group.groupId);
    expect(JSON.parse(env.ALERTER_RULES).map((r: any) => r.name)).toEqual(['404 Request']);
    // (the workload's default Notification Manager URL is the one kube-eventer posts to)
    expect(JSON.parse(env.ALERTER_SINKS)).toEqual([{ type: 'notification-manager' }]);
    expect(DEFAULT_NOTIFICATION_MANAGER_URL).toBe(NOTIFICATION_MANAGER_ALERTS_URL);
  });

  test('each workload gets a KEDA ScaledObject on its own topic and group, and its Deployment leaves replicas to KEDA', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({ scaling: { logAlerter: { minReplicas: 1 } } });
    const scaled = objects(p.workloadsChart, 'ScaledObject');
    const deployments = objects(p.workloadsChart, 'Deployment');

    // THEN
    const trigger = (name: string) => scaled.find((o) => o.spec.scaleTargetRef.name === name).spec;
    const fanout = deployments.find((d) => d.metadata.name.includes('eventsfanout'));
    const alerter = deployments.find((d) => d.metadata.name.includes('logalerter'));
    expect(trigger(fanout.metadata.name).triggers[0].metadata).toMatchObject({ topic: 'cluster-events', consumerGroup: p.eventsFanout.group.groupId, bootstrapServers: p.cluster.bootstrapServers });
    expect(trigger(alerter.metadata.name).triggers[0].metadata).toMatchObject({ topic: 'logs', consumerGroup: p.logAlerter.group.groupId });
    expect([trigger(fanout.metadata.name).minReplicaCount, trigger(alerter.metadata.name).minReplicaCount]).toEqual([0, 1]);
    expect(deployments.map((d) => d.spec.replicas)).toEqual([undefined, undefined]);
  });

  test('Notification Manager receivers go to their own chart, applied after the workloads, with no namespace', () => {
    // GIVEN / WHEN
    const { app, pipeline: p } = pipeline({
      notifications: { slack: { token: { name: 'klaxon-slack', key: 'token' }, channels: ['#klaxon-alerts'] } },
    });
    const nm = objects(p.notificationsChart!);

    // THEN
    expect(app.charts.map((c) => c.node.id)).toEqual(['kafka', 'sources', 'logging', 'workloads', 'notifications']);
    expect(nm.map((o) => o.kind)).toEqual(['Config', 'Receiver']);
    for (const o of nm) expect(o.metadata.namespace).toBeUndefined();
    expect(nm[0].spec.slack.slackTokenSecret.valueFrom.secretKeyRef).toMatchObject({ name: 'klaxon-slack', key: 'token' });
    expect(nm[1].spec.slack.channels).toEqual(['#klaxon-alerts']);
  });

  test('on a TLS + SCRAM workload listener each workload logs in as its own KafkaUser; eventrouter and Fluent Bit use a plain listener only they may reach', () => {
    // GIVEN / WHEN
    const { pipeline: p } = pipeline({
      kafka: {
        listeners: [{ name: 'plain', port: 9092, restricted: true }, { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }],
        workloadListener: 'scram',
        superUsers: [ANONYMOUS],
        allowAnonymousSuperUser: true,
      },
      eventSources: [EventSource.exporter(), EventSource.eventrouter({ listener: 'plain' })],
      logShipping: LogShipping.fluentBit({ listener: 'plain' }),
    });
    const kafka = objects(p.kafkaChart, 'Kafka')[0];
    const users = objects(p.kafkaChart, 'KafkaUser');
    const env = (name: string) => Object.fromEntries(objects(p.workloadsChart, 'Deployment').find((d) => d.metadata.name.includes(name)).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

    // THEN the workloads log in over SASL_SSL as users holding their ACLs, and their scalers as the same users
    expect(users.map((u) => u.metadata.name)).toEqual(['event-exporter', 'events-fanout', 'log-alerter']);
    expect(users[0].spec.authorization.acls.map((a: any) => `${a.resource.type}:${a.resource.name}:${a.operations.join('+')}`)).toEqual(['topic:cluster-events:Write+Describe']);
    expect(users[2].spec.authorization.acls.map((a: any) => `${a.resource.type}:${a.resource.name}`)).toEqual([
      'topic:logs',
      'group:klaxon-log-alerter',
      'topic:klaxon.dead-letter',
      'topic:klaxon-log-alerter.retry.notification-manager',
      'group:klaxon-log-alerter.retry.notification-manager',
    ]);
    expect(env('eventsfanout')).toMatchObject({ KAFKA_BROKERS: 'klaxon-kafka-bootstrap.klaxon.svc:9094', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'events-fanout' });
    expect(env('logalerter')).toMatchObject({ KAFKA_SASL_PASSWORD_FILE: '/etc/klaxon/kafka/sasl/password' });
    expect(objects(p.workloadsChart, 'TriggerAuthentication')).toHaveLength(2);
    // AND the plain listener admits only the eventrouter pods and the Fluent Bit namespace
    const plain = kafka.spec.kafka.listeners.find((l: any) => l.name === 'plain');
    expect(plain.networkPolicyPeers.map((peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['klaxon', 'klaxon-logging']);
    expect(plain.networkPolicyPeers[0].podSelector.matchLabels['app.kubernetes.io/name']).toBe('eventrouter');
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple', superUsers: ['ANONYMOUS'] });
    expect(JSON.parse(objects(p.sourcesChart, 'ConfigMap').find((c: any) => c.data?.['config.json']).data['config.json']).kafkaBrokers).toEqual(['klaxon-kafka-bootstrap.klaxon.svc:9092']);
  });

  test('fails if a workload has a fixed replica count while KEDA scales it', () => {
    expect(messageOf(() => pipeline({ eventsFanout: { replicas: 2 } }))).toBe(
      "'eventsFanout.replicas' (2) of KlaxonPipeline would be ignored: KEDA owns the replica count while 'scaling.eventsFanout' is on. " +
      "Set 'scaling.eventsFanout.minReplicas' (and maxReplicas) instead, or 'scaling.eventsFanout: false' for a fixed count.",
    );
  });

  test('fails if one kind of event source is given twice, naming the kinds', () => {
    expect(messageOf(() => pipeline({ eventSources: [EventSource.eventrouter(), EventSource.exporter(), EventSource.eventrouter({ listener: 'plain' })] }))).toBe(
      `'eventSources' (["eventrouter","exporter","eventrouter"]) of KlaxonPipeline names 'eventrouter' twice: every source writes every Event, so each would arrive twice.`,
    );
  });

  test('fails if the exporter is a source but its bundle was not given', () => {
    expect(messageOf(() => pipeline({ code: { eventsFanout: code.eventsFanout, logAlerter: code.logAlerter } }))).toMatch(
      /^'code.eventExporter' \(undefined\) of KlaxonPipeline must be set while EventSource.exporter\(\) is a source/,
    );
  });

  test('eventSources: [] renders no event source; eventrouter alone needs no exporter bundle', () => {
    expect(pipeline({ eventSources: [] }).pipeline.sources).toEqual([]);
    const { pipeline: p } = pipeline({ code: { eventsFanout: code.eventsFanout, logAlerter: code.logAlerter }, eventSources: [EventSource.eventrouter()] });
    expect(p.exporter).toBeUndefined();
    expect(p.sources).toEqual([p.eventrouter]);
    expect(objects(p.sourcesChart, 'Deployment').map((d) => d.metadata.labels['app.kubernetes.io/name'])).toEqual(['eventrouter']);
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
