import { Duration, Size } from 'cdk8s';
import { FluentBit, LOG_KEY_LUA } from '../../../constructs/shipping/fluent-bit';
import { FluentOperatorKafkaOutput } from '../../../constructs/shipping/fluent-operator-output';
import { ExternalCluster, ExternalTopic, fixture, messageOf, objectsOf, oneOf } from '../sources/support';

const LABELS = { 'fluentbit.fluent.io/enabled': 'true' };

describe('FluentOperatorKafkaOutput', () => {
  test('renders a ClusterOutput with the kafka output and the labels the operator\'s ClusterFluentBitConfig selects', () => {
    // GIVEN
    const { chart, topic } = fixture('logs');
    // WHEN
    new FluentOperatorKafkaOutput(chart, 'Logs', { topic });
    // THEN
    const output = oneOf(chart, 'ClusterOutput');
    expect(output.apiVersion).toBe('fluentbit.fluent.io/v1alpha2');
    expect(output.metadata.labels).toEqual(LABELS);
    expect(output.spec).toEqual({
      match: 'klaxon.*',
      kafka: {
        brokers: 'klaxon-kafka-bootstrap.klaxon.svc:9092',
        topics: 'logs',
        // One pod's lines on one partition (the key <namespace>/<pod>, set by the Lua filter).
        messageKeyField: 'klaxon_key',
        format: 'json',
        timestampKey: '@timestamp',
        timestampFormat: 'double',
        rdkafka: {
          'client.id': 'klaxon-fluent-bit', 'request.required.acks': '-1', 'log.connection.close': 'false',
          // an outage never expires a queued record; at most 64 MiB wait in memory, the rest on disk
          'message.timeout.ms': '0', 'queue.buffering.max.kbytes': '65536',
        },
        totalLimitSize: '1073741824',
      },
      retry_limit: 'no_limits',
    });
  });

  test('adds its own tail ClusterInput and kubernetes ClusterFilter under tag klaxon.*, with the DaemonSet\'s settings', () => {
    const { chart, topic } = fixture('logs');
    new FluentOperatorKafkaOutput(chart, 'Logs', { topic });
    const input = oneOf(chart, 'ClusterInput');
    expect(input.metadata.labels).toEqual(LABELS);
    expect(input.spec).toEqual({
      tail: {
        tag: 'klaxon.*',
        path: '/var/log/containers/*.log',
        multilineParser: 'docker, cri',
        db: '/fluent-bit/tail/klaxon-pos.db',
        dbLocking: true,
        memBufLimit: '52428800',
        skipLongLines: true,
        refreshIntervalSeconds: 10,
        storageType: 'filesystem',
      },
    });
    const filter = oneOf(chart, 'ClusterFilter');
    expect(filter.metadata.labels).toEqual(LABELS);
    expect(filter.spec).toEqual({
      match: 'klaxon.*',
      filters: [{
        kubernetes: {
          // The CRD's own spelling (the generated class maps kubeUrl -> kubeURL, kubeCaFile -> kubeCAFile).
          kubeURL: 'https://kubernetes.default.svc:443',
          kubeCAFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
          kubeTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
          kubeTagPrefix: 'klaxon.var.log.containers.',
          mergeLog: true,
          mergeLogKey: 'log_processed',
          keepLog: true,
          labels: false,
          annotations: false,
          k8sLoggingParser: false,
          k8sLoggingExclude: true,
        },
      }, { lua: { call: 'klaxon_key', code: LOG_KEY_LUA } }],
    });
  });

  test('the operator path and the DaemonSet path render the same output settings from the same props', () => {
    const { chart } = fixture('logs');
    const cluster = new ExternalCluster(chart, 'Ext', 'ext', '4.1.1', 'a:9092,b:9092');
    const props = { topic: new ExternalTopic(chart, 'T', 'logs', cluster), timestampFormat: 'iso8601' as const, rdkafka: { 'compression.codec': 'lz4' }, mergeLogKey: 'json', allowDuplicateShipping: true };
    const fb = new FluentBit(chart, 'DaemonSet', props);
    const op = new FluentOperatorKafkaOutput(chart, 'Operator', props);
    expect(op.settings).toEqual(fb.settings);
    const kafka = oneOf(chart, 'ClusterOutput').spec.kafka;
    const conf: string = objectsOf(chart, 'ConfigMap')[0].data['fluent-bit.conf'];
    const squeezed = conf.replace(/ +/g, ' ');
    expect(squeezed).toContain(`\n brokers ${kafka.brokers}\n`);
    expect(squeezed).toContain(`\n topics ${kafka.topics}\n`);
    expect(squeezed).toContain(`\n timestamp_format ${kafka.timestampFormat}\n`);
    expect(squeezed).toContain('\n rdkafka.compression.codec lz4\n');
    expect(squeezed).toContain(`\n storage.total_limit_size ${kafka.totalLimitSize}\n`);
    expect(kafka.rdkafka['compression.codec']).toBe('lz4');
  });

  test('every prop reaches the manifest', () => {
    const { chart, topic } = fixture('logs');
    new FluentOperatorKafkaOutput(chart, 'Logs', {
      topic,
      selectorLabels: { 'fluentbit.fluent.io/enabled': 'true', 'team': 'sre' },
      tag: 'shop',
      dbPath: '/fluent-bit/tail/shop.db',
      logPath: '/var/log/containers/shop-*.log',
      excludePaths: ['/var/log/containers/*_kube-system_*.log'],
      logFormats: ['cri'],
      memBufLimit: Size.mebibytes(10),
      refreshInterval: Duration.seconds(30),
      podLabels: true,
      timestampKey: 'ts',
    });
    expect(oneOf(chart, 'ClusterOutput').metadata.labels).toEqual({ 'fluentbit.fluent.io/enabled': 'true', 'team': 'sre' });
    expect(oneOf(chart, 'ClusterOutput').spec.match).toBe('shop.*');
    expect(oneOf(chart, 'ClusterOutput').spec.kafka.timestampKey).toBe('ts');
    expect(oneOf(chart, 'ClusterInput').spec.tail).toEqual({
      tag: 'shop.*', path: '/var/log/containers/shop-*.log', excludePath: '/var/log/containers/*_kube-system_*.log', multilineParser: 'cri',
      db: '/fluent-bit/tail/shop.db', dbLocking: true, memBufLimit: '10485760', skipLongLines: true, refreshIntervalSeconds: 30, storageType: 'filesystem',
    });
    expect(oneOf(chart, 'ClusterFilter').spec.match).toBe('shop.*');
    expect(oneOf(chart, 'ClusterFilter').spec.filters[0].kubernetes).toMatchObject({ kubeTagPrefix: 'shop.var.log.containers.', labels: true });
  });

  test('without its own input and filter, the output matches the cluster\'s kube.* records', () => {
    const { chart, topic } = fixture('logs');
    new FluentOperatorKafkaOutput(chart, 'Logs', { topic, includeInputAndFilter: false });
    expect(oneOf(chart, 'ClusterOutput').spec.match).toBe('kube.*');
    expect(objectsOf(chart, 'ClusterInput')).toEqual([]);
    expect(objectsOf(chart, 'ClusterFilter')).toEqual([]);
  });

  describe('validation', () => {
    test('fails if match is given while Klaxon\'s own input is used', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentOperatorKafkaOutput(chart, 'Logs', { topic, match: 'kube.*' }))).toBe(
        '\'match\' ("kube.*") of FluentOperatorKafkaOutput \'Logs\' applies only with \'includeInputAndFilter: false\'; Klaxon\'s own input is matched by \'klaxon.*\'.',
      );
    });

    test('fails if the selector labels are empty', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentOperatorKafkaOutput(chart, 'Logs', { topic, selectorLabels: {} }))).toBe(
        '\'selectorLabels\' ({}) of FluentOperatorKafkaOutput \'Logs\' is empty: the operator\'s ClusterFluentBitConfig would select nothing of it.',
      );
    });

    test('fails if the log path is not absolute', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentOperatorKafkaOutput(chart, 'Logs', { topic, logPath: '*.log' }))).toBe(
        '\'logPath\' ("*.log") of FluentOperatorKafkaOutput \'Logs\' must be an absolute path (starting with \'/\').',
      );
    });

    test('fails at synth if two operator outputs ship to the same topic without saying so', () => {
      const { app, chart, topic } = fixture('logs');
      new FluentOperatorKafkaOutput(chart, 'A', { topic, tag: 'a' });
      new FluentOperatorKafkaOutput(chart, 'B', { topic, tag: 'b', allowDuplicateShipping: true });
      expect(() => app.synth()).toThrow(
        '[test/A] \'allowDuplicateShipping\' (false) of FluentOperatorKafkaOutput \'A\': FluentOperatorKafkaOutput \'B\' (test/B) also ships container logs to topic \'logs\' of cluster \'klaxon\', so every log line would arrive twice. Remove one, or set \'allowDuplicateShipping: true\' on both if that is what you want.',
      );
    });
  });
});
