import { ApiObject, Chart, Duration, Testing } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { DEFAULT_LAG_THRESHOLD, KafkaLagScaler, KafkaLagScalerProps, RUNTIME_OFFSET_RESET_POLICY } from '../../../constructs/scaling/kafka-lag-scaler';
import { EventsFanout } from '../../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { KafkaFunction } from '../../../constructs/workloads/kafka-function';
import { KlaxonTopics } from '../../../constructs/kafka/klaxon-topics';
import { messageOf, namespacedChart, objectsOf, oneOf, schemaProblems } from '../support';

const CODE = FunctionCode.fromBundle('"use strict";console.log("audit");');

/** A chart with a cluster, a 6-partition source topic, a group and the function consuming them. */
function audit(props: Partial<KafkaLagScalerProps> = {}, namespace = 'klaxon') {
  const chart = namespacedChart(namespace);
  const cluster = new KafkaCluster(chart, 'Kafka');
  const source = new KafkaTopic(cluster, 'Source', { topicName: 'orders', partitions: 6 });
  const deadLetter = new KafkaTopic(cluster, 'DeadLetter', { topicName: 'orders.dead-letter', partitions: 1 });
  const group = new ConsumerGroup(cluster, 'Group', { groupId: 'orders-audit' });
  const fn = new KafkaFunction(chart, 'OrdersAudit', { code: CODE, source, deadLetter, group, replicas: 2 });
  const make = (extra: Partial<KafkaLagScalerProps> = {}) => new KafkaLagScaler(chart, 'Scaler', { function: fn, ...props, ...extra });
  return { chart, cluster, source, deadLetter, group, fn, make };
}

describe('KafkaLagScaler', () => {
  test('the ScaledObject watches the group, topic and brokers of the function and targets its Deployment, with the documented defaults', () => {
    // GIVEN
    const { chart, fn, make } = audit();
    // WHEN
    const scaler = make();
    const so = oneOf(chart, 'ScaledObject');
    const deployment = oneOf(chart, 'Deployment');
    // THEN
    expect(so.apiVersion).toBe('keda.sh/v1alpha1');
    expect(so.metadata.namespace).toBe('klaxon');
    expect(so.metadata.labels).toEqual({ ...fn.labels, 'app.kubernetes.io/component': 'kafka-lag-scaler' });
    expect(so.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
      minReplicaCount: 0,
      maxReplicaCount: 6,
      pollingInterval: 30,
      cooldownPeriod: 300,
      fallback: { failureThreshold: 3, replicas: 1 },
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
        },
      },
      triggers: [{
        type: 'kafka',
        metricType: 'AverageValue',
        metadata: {
          bootstrapServers: 'klaxon-kafka-bootstrap.klaxon.svc:9092',
          consumerGroup: 'orders-audit',
          topic: 'orders',
          lagThreshold: '10',
          activationLagThreshold: '0',
          offsetResetPolicy: 'earliest',
          allowIdleConsumers: 'false',
          limitToPartitionsWithLag: 'false',
          scaleToZeroOnInvalidOffset: 'false',
        },
      }],
    });
    expect(scaler.lagThreshold).toBe(DEFAULT_LAG_THRESHOLD);
    expect(scaler.offsetResetPolicy).toBe(RUNTIME_OFFSET_RESET_POLICY);
    expect(ApiObject.of(scaler)).toBe(scaler.resource);
    expect(KafkaLagScaler.of(fn)).toBe(scaler);
  });

  test('the trigger reads exactly the env the workload runs with: KAFKA_BROKERS, KAFKA_SOURCE_TOPIC and KAFKA_GROUP_ID', () => {
    // GIVEN
    const { chart, make } = audit();
    // WHEN
    make();
    const metadata = oneOf(chart, 'ScaledObject').spec.triggers[0].metadata;
    const env = Object.fromEntries(oneOf(chart, 'Deployment').spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    // THEN
    expect(metadata.bootstrapServers).toBe(env.KAFKA_BROKERS);
    expect(metadata.topic).toBe(env.KAFKA_SOURCE_TOPIC);
    expect(metadata.consumerGroup).toBe(env.KAFKA_GROUP_ID);
  });

  test('a scaled Deployment has no replicas field; unscaled it keeps its replicas', () => {
    // GIVEN
    const { chart, make } = audit();
    expect(oneOf(chart, 'Deployment').spec.replicas).toBe(2);
    // WHEN
    make();
    // THEN
    expect(oneOf(chart, 'Deployment').spec).not.toHaveProperty('replicas');
  });

  test('every prop reaches the ScaledObject', () => {
    // GIVEN
    const { chart, make } = audit();
    // WHEN
    make({
      minReplicas: 1,
      maxReplicas: 4,
      lagThreshold: 250,
      activationLagThreshold: 20,
      pollingInterval: Duration.seconds(15),
      cooldownPeriod: Duration.minutes(10),
      offsetResetPolicy: 'latest',
      limitToPartitionsWithLag: true,
      scaleToZeroOnInvalidOffset: true,
      scaleDownStabilization: Duration.minutes(2),
      scaleDownPodsPerMinute: 2,
      fallbackReplicas: 3,
      fallbackFailureThreshold: 5,
    });
    // THEN
    const spec = oneOf(chart, 'ScaledObject').spec;
    expect(spec).toMatchObject({
      minReplicaCount: 1,
      maxReplicaCount: 4,
      pollingInterval: 15,
      cooldownPeriod: 600,
      fallback: { failureThreshold: 5, replicas: 3 },
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 120, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } } },
    });
    expect(spec.triggers[0].metadata).toEqual({
      bootstrapServers: 'klaxon-kafka-bootstrap.klaxon.svc:9092',
      consumerGroup: 'orders-audit',
      topic: 'orders',
      lagThreshold: '250',
      activationLagThreshold: '20',
      offsetResetPolicy: 'latest',
      allowIdleConsumers: 'false',
      limitToPartitionsWithLag: 'true',
      scaleToZeroOnInvalidOffset: 'true',
    });
  });

  test('the fallback keeps minReplicas pods when minReplicas is above 1', () => {
    // GIVEN
    const { chart, make } = audit({ minReplicas: 2 });
    // WHEN
    make();
    // THEN
    expect(oneOf(chart, 'ScaledObject').spec.fallback).toEqual({ failureThreshold: 3, replicas: 2 });
  });

  test('renaming the topic, the group or the cluster moves the trigger with them: nothing is typed twice', () => {
    // GIVEN a fanout whose topics, group and cluster are all renamed
    const chart = namespacedChart('logging');
    const cluster = new KafkaCluster(chart, 'Kafka', { clusterName: 'events-bus' });
    const topics = new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop'], clusterEventsTopicName: 'k8s-events' });
    const group = new ConsumerGroup(cluster, 'Group', { groupId: 'fanout-v2' });
    const fanout = new EventsFanout(chart, 'EventsFanout', { topics, group, code: CODE });
    // WHEN
    new KafkaLagScaler(chart, 'FanoutScaler', { function: fanout.function });
    // THEN
    const so = oneOf(chart, 'ScaledObject');
    expect(so.spec.triggers[0].metadata).toMatchObject({
      bootstrapServers: 'events-bus-kafka-bootstrap.logging.svc:9092',
      topic: 'k8s-events',
      consumerGroup: 'fanout-v2',
    });
    expect(so.spec.maxReplicaCount).toBe(topics.clusterEvents.partitions);
    expect(so.spec.scaleTargetRef.name).toBe(oneOf(chart, 'Deployment').metadata.name);
  });

  test('the ScaledObject and the whole chart validate against the KEDA 2.20.2 CRD and Kubernetes 1.27, closed', () => {
    // GIVEN
    const { chart, make } = audit({ minReplicas: 1, limitToPartitionsWithLag: true });
    // WHEN
    make();
    // THEN
    expect(objectsOf(chart, 'ScaledObject')).toHaveLength(1);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  describe('on a listener with TLS or authentication', () => {
    /** A cluster whose workload listener is `listener`, a function authenticating as its KafkaUser, and the scaler. */
    function secured(listener: { tls: boolean; authentication: 'none' | 'tls' | 'scram-sha-512' }) {
      const chart = namespacedChart();
      const cluster = new KafkaCluster(chart, 'Kafka', {
        listeners: [{ name: 'plain', port: 9092 }, { name: 'secure', port: 9094, ...listener }],
        workloadListener: 'secure',
      });
      const source = new KafkaTopic(cluster, 'Source', { topicName: 'orders', partitions: 6 });
      const deadLetter = new KafkaTopic(cluster, 'DeadLetter', { topicName: 'orders.dead-letter', partitions: 1 });
      const group = new ConsumerGroup(cluster, 'Group', { groupId: 'orders-audit' });
      const user = listener.authentication === 'none' ? undefined : new KafkaUser(cluster, 'User', { userName: 'orders-audit', authentication: listener.authentication });
      const fn = new KafkaFunction(chart, 'OrdersAudit', { code: CODE, source, deadLetter, group, user });
      const scaler = new KafkaLagScaler(chart, 'Scaler', { function: fn });
      return { chart, fn, scaler };
    }

    test('TLS with scram-sha-512: KEDA gets the cluster CA and the password by Secret reference and the user name from the workload container env', () => {
      // GIVEN
      const { chart, fn, scaler } = secured({ tls: true, authentication: 'scram-sha-512' });
      // WHEN
      const auth = oneOf(chart, 'TriggerAuthentication');
      const trigger = oneOf(chart, 'ScaledObject').spec.triggers[0];
      const container = oneOf(chart, 'Deployment').spec.template.spec.containers[0];
      // THEN
      expect(auth.apiVersion).toBe('keda.sh/v1alpha1');
      expect(auth.metadata.namespace).toBe('klaxon');
      expect(auth.spec).toEqual({
        secretTargetRef: [
          { parameter: 'ca', name: 'klaxon-cluster-ca-cert', key: 'ca.crt' },
          { parameter: 'password', name: 'orders-audit', key: 'password' },
        ],
        env: [{ parameter: 'username', name: 'KAFKA_SASL_USERNAME', containerName: 'orders-audit' }],
      });
      expect(trigger.authenticationRef).toEqual({ name: auth.metadata.name });
      expect(trigger.metadata).toMatchObject({ bootstrapServers: 'klaxon-kafka-bootstrap.klaxon.svc:9094', tls: 'enable', sasl: 'scram_sha512' });
      // the env KEDA reads the user name from, and the Secret the pod reads the password from, are the workload's own
      expect(container.name).toBe(fn.workloadName);
      expect(container.env).toEqual(expect.arrayContaining([
        { name: 'KAFKA_SASL_USERNAME', value: 'orders-audit' },
        { name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/klaxon/kafka/sasl/password' },
      ]));
      expect(fn.deployment.toJson().spec.template.spec.volumes).toContainEqual({ name: 'kafka-sasl', secret: { secretName: 'orders-audit', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } });
      expect(scaler.triggerAuthentication).toBeDefined();
      expect(schemaProblems(Testing.synth(chart))).toEqual([]);
    });

    test('mutual TLS: KEDA gets the cluster CA and the user certificate and key by Secret reference', () => {
      // GIVEN
      const { chart } = secured({ tls: true, authentication: 'tls' });
      // THEN
      expect(oneOf(chart, 'TriggerAuthentication').spec).toEqual({
        secretTargetRef: [
          { parameter: 'ca', name: 'klaxon-cluster-ca-cert', key: 'ca.crt' },
          { parameter: 'cert', name: 'orders-audit', key: 'user.crt' },
          { parameter: 'key', name: 'orders-audit', key: 'user.key' },
        ],
      });
      const metadata = oneOf(chart, 'ScaledObject').spec.triggers[0].metadata;
      expect(metadata.tls).toBe('enable');
      expect(metadata).not.toHaveProperty('sasl');
      expect(schemaProblems(Testing.synth(chart))).toEqual([]);
    });

    test('TLS without authentication: only the CA', () => {
      // GIVEN
      const { chart } = secured({ tls: true, authentication: 'none' });
      // THEN
      expect(oneOf(chart, 'TriggerAuthentication').spec).toEqual({ secretTargetRef: [{ parameter: 'ca', name: 'klaxon-cluster-ca-cert', key: 'ca.crt' }] });
    });

    test('a plain listener renders no TriggerAuthentication and no tls or sasl', () => {
      // GIVEN
      const { chart, make } = audit();
      // WHEN
      const scaler = make();
      // THEN
      expect(objectsOf(chart, 'TriggerAuthentication')).toEqual([]);
      expect(scaler.triggerAuthentication).toBeUndefined();
      const trigger = oneOf(chart, 'ScaledObject').spec.triggers[0];
      expect(trigger).not.toHaveProperty('authenticationRef');
      expect(trigger.metadata).not.toHaveProperty('tls');
      expect(trigger.metadata).not.toHaveProperty('sasl');
    });
  });

  describe('fails', () => {
    const owner = "KafkaLagScaler of 'orders-audit'";

    test('fails if maxReplicas exceeds the partitions of the source topic', () => {
      expect(messageOf(() => audit().make({ maxReplicas: 7 }))).toBe(
        `'maxReplicas' (7) of ${owner} exceeds the partitions of topic 'orders' (6); a consumer beyond the partition count gets no partition and sits idle. Lower 'maxReplicas' or raise the topic's 'partitions'.`,
      );
    });

    test('fails if maxReplicas is 0', () => {
      expect(messageOf(() => audit().make({ maxReplicas: 0 }))).toBe(`'maxReplicas' (0) of ${owner} must be at least 1.`);
    });

    test('fails if minReplicas is negative or not whole', () => {
      expect(messageOf(() => audit().make({ minReplicas: -1 }))).toBe(`'minReplicas' (-1) of ${owner} must be at least 0.`);
      expect(messageOf(() => audit().make({ minReplicas: 1.5 }))).toBe(`'minReplicas' (1.5) of ${owner} must be a whole number.`);
    });

    test('fails if minReplicas exceeds maxReplicas', () => {
      expect(messageOf(() => audit().make({ minReplicas: 4, maxReplicas: 3 }))).toBe(
        `'minReplicas' (4) of ${owner} exceeds 'maxReplicas' (3). Lower 'minReplicas' or raise 'maxReplicas'.`,
      );
    });

    test('fails if lagThreshold is below 1', () => {
      expect(messageOf(() => audit().make({ lagThreshold: 0 }))).toBe(`'lagThreshold' (0) of ${owner} must be at least 1.`);
    });

    test('fails if activationLagThreshold is negative', () => {
      expect(messageOf(() => audit().make({ activationLagThreshold: -5 }))).toBe(`'activationLagThreshold' (-5) of ${owner} must be at least 0.`);
    });

    test('fails if pollingInterval is not whole seconds or is zero', () => {
      expect(messageOf(() => audit().make({ pollingInterval: Duration.millis(1500) }))).toBe(`'pollingInterval' (1.5 seconds) of ${owner} must be a whole number of seconds.`);
      expect(messageOf(() => audit().make({ pollingInterval: Duration.seconds(0) }))).toBe(`'pollingInterval' (0 seconds) of ${owner} must be from 1 to 86400 seconds.`);
    });

    test('fails if cooldownPeriod is not whole seconds', () => {
      expect(messageOf(() => audit().make({ cooldownPeriod: Duration.millis(500) }))).toBe(`'cooldownPeriod' (0.5 seconds) of ${owner} must be a whole number of seconds.`);
    });

    test('fails if offsetResetPolicy is not earliest or latest', () => {
      expect(messageOf(() => audit().make({ offsetResetPolicy: 'newest' as any }))).toBe(`'offsetResetPolicy' ("newest") of ${owner} must be one of 'earliest', 'latest'.`);
    });

    test('fails if scaleToZeroOnInvalidOffset is set while minReplicas is 0', () => {
      expect(messageOf(() => audit().make({ scaleToZeroOnInvalidOffset: true }))).toBe(
        `'scaleToZeroOnInvalidOffset' (true) of ${owner} with 'minReplicas' 0: a group that has never committed (a fresh install) reads as lag 0, ` +
        "so KEDA never starts the pod that would commit its first offset. Set 'minReplicas' to at least 1 or leave 'scaleToZeroOnInvalidOffset' false.",
      );
    });

    test('fails if a flag is not a boolean', () => {
      expect(messageOf(() => audit().make({ limitToPartitionsWithLag: 'yes' as any }))).toBe(`'limitToPartitionsWithLag' ("yes") of ${owner} must be true or false.`);
    });

    test('fails if scaleDownStabilization is longer than the HPA allows', () => {
      expect(messageOf(() => audit().make({ scaleDownStabilization: Duration.hours(2) }))).toBe(`'scaleDownStabilization' (7200 seconds) of ${owner} must be from 0 to 3600 seconds.`);
    });

    test('fails if scaleDownPodsPerMinute is below 1', () => {
      expect(messageOf(() => audit().make({ scaleDownPodsPerMinute: 0 }))).toBe(`'scaleDownPodsPerMinute' (0) of ${owner} must be at least 1.`);
    });

    test('fails if fallbackReplicas is 0 or above maxReplicas', () => {
      expect(messageOf(() => audit().make({ fallbackReplicas: 0 }))).toBe(`'fallbackReplicas' (0) of ${owner} must be at least 1.`);
      expect(messageOf(() => audit().make({ maxReplicas: 2, fallbackReplicas: 3 }))).toBe(`'fallbackReplicas' (3) of ${owner} must be at most 2.`);
    });

    test('fails if fallbackFailureThreshold is below 1', () => {
      expect(messageOf(() => audit().make({ fallbackFailureThreshold: 0 }))).toBe(`'fallbackFailureThreshold' (0) of ${owner} must be at least 1.`);
    });

    test('fails if no function is given', () => {
      const chart = namespacedChart();
      expect(messageOf(() => new KafkaLagScaler(chart, 'Scaler', {} as KafkaLagScalerProps))).toBe(
        "'function' (undefined) of KafkaLagScaler 'Scaler' must be set: the KafkaFunction to scale.",
      );
    });

    test('fails if a second scaler is attached to the same function', () => {
      // GIVEN
      const { chart, fn, make } = audit();
      make();
      // WHEN / THEN
      expect(messageOf(() => new KafkaLagScaler(chart, 'Second', { function: fn }))).toBe(
        "KafkaFunction 'orders-audit' is already scaled by 'test/Scaler'; two autoscalers would fight over 'replicas'. Attach one scaler.",
      );
    });

    test('fails synth if the scaler lives in another namespace than the Deployment', () => {
      // GIVEN
      const { fn } = audit();
      const other = new Chart(Chart.of(fn).node.scope!, 'other', { namespace: 'elsewhere' });
      // WHEN
      new KafkaLagScaler(other, 'Scaler', { function: fn });
      // THEN
      expect(messageOf(() => Testing.synth(other))).toContain(
        "KafkaLagScaler 'other/Scaler' is in namespace \"elsewhere\" but the Deployment of 'orders-audit' in \"klaxon\"; a ScaledObject only scales a Deployment of its own namespace. Create the scaler in the chart of the function.",
      );
    });
  });
});
