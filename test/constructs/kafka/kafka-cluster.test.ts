import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { derivedBrokerConfig } from '../../../constructs/kafka/broker-config';
import { DEFAULT_KAFKA_VERSION, KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaStorage } from '../../../constructs/kafka/kafka-storage';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { messageOf, namespacedChart, objectNamed, objectsOf, schemaProblems } from './helpers';

describe('KafkaCluster', () => {
  test('a default cluster is one dual-role KRaft node on ephemeral storage running Kafka 4.1.1', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    const cluster = new KafkaCluster(chart, 'Kafka');
    // THEN
    expect(DEFAULT_KAFKA_VERSION).toBe('4.1.1');
    const manifests = Testing.synth(chart);
    expect(manifests.map((m: any) => `${m.apiVersion} ${m.kind} ${m.metadata.name}`)).toEqual([
      'kafka.strimzi.io/v1 Kafka klaxon',
      'kafka.strimzi.io/v1 KafkaNodePool dual-role',
    ]);
    const kafka = objectNamed(chart, 'Kafka', 'klaxon');
    expect(kafka.metadata).toEqual({ name: 'klaxon' });
    expect(kafka.spec).toEqual({
      kafka: {
        version: '4.1.1',
        listeners: [
          { name: 'plain', port: 9092, type: 'internal', tls: false },
          { name: 'tls', port: 9093, type: 'internal', tls: true },
        ],
        config: {
          'default.replication.factor': 1,
          'min.insync.replicas': 1,
          'offsets.topic.replication.factor': 1,
          'transaction.state.log.replication.factor': 1,
          'transaction.state.log.min.isr': 1,
          'auto.create.topics.enable': false,
        },
      },
      // Requests and limits, so the entity operator is not BestEffort (the first pod evicted).
      entityOperator: {
        topicOperator: { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } } },
        userOperator: { resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } } },
      },
    });
    const pool = objectNamed(chart, 'KafkaNodePool', 'dual-role');
    expect(pool.metadata).toEqual({ name: 'dual-role', labels: { 'strimzi.io/cluster': 'klaxon' } });
    expect(pool.spec).toEqual({
      replicas: 1,
      roles: ['controller', 'broker'],
      storage: { type: 'ephemeral', kraftMetadata: 'shared' },
      resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '2Gi' } },
    });
    expect(cluster.brokerCount).toBe(1);
    expect(cluster.controllerCount).toBe(0);
    expect(schemaProblems(manifests)).toEqual([]);
  });

  test('no ZooKeeper, no v1beta2 fields and no KRaft or node-pool annotations are rendered', () => {
    const chart = Testing.chart();
    new KafkaCluster(chart, 'Kafka');
    const kafka = objectNamed(chart, 'Kafka', 'klaxon');
    expect(kafka.spec.zookeeper).toBeUndefined();
    expect(kafka.spec.kafka.replicas).toBeUndefined();
    expect(kafka.spec.kafka.storage).toBeUndefined();
    expect(kafka.metadata.annotations).toBeUndefined();
    const text = JSON.stringify(Testing.synth(chart));
    expect(text).not.toMatch(/zookeeper|log\.message\.format\.version|inter\.broker\.protocol\.version|v1beta/);
  });

  test.each([
    [1, { rf: 1, isr: 1 }],
    [2, { rf: 2, isr: 2 }],
    [3, { rf: 3, isr: 2 }],
    [5, { rf: 3, isr: 2 }],
  ])('replication settings are derived from the broker count (%i brokers)', (brokers, { rf, isr }) => {
    const chart = Testing.chart();
    new KafkaCluster(chart, 'Kafka', { brokers });
    expect(objectNamed(chart, 'Kafka', 'klaxon').spec.kafka.config).toEqual({
      'default.replication.factor': rf,
      'min.insync.replicas': isr,
      'offsets.topic.replication.factor': rf,
      'transaction.state.log.replication.factor': rf,
      'transaction.state.log.min.isr': isr,
      'auto.create.topics.enable': false,
    });
    expect(derivedBrokerConfig(brokers)['default.replication.factor']).toBe(rf);
  });

  test('a prod cluster has three brokers on persistent claims of a storage class, keeping claims on delete', () => {
    const chart = namespacedChart('klaxon');
    new KafkaCluster(chart, 'Kafka', {
      brokers: 3,
      storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100), storageClass: 'fast-ssd' }),
    });
    const pool = objectNamed(chart, 'KafkaNodePool', 'dual-role');
    expect(pool.metadata).toEqual({ name: 'dual-role', namespace: 'klaxon', labels: { 'strimzi.io/cluster': 'klaxon' } });
    expect(pool.spec.replicas).toBe(3);
    expect(pool.spec.storage).toEqual({ type: 'persistent-claim', size: '100Gi', class: 'fast-ssd', deleteClaim: false, kraftMetadata: 'shared' });
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('dedicated controllers get their own pool and storage; brokers keep the broker role only', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', {
      brokers: 3,
      controllers: 3,
      storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(50), deleteClaim: true }),
      controllerStorage: KafkaStorage.persistentClaim({ size: Size.gibibytes(5) }),
      controllerResources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) }, memory: { request: Size.mebibytes(512) } },
    });
    expect(objectsOf(chart, 'KafkaNodePool').map((p) => [p.metadata.name, p.spec.roles, p.spec.replicas])).toEqual([
      ['controller', ['controller'], 3],
      ['broker', ['broker'], 3],
    ]);
    expect(objectNamed(chart, 'KafkaNodePool', 'controller').spec.storage).toEqual({ type: 'persistent-claim', size: '5Gi', deleteClaim: false, kraftMetadata: 'shared' });
    expect(objectNamed(chart, 'KafkaNodePool', 'controller').spec.resources).toEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { cpu: '1' } });
    expect(objectNamed(chart, 'KafkaNodePool', 'broker').spec.storage).toEqual({ type: 'persistent-claim', size: '50Gi', deleteClaim: true, kraftMetadata: 'shared' });
    expect(cluster.brokerCount).toBe(3);
    expect(cluster.controllerCount).toBe(3);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('ephemeral storage can carry a size limit', () => {
    const chart = Testing.chart();
    new KafkaCluster(chart, 'Kafka', { storage: KafkaStorage.ephemeral({ sizeLimit: Size.gibibytes(4) }) });
    expect(objectNamed(chart, 'KafkaNodePool', 'dual-role').spec.storage).toEqual({ type: 'ephemeral', sizeLimit: '4Gi', kraftMetadata: 'shared' });
  });

  test('the bootstrap address names the bootstrap Service of the workloads listener in the chart namespace', () => {
    const chart = namespacedChart('observability');
    const cluster = new KafkaCluster(chart, 'Kafka', { clusterName: 'events' });
    expect(cluster.bootstrapServers).toBe('events-kafka-bootstrap.observability.svc:9092');
    expect(cluster.bootstrapServersFor('tls')).toBe('events-kafka-bootstrap.observability.svc:9093');
    expect(cluster.namespace).toBe('observability');
    expect(objectNamed(chart, 'Kafka', 'events').metadata.namespace).toBe('observability');
  });

  test('without a chart namespace the bootstrap address is the short Service name', () => {
    const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
    expect(cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap:9092');
  });

  test('a scram-sha-512 listener with a scram user turns on simple authorization and the workloads use it', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', {
      listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }, { name: 'mtls', port: 9095, tls: true, authentication: 'tls' }],
    });
    new KafkaUser(chart, 'Alerter', { cluster, userName: 'alerter' });
    const kafka = objectNamed(chart, 'Kafka', 'klaxon').spec.kafka;
    expect(kafka.listeners).toEqual([
      { name: 'scram', port: 9094, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } },
      { name: 'mtls', port: 9095, type: 'internal', tls: true, authentication: { type: 'tls' } },
    ]);
    expect(kafka.authorization).toEqual({ type: 'simple' });
    expect(cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap:9094');
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('every prop reaches the manifest', () => {
    const chart = Testing.chart();
    new KafkaCluster(chart, 'Kafka', {
      clusterName: 'k2',
      kafkaVersion: '4.2.0',
      brokers: 2,
      listeners: [{ name: 'plain', port: 9092 }, { name: 'int', port: 9100, tls: true, authentication: 'tls' }],
      workloadListener: 'int',
      resources: { memory: { request: Size.gibibytes(1), limit: Size.gibibytes(3) } },
      config: { 'auto.create.topics.enable': false, 'num.network.threads': 5 },
      authorization: true,
      entityOperator: false,
    });
    const kafka = objectNamed(chart, 'Kafka', 'k2');
    expect(kafka.spec).toEqual({
      kafka: {
        version: '4.2.0',
        listeners: [
          { name: 'plain', port: 9092, type: 'internal', tls: false },
          { name: 'int', port: 9100, type: 'internal', tls: true, authentication: { type: 'tls' } },
        ],
        config: {
          'default.replication.factor': 2,
          'min.insync.replicas': 2,
          'offsets.topic.replication.factor': 2,
          'transaction.state.log.replication.factor': 2,
          'transaction.state.log.min.isr': 2,
          'auto.create.topics.enable': false,
          'num.network.threads': 5,
        },
        authorization: { type: 'simple' },
      },
    });
    expect(objectNamed(chart, 'KafkaNodePool', 'dual-role').spec.resources).toEqual({ requests: { memory: '1Gi' }, limits: { memory: '3Gi' } });
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a found cluster is reachable from constructs below it', () => {
    const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
    const child = new KafkaUser(cluster, 'User', { authentication: 'tls' });
    expect(KafkaCluster.of(child)).toBe(cluster);
    expect(child.cluster).toBe(cluster);
  });

  describe('fails', () => {
    test('fails if brokers is below 1', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { brokers: 0 }))).toBe(
        "'brokers' (0) of KafkaCluster 'klaxon' must be at least 1.",
      );
    });

    test('fails if controllers is below 1', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { controllers: 0 }))).toBe(
        "'controllers' (0) of KafkaCluster 'klaxon' must be at least 1.",
      );
    });

    test('fails if controller storage is given without dedicated controllers', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { controllerStorage: KafkaStorage.ephemeral() }))).toBe(
        "'controllerStorage' of KafkaCluster 'klaxon' applies only to dedicated controllers, and the brokers are dual-role; set 'controllers' or remove 'controllerStorage'.",
      );
    });

    test('fails if controller resources are given without dedicated controllers', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { controllerResources: {} }))).toBe(
        "'controllerResources' of KafkaCluster 'klaxon' applies only to dedicated controllers, and the brokers are dual-role; set 'controllers' or remove 'controllerResources'.",
      );
    });

    test('fails if the Kafka version is one Strimzi 0.51 does not run', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { kafkaVersion: '3.9.0' }))).toBe(
        "'kafkaVersion' (\"3.9.0\") of KafkaCluster 'klaxon' must be one of '4.1.0', '4.1.1', '4.2.0'.",
      );
    });

    test('fails if persistent storage has no size', () => {
      expect(messageOf(() => KafkaStorage.persistentClaim({} as any))).toBe(
        "'size' (undefined) of persistent-claim storage must be set: a claim needs a size, e.g. Size.gibibytes(100).",
      );
    });

    test('fails if a scram-sha-512 listener has no scram user', () => {
      const chart = Testing.chart();
      new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }] });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka] ' +
        "'listeners' of KafkaCluster 'klaxon' include listener 'scram' with authentication 'scram-sha-512' but no KafkaUser with 'scram-sha-512' authentication belongs to the cluster; no client could connect. Add a KafkaUser or set the listener's 'authentication' to 'none'.",
      );
    });

    test('fails if a scram-sha-512 listener has only tls users', () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }] });
      new KafkaUser(chart, 'User', { cluster, authentication: 'tls' });
      expect(messageOf(() => Testing.synth(chart))).toContain("no KafkaUser with 'scram-sha-512' authentication belongs to the cluster");
    });

    test('fails if authorization is on but the workloads listener does not authenticate', () => {
      const chart = Testing.chart();
      new KafkaCluster(chart, 'Kafka', { authorization: true });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka] ' +
        "'authorization' (true) of KafkaCluster 'klaxon' would deny every client of the workloads' listener 'plain', which does not authenticate (its clients are ANONYMOUS and have no ACLs). Authenticate that listener or pick another 'workloadListener'.",
      );
    });

    test('authorization with an unauthenticated workloads listener is fine when the cluster allows everyone without ACLs', () => {
      const chart = Testing.chart();
      new KafkaCluster(chart, 'Kafka', { authorization: true, config: { 'allow.everyone.if.no.acl.found': true } });
      expect(() => Testing.synth(chart)).not.toThrow();
    });

    test('fails if a ZooKeeper-era key is in the broker config', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'log.message.format.version': '2.8' } }))).toBe(
        "'config.log.message.format.version' (\"2.8\") of KafkaCluster 'klaxon' is a ZooKeeper-era setting that Kafka 4 (KRaft) no longer has; remove it.",
      );
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'inter.broker.protocol.version': '2.8' } }))).toBe(
        "'config.inter.broker.protocol.version' (\"2.8\") of KafkaCluster 'klaxon' is a ZooKeeper-era setting that Kafka 4 (KRaft) no longer has; remove it.",
      );
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'zookeeper.connect': 'zk:2181' } }))).toBe(
        "'config.zookeeper.connect' (\"zk:2181\") of KafkaCluster 'klaxon' is a ZooKeeper-era setting that Kafka 4 (KRaft) no longer has; remove it.",
      );
    });

    test('fails if the broker config sets a key Strimzi manages', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'listeners': 'PLAINTEXT://:9092' } }))).toBe(
        "'config.listeners' (\"PLAINTEXT://:9092\") of KafkaCluster 'klaxon' is managed by Strimzi (listeners, security, node ids, storage) and would be ignored; use the KafkaCluster props instead.",
      );
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'process.roles': 'broker' } }))).toContain("'config.process.roles'");
      expect(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'ssl.cipher.suites': 'TLS_AES_256_GCM_SHA384', 'controller.quorum.fetch.timeout.ms': 4000 } })).not.toThrow();
    });

    test('fails if a config replication factor exceeds the brokers', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { config: { 'default.replication.factor': 3 } }))).toBe(
        "'config.default.replication.factor' (3) of KafkaCluster 'klaxon' exceeds the brokers of the cluster (1).",
      );
    });

    test('fails if the config min.insync.replicas exceeds the replication factor', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { brokers: 3, config: { 'min.insync.replicas': 4 } }))).toBe(
        "'config.min.insync.replicas' (4) of KafkaCluster 'klaxon' exceeds 'default.replication.factor' (3); writes with acks=all would always fail.",
      );
    });

    test('fails if tls client authentication is asked of a plain listener', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { listeners: [{ name: 'x', port: 9092, authentication: 'tls' }] }))).toBe(
        "'authentication' (\"tls\") of listener 'x' of KafkaCluster 'klaxon' needs 'tls': true; TLS client authentication works only on a TLS listener.",
      );
    });

    test('fails if two listeners share a port', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { listeners: [{ name: 'a', port: 9092 }, { name: 'b', port: 9092 }] }))).toBe(
        "'listeners[].port' (9092) of KafkaCluster 'klaxon' is used by listeners 'a' and 'b'; ports must be unique.",
      );
    });

    test('fails if a listener name is not 1-11 lowercase letters or digits', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { listeners: [{ name: 'Plain_1', port: 9092 }] }))).toBe(
        "'listeners[].name' (\"Plain_1\") of KafkaCluster 'klaxon' must be 1 to 11 lowercase letters or digits.",
      );
    });

    test('fails if a listener port is one Strimzi keeps for itself', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { listeners: [{ name: 'plain', port: 9091 }] }))).toBe(
        "'port' (9091) of listener 'plain' of KafkaCluster 'klaxon' must be at least 9092.",
      );
    });

    test('fails if the workloads listener is not a listener', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { workloadListener: 'external' }))).toBe(
        "'workloadListener' (\"external\") of KafkaCluster 'klaxon' names no listener; listeners are 'plain', 'tls'.",
      );
    });

    test('fails if the cluster name is not a DNS name', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { clusterName: 'My_Kafka' }))).toBe(
        "'clusterName' (\"My_Kafka\") of KafkaCluster must be a lowercase DNS name of at most 52 characters (Strimzi appends '-kafka-bootstrap' and pod suffixes).",
      );
    });
  });
});
