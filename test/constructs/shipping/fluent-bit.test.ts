import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ContainerImage } from '../../../constructs/images';
import { FluentBit, LOG_KEY_LUA } from '../../../constructs/shipping/fluent-bit';
import { FluentOperatorKafkaOutput } from '../../../constructs/shipping/fluent-operator-output';
import { configHash } from '../../../constructs/pod-support';
import { ExternalCluster, ExternalTopic, fixture, messageOf, oneOf } from '../sources/support';

/** A configuration with runs of spaces as one (the column width depends on the longest key of a section). */
const squeeze = (text: string): string => text.replace(/ +/g, ' ');

const EXPECTED_CONF = `[SERVICE]
    flush                     1
    log_level                 info
    daemon                    off
    http_server               on
    http_listen               0.0.0.0
    http_port                 2020
    health_check              on
    hc_errors_count           5
    hc_retry_failure_count    5
    hc_period                 60
    storage.path              /var/lib/fluent-bit/klaxon-storage/
    storage.sync              normal
    storage.checksum          off
    storage.backlog.mem_limit 5242880
    storage.max_chunks_up     128

[INPUT]
    name             tail
    tag              kube.*
    path             /var/log/containers/*.log
    multiline.parser docker, cri
    db               /var/lib/fluent-bit/klaxon-tail.db
    db.locking       true
    mem_buf_limit    52428800
    skip_long_lines  on
    refresh_interval 10
    storage.type     filesystem

[FILTER]
    name                kubernetes
    match               kube.*
    kube_url            https://kubernetes.default.svc:443
    kube_ca_file        /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    kube_token_file     /var/run/secrets/kubernetes.io/serviceaccount/token
    kube_tag_prefix     kube.var.log.containers.
    merge_log           on
    merge_log_key       log_processed
    keep_log            on
    labels              off
    annotations         off
    k8s-logging.parser  off
    k8s-logging.exclude on

[FILTER]
    name  lua
    match kube.*
    call  klaxon_key
    code  ${LOG_KEY_LUA}

[OUTPUT]
    name                               kafka
    match                              kube.*
    brokers                            klaxon-kafka-bootstrap.klaxon.svc:9092
    topics                             logs
    message_key_field                  klaxon_key
    format                             json
    timestamp_key                      @timestamp
    timestamp_format                   double
    retry_limit                        no_limits
    storage.total_limit_size           1073741824
    rdkafka.client.id                  klaxon-fluent-bit
    rdkafka.request.required.acks      -1
    rdkafka.log.connection.close       false
    rdkafka.message.timeout.ms         0
    rdkafka.queue.buffering.max.kbytes 65536
`;

describe('FluentBit', () => {
  test('renders fluent-bit.conf: tail with docker and CRI parsers and a DB, kubernetes filter with merge options, kafka output with brokers, topic logs, JSON and timestamp key', () => {
    // GIVEN
    const { chart, topic } = fixture('logs');
    // WHEN
    new FluentBit(chart, 'Logs', { topic });
    // THEN
    expect(oneOf(chart, 'ConfigMap').data['fluent-bit.conf']).toBe(EXPECTED_CONF);
  });

  test('may only get pods, the one API call its kubernetes filter makes', () => {
    const { chart, topic } = fixture('logs');
    new FluentBit(chart, 'Logs', { topic });
    expect(oneOf(chart, 'ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    expect(oneOf(chart, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: oneOf(chart, 'ServiceAccount').metadata.name, namespace: 'klaxon' }]);
  });

  test('runs on every node with /var/log read-only, its offsets DB on the node, every capability dropped and a hash of its configuration on the pod template', () => {
    const { chart, topic } = fixture('logs');
    const fb = new FluentBit(chart, 'Logs', { topic });
    const ds = oneOf(chart, 'DaemonSet');
    const pod = ds.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.volumes).toEqual([
      { name: 'config', configMap: { name: oneOf(chart, 'ConfigMap').metadata.name } },
      { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'state', hostPath: { path: '/var/lib/fluent-bit', type: 'DirectoryOrCreate' } },
    ]);
    expect(c.volumeMounts).toEqual([
      { name: 'config', mountPath: '/fluent-bit/etc/klaxon', readOnly: true },
      { name: 'varlog', mountPath: '/var/log', readOnly: true },
      { name: 'state', mountPath: '/var/lib/fluent-bit' },
    ]);
    expect(c.image).toBe('cr.fluentbit.io/fluent/fluent-bit:4.2.8');
    expect(c.command).toEqual(['/fluent-bit/bin/fluent-bit']);
    expect(c.args).toEqual(['--config', '/fluent-bit/etc/klaxon/fluent-bit.conf']);
    expect(c.securityContext).toEqual({ runAsNonRoot: false, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    expect(ds.spec.template.metadata.annotations['klaxon.io/config-hash']).toBe(configHash(fb.configuration(), fb.image.reference));
  });

  test('every prop reaches the manifest', () => {
    const { chart } = fixture('logs');
    const cluster = new ExternalCluster(chart, 'Ext', 'ext', '4.1.1', 'a:9092,b:9092');
    new FluentBit(chart, 'Logs', {
      topic: new ExternalTopic(chart, 'T', 'app-logs', cluster),
      listener: 'tls',
      image: ContainerImage.of('cr.fluentbit.io/fluent/fluent-bit', '5.1.1'),
      logPath: '/var/log/containers/shop-*.log',
      excludePaths: ['/var/log/containers/*_kube-system_*.log', '/var/log/containers/*_klaxon_*.log'],
      logFormats: ['cri'],
      memBufLimit: Size.mebibytes(20),
      refreshInterval: Duration.seconds(5),
      mergeLog: false,
      mergeLogKey: 'json',
      keepLog: false,
      podLabels: true,
      podAnnotations: true,
      k8sLoggingParser: true,
      k8sLoggingExclude: false,
      timestampKey: 'ts',
      timestampFormat: 'iso8601_ns',
      rdkafka: { 'compression.codec': 'zstd', 'request.required.acks': '1' },
      dbPath: '/var/lib/klaxon/tail.db',
      mountDockerContainers: true,
      flush: Duration.seconds(2),
      logLevel: 'warn',
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      priorityClassName: 'system-node-critical',
    });
    const conf: string = oneOf(chart, 'ConfigMap').data['fluent-bit.conf'];
    for (const line of [
      'flush                  2', 'log_level              warn',
      'tag              kube.*', 'path             /var/log/containers/shop-*.log',
      'exclude_path     /var/log/containers/*_kube-system_*.log,/var/log/containers/*_klaxon_*.log',
      'multiline.parser cri', 'db               /var/lib/klaxon/tail.db', 'mem_buf_limit    20971520', 'refresh_interval 5',
      'kube_tag_prefix     kube.var.log.containers.', 'merge_log           off', 'merge_log_key       json', 'keep_log            off',
      'labels              on', 'annotations         on', 'k8s-logging.parser  on', 'k8s-logging.exclude off',
      'brokers                       a:9093,b:9093', 'topics                        app-logs', 'timestamp_key                 ts',
      'timestamp_format              iso8601_ns', 'rdkafka.request.required.acks 1', 'rdkafka.compression.codec     zstd',
    ]) expect(squeeze(conf)).toContain(`\n ${squeeze(line)}\n`);
    const pod = oneOf(chart, 'DaemonSet').spec.template.spec;
    expect(pod.containers[0].image).toBe('cr.fluentbit.io/fluent/fluent-bit:5.1.1');
    expect(pod.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.priorityClassName).toBe('system-node-critical');
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(pod.volumes).toContainEqual({ name: 'state', hostPath: { path: '/var/lib/klaxon', type: 'DirectoryOrCreate' } });
    expect(pod.volumes).toContainEqual({ name: 'dockercontainers', hostPath: { path: '/var/lib/docker/containers', type: 'Directory' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'dockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true });
  });

  describe('validation', () => {
    test('fails if the log path is not absolute', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic, logPath: 'var/log/containers/*.log' }))).toBe(
        '\'logPath\' ("var/log/containers/*.log") of FluentBit \'Logs\' must be an absolute path (starting with \'/\').',
      );
    });

    test('fails if the log path has a wildcard in its directory', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic, logPath: '/var/log/pods/*/*/*.log' }))).toBe(
        '\'logPath\' ("/var/log/pods/*/*/*.log") of FluentBit \'Logs\' has a wildcard in its directory: the kubernetes filter reads pod, namespace and container from file names (<pod>_<namespace>_<container>-<id>.log) under one fixed directory, which becomes the tag prefix.',
      );
    });

    test('fails if an rdkafka property would carry a credential in clear', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic, rdkafka: { 'sasl.password': 'hunter2' } }))).toBe(
        '\'rdkafka\' ("sasl.password") of FluentBit \'Logs\' would put a credential in the Fluent Bit configuration in clear. Klaxon ships only to listeners without client credentials.',
      );
    });

    test('fails if an rdkafka property repeats what the topic object sets', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic, rdkafka: { 'bootstrap.servers': 'x:9092' } }))).toBe(
        '\'rdkafka\' ("bootstrap.servers") of FluentBit \'Logs\' is set from the topic object; remove it.',
      );
    });

    test('fails if a value would break a configuration line', () => {
      const { chart, topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic, timestampKey: 'ts\n[OUTPUT]' }))).toBe(
        '\'timestampKey\' ("ts\\n[OUTPUT]") of FluentBit \'Logs\' must be one line without leading/trailing spaces or \'${\' (Fluent Bit would read it differently).',
      );
    });

    test('fails if the cluster lists no brokers', () => {
      const { chart } = fixture('logs');
      const empty = new ExternalCluster(chart, 'Empty', 'empty', '4.1.1', '');
      expect(messageOf(() => new FluentBit(chart, 'Logs', { topic: new ExternalTopic(chart, 'T', 'logs', empty) }))).toBe(
        '\'bootstrapServers\' ("") of KafkaCluster \'empty\' lists no brokers, so FluentBit \'Logs\' has nowhere to write topic \'logs\'. Give the cluster a listener.',
      );
    });

    test('fails at synth if Fluent Bit and fluent-operator both ship to the same topic without saying so', () => {
      const { app, chart, topic } = fixture('logs');
      new FluentBit(chart, 'Logs', { topic });
      new FluentOperatorKafkaOutput(chart, 'Operator', { topic });
      expect(() => app.synth()).toThrow(
        '[test/Logs] \'allowDuplicateShipping\' (false) of FluentBit \'Logs\': FluentOperatorKafkaOutput \'Operator\' (test/Operator) also ships container logs to topic \'logs\' of cluster \'klaxon\', so every log line would arrive twice. Remove one, or set \'allowDuplicateShipping: true\' on both if that is what you want.',
      );
    });

    test('two shippers of one topic in different charts of the app are found too', () => {
      const { app, chart, topic } = fixture('logs');
      new FluentBit(chart, 'Logs', { topic, allowDuplicateShipping: true });
      const other = new Chart(app, 'logging', { namespace: 'logging' });
      new FluentBit(other, 'MoreLogs', { topic });
      expect(() => app.synth()).toThrow('[logging/MoreLogs] \'allowDuplicateShipping\' (false) of FluentBit \'MoreLogs\': FluentBit \'Logs\' (test/Logs) also ships');
    });

    test('duplicate shipping passes when both say allowDuplicateShipping', () => {
      const { app, chart, topic } = fixture('logs');
      new FluentBit(chart, 'Logs', { topic, allowDuplicateShipping: true });
      new FluentOperatorKafkaOutput(chart, 'Operator', { topic, allowDuplicateShipping: true });
      expect(() => app.synth()).not.toThrow();
    });

    test('fails if the chart has no namespace', () => {
      const { topic } = fixture('logs');
      expect(messageOf(() => new FluentBit(new Chart(Testing.app(), 'bare'), 'Logs', { topic }))).toBe(
        'FluentBit \'Logs\' needs a namespace for its ServiceAccount (the subject of its ClusterRoleBinding), but chart \'bare\' has none. Give the chart a \'namespace\'.',
      );
    });
  });
});
