/**
 * The prod shape of Kafka access: Klaxon's workloads on a TLS + SCRAM-SHA-512 listener with their
 * own KafkaUsers, and the clients that cannot authenticate (eventrouter, the FluentBit DaemonSet,
 * fluent-operator's Fluent Bit) on a plain listener that only they may reach (networkPolicyPeers),
 * whose ANONYMOUS principal is a super user.
 */
import { App, Chart, Testing } from 'cdk8s';
import { ANONYMOUS, KafkaCluster, KafkaClusterProps } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { FluentBit } from '../../../constructs/shipping/fluent-bit';
import { FluentOperatorKafkaOutput } from '../../../constructs/shipping/fluent-operator-output';
import { Eventrouter } from '../../../constructs/sources/eventrouter';
import { messageOf, schemaProblems } from '../sources/support';

const PROD: KafkaClusterProps = {
  brokers: 3,
  listeners: [
    { name: 'plain', port: 9092, restricted: true },
    { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' },
  ],
  workloadListener: 'scram',
  superUsers: [ANONYMOUS],
  allowAnonymousSuperUser: true,
};

interface Prod {
  readonly app: App;
  readonly kafkaChart: Chart;
  readonly cluster: KafkaCluster;
  readonly events: KafkaTopic;
  readonly logs: KafkaTopic;
}

/** GIVEN the Kafka chart (namespace 'klaxon') of a prod cluster with topics and one workload user. */
function prod(props: KafkaClusterProps = PROD): Prod {
  const app = Testing.app();
  const kafkaChart = new Chart(app, 'kafka', { namespace: 'klaxon' });
  const cluster = new KafkaCluster(kafkaChart, 'Kafka', props);
  const events = new KafkaTopic(cluster, 'Events', { topicName: 'cluster-events', partitions: 3 });
  const logs = new KafkaTopic(cluster, 'Logs', { topicName: 'logs', partitions: 3 });
  new KafkaUser(kafkaChart, 'Fanout', { cluster, userName: 'events-fanout' });
  return { app, kafkaChart, cluster, events, logs };
}

function kafkaSpec(chart: Chart): any {
  return chart.toJson().find((o: any) => o.kind === 'Kafka').spec;
}

function podSelector(chart: Chart, kind: string): Record<string, string> {
  return chart.toJson().find((o: any) => o.kind === kind).spec.selector.matchLabels;
}

describe('a plain listener restricted to the clients that cannot authenticate', () => {
  test('eventrouter, Fluent Bit and fluent-operator connect to it and only their pods may reach it; the workloads keep the SCRAM listener', () => {
    // GIVEN
    const { app, kafkaChart, cluster, events, logs } = prod();
    const sources = new Chart(app, 'sources', { namespace: 'klaxon-sources' });
    const logging = new Chart(app, 'logging', { namespace: 'klaxon-logging' });
    // WHEN (every client is created after the cluster)
    new Eventrouter(sources, 'Eventrouter', { topic: events, listener: 'plain' });
    new FluentBit(logging, 'FluentBit', { topic: logs, listener: 'plain', allowDuplicateShipping: true });
    new FluentOperatorKafkaOutput(kafkaChart, 'Operator', {
      topic: logs, listener: 'plain', allowDuplicateShipping: true, fluentBitPodLabels: { 'app.kubernetes.io/name': 'fluent-bit' },
    });
    // THEN
    const spec = kafkaSpec(kafkaChart);
    expect(spec.kafka.listeners[0]).toEqual({
      name: 'plain',
      port: 9092,
      type: 'internal',
      tls: false,
      networkPolicyPeers: [
        { podSelector: { matchLabels: podSelector(sources, 'Deployment') }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'klaxon-sources' } } },
        { podSelector: { matchLabels: podSelector(logging, 'DaemonSet') }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'klaxon-logging' } } },
        { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'fluent-bit' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fluent' } } },
      ],
    });
    expect(spec.kafka.listeners[0].networkPolicyPeers[0].podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'eventrouter', 'app.kubernetes.io/instance': 'sources-Eventrouter-c8f610f2' });
    expect(spec.kafka.authorization).toEqual({ type: 'simple', superUsers: ['ANONYMOUS'] });
    expect(JSON.parse(sources.toJson().find((o: any) => o.kind === 'ConfigMap').data['config.json']).kafkaBrokers).toEqual(['klaxon-kafka-bootstrap.klaxon.svc:9092']);
    expect(logging.toJson().find((o: any) => o.kind === 'ConfigMap').data['fluent-bit.conf']).toMatch(/\n {4}brokers +klaxon-kafka-bootstrap\.klaxon\.svc:9092\n/);
    expect(kafkaChart.toJson().find((o: any) => o.kind === 'ClusterOutput').spec.kafka.brokers).toBe('klaxon-kafka-bootstrap.klaxon.svc:9092');
    expect(cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap.klaxon.svc:9094');
    expect(() => app.synth()).not.toThrow();
    expect(schemaProblems([...kafkaChart.toJson(), ...sources.toJson(), ...logging.toJson()])).toEqual([]);
  });

  test('fluent-operator\'s Fluent Bit pods are allowed from namespace \'fluent\' by default, every pod of it unless labels are given', () => {
    const { kafkaChart, cluster, logs } = prod();
    new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'plain' });
    expect(cluster.clientsOf('plain')).toEqual([{ namespace: 'fluent' }]);
    expect(kafkaSpec(kafkaChart).kafka.listeners[0].networkPolicyPeers).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fluent' } } }]);
  });

  test('fluent-operator\'s namespace is a prop (KubeSphere runs it in kubesphere-logging-system)', () => {
    const { kafkaChart, cluster, logs } = prod();
    const output = new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'plain', fluentBitNamespace: 'kubesphere-logging-system' });
    expect(output.fluentBitNamespace).toBe('kubesphere-logging-system');
    expect(cluster.clientsOf('plain')).toEqual([{ namespace: 'kubesphere-logging-system' }]);
  });

  test('on an unrestricted listener the clients register nothing and the listener has no networkPolicyPeers', () => {
    const { kafkaChart, cluster, events, logs } = prod({
      ...PROD, listeners: [{ name: 'plain', port: 9092 }, PROD.listeners![1]], superUsers: undefined, config: { 'allow.everyone.if.no.acl.found': true },
    });
    new Eventrouter(kafkaChart, 'Eventrouter', { topic: events, listener: 'plain' });
    new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'plain' });
    expect(cluster.clientsOf('plain')).toEqual([]);
    expect(kafkaSpec(kafkaChart).kafka.listeners[0].networkPolicyPeers).toBeUndefined();
  });

  describe('validation', () => {
    test('fails if eventrouter is pointed at the SCRAM listener', () => {
      const { kafkaChart, events } = prod();
      expect(messageOf(() => new Eventrouter(kafkaChart, 'Eventrouter', { topic: events, listener: 'scram' }))).toBe(
        "'listener' (\"scram\") of Eventrouter 'Eventrouter' needs TLS and scram-sha-512 authentication, which Eventrouter 'Eventrouter' cannot give: " +
        "eventrouter's Kafka sink has no TLS settings, and its only SASL mechanism (PLAIN, heptiolabs builds) is one Strimzi listeners do not offer. " +
        "Point 'listener' at a listener with 'tls: false' and authentication 'none'.",
      );
    });

    test('fails if eventrouter is left on the default listener, which is the SCRAM one', () => {
      const { kafkaChart, events } = prod();
      expect(messageOf(() => new Eventrouter(kafkaChart, 'Eventrouter', { topic: events }))).toBe(
        "'workloadListener' (\"scram\") of KafkaCluster 'klaxon' needs TLS and scram-sha-512 authentication, which Eventrouter 'Eventrouter' cannot give: " +
        "eventrouter's Kafka sink has no TLS settings, and its only SASL mechanism (PLAIN, heptiolabs builds) is one Strimzi listeners do not offer. " +
        "Point 'workloadListener' at a listener with 'tls: false' and authentication 'none' (the default 'plain').",
      );
    });

    test('fails if Fluent Bit is pointed at the SCRAM listener', () => {
      const { kafkaChart, logs } = prod();
      expect(messageOf(() => new FluentBit(kafkaChart, 'FluentBit', { topic: logs, listener: 'scram' }))).toBe(
        "'listener' (\"scram\") of FluentBit 'FluentBit' needs TLS and scram-sha-512 authentication, which FluentBit 'FluentBit' cannot give: " +
        "it has no 'user', so it carries no CA and no credentials. " +
        "Point 'listener' at a listener with 'tls: false' and authentication 'none'.",
      );
    });

    test('fails if the fluent-operator output is pointed at the SCRAM listener', () => {
      const { kafkaChart, logs } = prod();
      expect(messageOf(() => new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'scram' }))).toBe(
        "'listener' (\"scram\") of FluentOperatorKafkaOutput 'Operator' needs TLS and scram-sha-512 authentication, which FluentOperatorKafkaOutput 'Operator' cannot give: " +
        "it has no 'user', so it carries no CA and no credentials. " +
        "Point 'listener' at a listener with 'tls: false' and authentication 'none'.",
      );
    });

    test('fails if a client uses the plain listener while authorization is on and ANONYMOUS is not a super user', () => {
      const { kafkaChart, events, logs } = prod({ ...PROD, superUsers: undefined });
      expect(messageOf(() => new Eventrouter(kafkaChart, 'Eventrouter', { topic: events, listener: 'plain' }))).toBe(
        "'listener' (\"plain\") of Eventrouter 'Eventrouter' does not authenticate, so Eventrouter 'Eventrouter' connects as ANONYMOUS, and 'superUsers' ([]) of KafkaCluster 'klaxon' do not include ANONYMOUS: " +
        "with 'authorization' on, the broker would deny its every request. Give Eventrouter 'Eventrouter' a KafkaUser on an authenticated listener, or (accepting the risk) add 'ANONYMOUS' to 'superUsers' with 'allowAnonymousSuperUser: true' and set 'restricted: true' on listener 'plain'.",
      );
      expect(messageOf(() => new FluentBit(kafkaChart, 'FluentBit', { topic: logs, listener: 'plain' }))).toBe(
        "'listener' (\"plain\") of FluentBit 'FluentBit' does not authenticate, so FluentBit 'FluentBit' connects as ANONYMOUS, and 'superUsers' ([]) of KafkaCluster 'klaxon' do not include ANONYMOUS: " +
        "with 'authorization' on, the broker would deny its every request. Give FluentBit 'FluentBit' a KafkaUser on an authenticated listener, or (accepting the risk) add 'ANONYMOUS' to 'superUsers' with 'allowAnonymousSuperUser: true' and set 'restricted: true' on listener 'plain'.",
      );
    });

    test('fails if a client names a listener the cluster does not have', () => {
      const { kafkaChart, logs } = prod();
      expect(messageOf(() => new FluentBit(kafkaChart, 'FluentBit', { topic: logs, listener: 'tls' }))).toBe(
        "'listenerName' (\"tls\") of KafkaCluster 'klaxon' names no listener; listeners are 'plain', 'scram'.",
      );
    });

    test('fails if fluent-operator\'s namespace is not a namespace name', () => {
      const { kafkaChart, logs } = prod();
      expect(messageOf(() => new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'plain', fluentBitNamespace: 'Fluent' }))).toMatch(
        /^'fluentBitNamespace' \("Fluent"\) of FluentOperatorKafkaOutput 'Operator' is not a valid namespace: /,
      );
    });

    test('fails if fluent-operator\'s pod labels are not Kubernetes labels', () => {
      const { kafkaChart, logs } = prod();
      expect(messageOf(() => new FluentOperatorKafkaOutput(kafkaChart, 'Operator', { topic: logs, listener: 'plain', fluentBitPodLabels: { app: 'fluent bit' } }))).toBe(
        "'podLabels.app' (\"fluent bit\") of a client of listener 'plain' of KafkaCluster 'klaxon' must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty).",
      );
    });
  });
});
