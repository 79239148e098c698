import { ApiObject, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_HTTP_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS, RuntimeTuningEnv, WorkloadEnv } from '../../../functions/contracts/workload-env';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { ContainerImage } from '../../../constructs/images';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { CONFIG_HASH_ANNOTATION } from '../../../constructs/pod-support';
import { KafkaFunction, KafkaFunctionProps, renderedEnv } from '../../../constructs/workloads/kafka-function';
import { loadConfig } from '../../../functions/runtime/config';
import { loadKafkaSecurity } from '../../../functions/runtime/kafka-security';
import { formatProblem, validateObjects } from '../../schema/validator';
import { envOf, kafkaFixture, messageOf, namespacedChart, objectsOf, oneOf } from './helpers';

const CODE = FunctionCode.fromBundle('"use strict";console.log("audit");');

function audit(props: Partial<KafkaFunctionProps> = {}, namespace = 'klaxon') {
  const chart = namespacedChart(namespace);
  const kafka = kafkaFixture(chart);
  const fn = new KafkaFunction(chart, 'OrdersAudit', { code: CODE, ...kafka, ...props });
  return { chart, fn, ...kafka };
}

function podTemplate(chart: Chart): any {
  return oneOf(chart as any, 'Deployment').spec.template;
}

describe('KafkaFunction', () => {
  test('brokers, topics and group in the env come from the cluster, topic and group objects', () => {
    // GIVEN
    const { chart, fn, cluster, source, deadLetter, group } = audit();
    // WHEN
    const container = podTemplate(chart).spec.containers[0];
    // THEN
    expect(container.env).toEqual([
      { name: 'KAFKA_BROKERS', value: 'klaxon-kafka-bootstrap.klaxon.svc:9092' },
      { name: 'KAFKA_SOURCE_TOPIC', value: 'orders' },
      { name: 'KAFKA_GROUP_ID', value: 'orders-audit' },
      { name: 'KAFKA_DEAD_LETTER_TOPIC', value: 'orders.dead-letter' },
      { name: 'KAFKA_CLIENT_ID', value: 'orders-audit' },
      { name: 'HTTP_PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'KLAXON_SHUTDOWN_TIMEOUT_MS', value: '8000' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=128 --max-semi-space-size=2' },
    ]);
    expect(envOf(container)).toEqual({
      [WorkloadEnv.BROKERS]: cluster.bootstrapServers,
      [WorkloadEnv.SOURCE_TOPIC]: source.topicName,
      [WorkloadEnv.GROUP_ID]: group.groupId,
      [WorkloadEnv.DEAD_LETTER_TOPIC]: deadLetter.topicName,
      [WorkloadEnv.CLIENT_ID]: fn.workloadName,
      [WorkloadEnv.HTTP_PORT]: String(DEFAULT_HTTP_PORT),
      [WorkloadEnv.LOG_LEVEL]: 'info',
      [RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS]: String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
      NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=2',
    });
    expect(fn.env).toEqual(envOf(container));
    expect(fn.cluster).toBe(cluster);
  });

  test("V8's heap is capped at half the memory limit, unless env sets NODE_OPTIONS", () => {
    // GIVEN
    const chart = namespacedChart();
    const { source, deadLetter, group } = kafkaFixture(chart);
    const capped = new KafkaFunction(chart, 'Capped', {
      code: CODE, source, deadLetter, group, workloadName: 'capped',
      resources: { memory: { limit: Size.mebibytes(1024) } },
    });
    const own = new KafkaFunction(chart, 'Own', {
      code: CODE, source, deadLetter, group: new ConsumerGroup(chart, 'OwnGroup', { cluster: source.cluster, groupId: 'own' }), workloadName: 'own',
      env: { NODE_OPTIONS: '--max-old-space-size=300 --enable-source-maps' },
    });
    // THEN
    expect(capped.env.NODE_OPTIONS).toBe('--max-old-space-size=512 --max-semi-space-size=2');
    expect(own.env.NODE_OPTIONS).toBe('--max-old-space-size=300 --enable-source-maps');
  });

  test('the runtime, reading the env a pod gets, stops within a bound shorter than the grace period', () => {
    // GIVEN the default function, and one with both bounds set
    const defaults = audit().fn;
    const tuned = audit({ shutdownTimeout: Duration.seconds(25), terminationGracePeriod: Duration.seconds(40) }).fn;
    // WHEN the runtime reads their env
    const bounds = [defaults, tuned].map((fn) => loadConfig(renderedEnv(fn)).shutdownTimeoutMs);
    // THEN
    expect(bounds).toEqual([DEFAULT_SHUTDOWN_TIMEOUT_MS, 25_000]);
    expect(defaults.shutdownTimeout.toMilliseconds()).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
    expect(bounds[0]).toBeLessThan(defaults.terminationGracePeriod.toMilliseconds());
    expect(bounds[1]).toBeLessThan(tuned.terminationGracePeriod.toMilliseconds());
  });

  test('renderedEnv gives the env of a pod with test overrides such as the test broker', () => {
    // GIVEN
    const { fn } = audit();
    // WHEN
    const env = renderedEnv(fn, { [WorkloadEnv.BROKERS]: '127.0.0.1:39092' });
    // THEN
    expect(env).toEqual({ ...fn.env, KAFKA_BROKERS: '127.0.0.1:39092' });
    env.KAFKA_GROUP_ID = 'changed';
    expect(fn.env.KAFKA_GROUP_ID).toBe('orders-audit');
  });

  test('a function is a Deployment, a ServiceAccount without API token and a code ConfigMap, all labelled alike', () => {
    // GIVEN
    const { chart, fn } = audit();
    // WHEN
    const objects = Testing.synth(chart).filter((o: any) => !o.apiVersion.startsWith('kafka.strimzi.io'));
    // THEN
    expect(objects.map((o: any) => `${o.kind} ${o.metadata.name}`)).toEqual([
      `ServiceAccount ${fn.serviceAccount.name}`,
      `ConfigMap ${fn.codeConfigMap!.name}`,
      `Deployment ${fn.deployment.name}`,
    ]);
    const labels = {
      'app.kubernetes.io/name': 'orders-audit',
      'app.kubernetes.io/instance': fn.selectorLabels['app.kubernetes.io/instance'],
      'app.kubernetes.io/component': 'kafka-function',
      'app.kubernetes.io/part-of': 'klaxon',
    };
    for (const o of objects) expect(o.metadata.labels).toEqual(labels);
    for (const o of objects) expect(o.metadata.namespace).toBe('klaxon');
    expect(objects[0].automountServiceAccountToken).toBe(false);
    const deployment = objects[2];
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: fn.selectorLabels });
    expect(Object.keys(fn.selectorLabels)).toEqual(['app.kubernetes.io/name', 'app.kubernetes.io/instance']);
    expect(deployment.spec.template.metadata.labels).toEqual(labels);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(fn.serviceAccount.name);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['orders-audit']);
    expect(pod.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(ApiObject.of(fn)).toBe(fn.deployment);
  });

  test('pods meet Pod Security "restricted": non-root uid 10001, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp, writable /tmp', () => {
    // GIVEN
    const { chart } = audit();
    // WHEN
    const pod = podTemplate(chart).spec;
    // THEN
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    // uid, non-root and seccomp are pod-wide (above); each container adds the rest of "restricted".
    const restricted = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    expect(pod.containers[0].securityContext).toEqual(restricted);
    expect(pod.initContainers[0].securityContext).toEqual(restricted);
    expect(pod.containers[0].volumeMounts[0]).toEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes[0]).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
    expect(pod.volumes.every((v: any) => v.emptyDir || v.configMap)).toBe(true);
    expect(pod.hostNetwork ?? pod.hostPID ?? pod.hostIPC).toBeUndefined();
  });

  test('liveness probes /livez and readiness /readyz on the named http port, which Prometheus scrapes', () => {
    // GIVEN
    const { chart } = audit();
    // WHEN
    const template = podTemplate(chart);
    const container = template.spec.containers[0];
    // THEN
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe).toEqual({
      httpGet: { path: '/livez', port: 'http', scheme: 'HTTP' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(container.readinessProbe).toEqual({
      httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(template.metadata.annotations).toEqual({
      [CONFIG_HASH_ANNOTATION]: expect.stringMatching(/^[0-9a-f]{64}$/),
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  test('resources default to a small consumer: requests 50m/96Mi, limits 500m/256Mi, for the function and the unpacking', () => {
    // GIVEN
    const { chart } = audit();
    // WHEN
    const pod = podTemplate(chart).spec;
    // THEN
    const resources = { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
    expect(pod.containers[0].resources).toEqual(resources);
    expect(pod.initContainers[0].resources).toEqual(resources);
  });

  test('every prop reaches the manifest', () => {
    // GIVEN
    const { chart, fn } = audit({
      workloadName: 'audit',
      clientId: 'audit-eu1',
      replicas: 3,
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { limit: Size.mebibytes(512) }, ephemeralStorage: { limit: Size.gibibytes(1) } },
      env: { AUDIT_MODE: 'strict', TZ: 'UTC' },
      logLevel: 'debug',
      terminationGracePeriod: Duration.seconds(45),
      shutdownTimeout: Duration.seconds(20),
      metricsService: true,
    });
    // WHEN
    const deployment = oneOf(chart, 'Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    // THEN
    expect(deployment.spec.replicas).toBe(3);
    expect(container.name).toBe('audit');
    expect(deployment.metadata.labels['app.kubernetes.io/name']).toBe('audit');
    expect(envOf(container)).toEqual({
      KAFKA_BROKERS: 'klaxon-kafka-bootstrap.klaxon.svc:9092',
      KAFKA_SOURCE_TOPIC: 'orders',
      KAFKA_GROUP_ID: 'orders-audit',
      KAFKA_DEAD_LETTER_TOPIC: 'orders.dead-letter',
      KAFKA_CLIENT_ID: 'audit-eu1',
      HTTP_PORT: '8080',
      LOG_LEVEL: 'debug',
      NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=2',
      KLAXON_SHUTDOWN_TIMEOUT_MS: '20000',
      AUDIT_MODE: 'strict',
      TZ: 'UTC',
    });
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '96Mi' },
      limits: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
    });
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    const service = oneOf(chart, 'Service');
    expect(service.metadata.name).toBe(fn.service!.name);
    expect(service.spec).toEqual({
      type: 'ClusterIP',
      selector: fn.selectorLabels,
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  test('env added after construction reaches the manifest and the content hash', () => {
    // GIVEN
    const { chart, fn } = audit();
    const before = fn.contentHash;
    // WHEN
    fn.addEnv('REGION', 'eu-1');
    let late = 'a';
    fn.addEnv('LATE', () => late);
    late = 'b';
    // THEN
    const template = podTemplate(chart);
    expect(envOf(template.spec.containers[0])).toMatchObject({ REGION: 'eu-1', LATE: 'b' });
    expect(template.metadata.annotations[CONFIG_HASH_ANNOTATION]).toBe(fn.contentHash);
    expect(fn.contentHash).not.toBe(before);
  });

  test('the content hash changes when the bundle changes, and only when the code or the rendered config changes', () => {
    // GIVEN
    const hashOf = (code: FunctionCode, props: Partial<KafkaFunctionProps> = {}) =>
      podTemplate(audit({ code, ...props }).chart).metadata.annotations[CONFIG_HASH_ANNOTATION];
    const v1 = FunctionCode.fromBundle('console.log(1)');
    // WHEN
    const base = hashOf(v1);
    // THEN
    expect(hashOf(FunctionCode.fromBundle('console.log(1)'))).toBe(base);
    expect(hashOf(v1, { replicas: 4, terminationGracePeriod: Duration.minutes(1) })).toBe(base);
    expect(hashOf(FunctionCode.fromBundle('console.log(2)'))).not.toBe(base);
    expect(hashOf(v1, { logLevel: 'warn' })).not.toBe(base);
    expect(hashOf(v1, { env: { X: '1' } })).not.toBe(base);
    expect(hashOf(FunctionCode.fromImage(ContainerImage.of('example/audit', '1.0.0')))).not.toBe(hashOf(FunctionCode.fromImage(ContainerImage.of('example/audit', '1.0.1'))));
  });

  test('a scaler takes over the replica count: replicas is omitted from the Deployment', () => {
    // GIVEN
    const { chart, fn } = audit({ replicas: 2 });
    const scaler = new Construct(chart, 'LagScaler');
    // WHEN
    fn.scaleExternally(scaler);
    fn.scaleExternally(scaler);
    // THEN
    expect(oneOf(chart, 'Deployment').spec.replicas).toBeUndefined();
    expect('replicas' in oneOf(chart, 'Deployment').spec).toBe(false);
    expect(fn.replicas).toBeUndefined();
    expect(fn.scaler).toBe(scaler);
  });

  test('fails if a second scaler is attached', () => {
    const { chart, fn } = audit();
    fn.scaleExternally(new Construct(chart, 'LagScaler'));
    expect(messageOf(() => fn.scaleExternally(new Construct(chart, 'CpuScaler')))).toBe(
      "KafkaFunction 'orders-audit' is already scaled by 'test/LagScaler'; two autoscalers would fight over 'replicas'. Attach one scaler.",
    );
  });

  test('a user gets exactly Read on the source in the group and Write on the dead-letter topic', () => {
    // GIVEN
    const { fn, cluster } = audit();
    const user = new KafkaUser(cluster, 'User', { userName: 'orders-audit', authentication: 'scram-sha-512' });
    // WHEN
    fn.grantTo(user);
    // THEN
    expect(user.aclRules).toEqual([
      { resourceType: 'topic', name: 'orders', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'group', name: 'orders-audit', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'topic', name: 'orders.dead-letter', patternType: 'literal', operations: ['Write', 'Describe'] },
    ]);
  });

  test('every object validates against the Kubernetes 1.27 schema', () => {
    const { chart } = audit({ metricsService: true, resources: { ephemeralStorage: { request: Size.mebibytes(100) } } });
    expect(validateObjects(Testing.synth(chart)).map(formatProblem)).toEqual([]);
  });

  describe('validation', () => {
    test('fails if the grace period does not exceed the runtime shutdown bound (8 s unless shutdownTimeout says otherwise)', () => {
      expect(messageOf(() => audit({ terminationGracePeriod: Duration.seconds(8) }))).toBe(
        "'terminationGracePeriod' (\"8 seconds\") of KafkaFunction 'orders-audit' must exceed 'shutdownTimeout' (8 seconds), the runtime's bound on a graceful stop, " +
        "or Kubernetes kills the pod before it leaves the group and commits its offsets. Use at least 9 seconds or lower 'shutdownTimeout'.",
      );
      expect(messageOf(() => audit({ shutdownTimeout: Duration.seconds(30) }))).toBe(
        "'terminationGracePeriod' (\"30 seconds\") of KafkaFunction 'orders-audit' must exceed 'shutdownTimeout' (30 seconds), the runtime's bound on a graceful stop, " +
        "or Kubernetes kills the pod before it leaves the group and commits its offsets. Use at least 31 seconds or lower 'shutdownTimeout'.",
      );
      expect(audit({ terminationGracePeriod: Duration.seconds(9) }).fn.terminationGracePeriod.toSeconds()).toBe(9);
    });

    test('fails if the shutdown bound is outside what the runtime accepts', () => {
      expect(messageOf(() => audit({ shutdownTimeout: Duration.minutes(11), terminationGracePeriod: Duration.minutes(12) }))).toBe(
        "'shutdownTimeout' (\"11 minutes\") of KafkaFunction 'orders-audit' must be whole milliseconds from 100 ms to 10 minutes, the range of KLAXON_SHUTDOWN_TIMEOUT_MS the runtime accepts.",
      );
    });

    test('fails if extra env sets the shutdown bound (set shutdownTimeout, which is checked against the grace period)', () => {
      expect(messageOf(() => audit({ env: { KLAXON_SHUTDOWN_TIMEOUT_MS: '60000' } }))).toBe(
        "'env' (\"KLAXON_SHUTDOWN_TIMEOUT_MS\") of KafkaFunction 'orders-audit' is rendered from the function's cluster, topics and props; set it through them, not as extra env.",
      );
    });

    test('fails if the grace period is not whole seconds', () => {
      expect(messageOf(() => audit({ terminationGracePeriod: Duration.millis(12500) }))).toBe(
        "'terminationGracePeriod' (\"12 seconds 500 millis\") of KafkaFunction 'orders-audit' must be a whole number of seconds (terminationGracePeriodSeconds).",
      );
    });

    test('fails if the cluster serves workloads on a listener that authenticates and no user is given', () => {
      const { chart, source, group, deadLetter } = securedFixture();
      expect(messageOf(() => new KafkaFunction(chart, 'Audit', { code: CODE, source, group, deadLetter }))).toBe(
        "'user' (undefined) of KafkaFunction 'audit' must be set: 'workloadListener' (\"secure\") of KafkaCluster 'klaxon' needs scram-sha-512 authentication. " +
        "Give a KafkaUser with authentication 'scram-sha-512' (its grants are the workload's ACLs).",
      );
    });

    test('fails if the dead-letter topic is the source topic', () => {
      const chart = namespacedChart();
      const { source, group } = kafkaFixture(chart);
      expect(messageOf(() => new KafkaFunction(chart, 'Audit', { code: CODE, source, group, deadLetter: source }))).toBe(
        "'deadLetter' (\"orders\") of KafkaFunction 'audit' is the source topic; a record that fails would be consumed and fail again forever. Use a dedicated dead-letter topic (KlaxonTopics.deadLetter).",
      );
    });

    test('fails if a topic or the group belongs to another cluster', () => {
      const chart = namespacedChart();
      const a = kafkaFixture(chart, 'alpha');
      const b = kafkaFixture(chart, 'beta');
      expect(messageOf(() => new KafkaFunction(chart, 'Audit', { code: CODE, ...a, deadLetter: b.deadLetter }))).toBe(
        "'deadLetter' (topic 'orders.dead-letter') of KafkaFunction 'audit' belongs to cluster 'beta', not to the function's cluster 'alpha'; a function reads, commits and dead-letters on one cluster. Pass objects of the same KafkaCluster.",
      );
      expect(messageOf(() => new KafkaFunction(chart, 'Audit2', { code: CODE, ...a, group: b.group }))).toBe(
        "'group' (group 'orders-audit') of KafkaFunction 'audit2' belongs to cluster 'beta', not to the function's cluster 'alpha'; a function reads, commits and dead-letters on one cluster. Pass objects of the same KafkaCluster.",
      );
      expect(messageOf(() => new KafkaFunction(chart, 'Audit3', { code: CODE, ...a, cluster: b.cluster }))).toBe(
        "'source' (topic 'orders') of KafkaFunction 'audit3' belongs to cluster 'alpha', not to the function's cluster 'beta'; a function reads, commits and dead-letters on one cluster. Pass objects of the same KafkaCluster.",
      );
    });

    test('fails if extra env sets a key rendered from the wiring', () => {
      expect(messageOf(() => audit({ env: { KAFKA_BROKERS: 'localhost:9092' } }))).toBe(
        "'env' (\"KAFKA_BROKERS\") of KafkaFunction 'orders-audit' is rendered from the function's cluster, topics and props; set it through them, not as extra env.",
      );
    });

    test('fails if an env variable is set twice', () => {
      const { fn } = audit({ env: { TZ: 'UTC' } });
      expect(messageOf(() => fn.addEnv('TZ', 'CET'))).toBe("'env' (\"TZ\") of KafkaFunction 'orders-audit' is already set; each variable is set once.");
    });

    test('fails if an env name is not a variable name', () => {
      expect(messageOf(() => audit({ env: { '1X': 'y' } }))).toBe(
        "'env' (\"1X\") of KafkaFunction 'orders-audit' is not an environment variable name (letters, digits and '_', not starting with a digit).",
      );
    });

    test('fails if replicas is negative', () => {
      expect(messageOf(() => audit({ replicas: -1 }))).toBe("'replicas' (-1) of KafkaFunction 'orders-audit' must be at least 0.");
    });

    test('fails if replicas exceed the partitions of the source topic', () => {
      expect(messageOf(() => audit({ replicas: 7 }))).toBe(
        "'replicas' (7) of KafkaFunction 'orders-audit' exceeds the partitions of topic 'orders' (6); the extra consumers would sit idle. Lower 'replicas' or raise the topic's 'partitions'.",
      );
    });

    test('fails if the log level is unknown', () => {
      expect(messageOf(() => audit({ logLevel: 'trace' as never }))).toBe(
        "'logLevel' (\"trace\") of KafkaFunction 'orders-audit' must be one of 'debug', 'info', 'warn', 'error'.",
      );
    });

    test('fails if a request exceeds its limit', () => {
      expect(messageOf(() => audit({ resources: { cpu: { request: kplus.Cpu.units(1) } } }))).toBe(
        "'resources.cpu.request' (\"1\") of KafkaFunction 'orders-audit' exceeds 'resources.cpu.limit' (\"500m\"); Kubernetes rejects such a pod. Lower the request or raise the limit.",
      );
      expect(messageOf(() => audit({ resources: { memory: { request: Size.mebibytes(300) } } }))).toBe(
        "'resources.memory.request' (\"300Mi\") of KafkaFunction 'orders-audit' exceeds 'resources.memory.limit' (\"256Mi\"); Kubernetes rejects such a pod. Lower the request or raise the limit.",
      );
    });

    test('fails if the workload name is not a DNS label', () => {
      expect(messageOf(() => audit({ workloadName: 'Orders_Audit' }))).toBe(
        "'workloadName' (\"Orders_Audit\") of KafkaFunction must be a DNS label: 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit.",
      );
    });

    test('fails if the client id is blank', () => {
      expect(messageOf(() => audit({ clientId: ' ' }))).toBe("'clientId' (\" \") of KafkaFunction 'orders-audit' must not be empty.");
    });

    test('fails if a user of another cluster is granted', () => {
      const chart = namespacedChart();
      const a = kafkaFixture(chart, 'alpha');
      const b = kafkaFixture(chart, 'beta');
      const fn = new KafkaFunction(chart, 'Audit', { code: CODE, ...a });
      const user = new KafkaUser(b.cluster, 'User', { userName: 'audit' });
      expect(messageOf(() => fn.grantTo(user))).toBe(
        "'user' (\"audit\") belongs to cluster 'beta' but KafkaFunction 'audit' to cluster 'alpha'; grant only within one cluster.",
      );
    });
  });

  test('a chart without a namespace renders brokers without one', () => {
    const chart = Testing.chart();
    const kafka = kafkaFixture(chart);
    const fn = new KafkaFunction(chart, 'Audit', { code: CODE, ...kafka });
    expect(fn.env.KAFKA_BROKERS).toBe('klaxon-kafka-bootstrap:9092');
    expect(objectsOf(chart, 'Deployment')[0].metadata.namespace).toBeUndefined();
  });

  describe('on a listener with TLS and SCRAM', () => {
    test('the pod gets the security env, the password from the user Secret, the cluster CA mounted, and the user its grants', () => {
      // GIVEN a cluster whose workloads connect over TLS with scram-sha-512, and a user for the function
      const { chart, cluster, source, group, deadLetter } = securedFixture();
      const user = new KafkaUser(cluster, 'AuditUser', { userName: 'audit' });
      // WHEN
      new KafkaFunction(chart, 'Audit', { code: CODE, source, group, deadLetter, user });
      // THEN
      const pod = podTemplate(chart).spec;
      const container = pod.containers[0];
      expect(container.env.filter((e: any) => e.name.startsWith('KAFKA_S'))).toEqual([
        { name: 'KAFKA_SOURCE_TOPIC', value: 'orders' },
        { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_SSL' },
        { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
        { name: 'KAFKA_SASL_USERNAME', value: 'audit' },
        { name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/klaxon/kafka/sasl/password' },
        { name: 'KAFKA_SSL_CA_FILE', value: '/etc/klaxon/kafka/cluster-ca/ca.crt' },
      ]);
      expect(pod.volumes).toContainEqual({ name: 'kafka-sasl', secret: { secretName: 'audit', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } });
      expect(container.env.find((e: any) => e.name === 'KAFKA_BROKERS').value).toBe('klaxon-kafka-bootstrap.klaxon.svc:9094');
      expect(container.volumeMounts).toContainEqual({ name: 'kafka-cluster-ca', mountPath: '/etc/klaxon/kafka/cluster-ca', readOnly: true });
      expect(pod.volumes).toContainEqual({ name: 'kafka-cluster-ca', secret: { secretName: 'klaxon-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
      expect(user.aclRules.map((r) => `${r.resourceType}:${r.name}:${r.operations.join('+')}`)).toEqual([
        'topic:orders:Read+Describe', 'group:orders-audit:Read+Describe', 'topic:orders.dead-letter:Write+Describe',
      ]);
      expect(validateObjects(Testing.synth(chart)).map(formatProblem)).toEqual([]);
    });

    test('the runtime accepts the rendered security env (the password given as the Secret would)', () => {
      const { chart, cluster, source, group, deadLetter } = securedFixture();
      const user = new KafkaUser(cluster, 'AuditUser', { userName: 'audit' });
      const fn = new KafkaFunction(chart, 'Audit', { code: CODE, source, group, deadLetter, user });
      const env = renderedEnv(fn, { KAFKA_SASL_PASSWORD: 'from-the-secret' });
      expect(env).toMatchObject({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'audit', KAFKA_SSL_CA_FILE: '/etc/klaxon/kafka/cluster-ca/ca.crt' });
      expect(loadKafkaSecurity(env, () => Buffer.from('CA'))).toEqual({
        ssl: { ca: [Buffer.from('CA')] },
        sasl: { mechanism: 'scram-sha-512', username: 'audit', password: 'from-the-secret' },
      });
    });

    test('the pod template hash changes when the credentials do', () => {
      const hashWith = (userName: string): string => {
        const { chart, cluster, source, group, deadLetter } = securedFixture();
        const user = new KafkaUser(cluster, 'AuditUser', { userName });
        return new KafkaFunction(chart, 'Audit', { code: CODE, source, group, deadLetter, user }).contentHash;
      };
      expect(hashWith('audit')).not.toBe(hashWith('audit-two'));
    });
  });

  describe('env from Secrets', () => {
    test('addSecretEnv mounts the Secret key as a file named by <NAME>_FILE, never the value, and the reference rolls the pods', () => {
      // GIVEN
      const secretHash = (key: string): { hash: string; env: any[]; volumes: any[]; mounts: any[] } => {
        const { chart, fn } = audit();
        fn.addSecretEnv('WEBHOOK_TOKEN', { secret: kplus.Secret.fromSecretName(chart, 'Token', 'audit-webhook'), key });
        const pod = podTemplate(chart).spec;
        return { hash: fn.contentHash, env: pod.containers[0].env, volumes: pod.volumes, mounts: pod.containers[0].volumeMounts } as any;
      };
      // WHEN
      const a = secretHash('token');
      const b = secretHash('token-v2');
      // THEN
      expect(a.env).toContainEqual({ name: 'WEBHOOK_TOKEN_FILE', value: '/etc/klaxon/secrets/secret-webhook-token/value' });
      expect(a.env.find((e: any) => e.name === 'WEBHOOK_TOKEN')).toBeUndefined();
      expect(a.volumes).toContainEqual({ name: 'secret-webhook-token', secret: { secretName: 'audit-webhook', items: [{ key: 'token', path: 'value' }], defaultMode: 0o440 } });
      expect(a.mounts).toContainEqual({ name: 'secret-webhook-token', mountPath: '/etc/klaxon/secrets/secret-webhook-token', readOnly: true });
      expect(a.hash).not.toBe(b.hash);
    });

    test('fails if a Secret-backed variable takes a name already set', () => {
      const { chart, fn } = audit({ env: { WEBHOOK_TOKEN: 'plain' } });
      expect(messageOf(() => fn.addSecretEnv('WEBHOOK_TOKEN', { secret: kplus.Secret.fromSecretName(chart, 'Token', 'audit-webhook'), key: 'token' }))).toBe(
        "'env' (\"WEBHOOK_TOKEN\") of KafkaFunction 'orders-audit' is already set; each variable is set once.",
      );
    });

    test('fails if the Secret reference has no key', () => {
      const { chart, fn } = audit();
      expect(messageOf(() => fn.addSecretEnv('WEBHOOK_TOKEN', { secret: kplus.Secret.fromSecretName(chart, 'Token', 'audit-webhook'), key: '' }))).toBe(
        "'env.WEBHOOK_TOKEN' (\"\") of KafkaFunction 'orders-audit' needs a Secret reference ({ secret, key }) with a non-empty key.",
      );
    });
  });
});


/** A cluster whose workload listener is TLS with scram-sha-512, and the function's topics and group. */
function securedFixture() {
  const chart = namespacedChart();
  const cluster = new KafkaCluster(chart, 'Kafka', {
    listeners: [{ name: 'plain', port: 9092 }, { name: 'secure', port: 9094, tls: true, authentication: 'scram-sha-512' }],
    workloadListener: 'secure',
  });
  const source = new KafkaTopic(cluster, 'Source', { topicName: 'orders', partitions: 1 });
  const deadLetter = new KafkaTopic(cluster, 'DeadLetter', { topicName: 'orders.dead-letter', partitions: 1 });
  const group = new ConsumerGroup(cluster, 'Group', { groupId: 'orders-audit' });
  return { chart, cluster, source, group, deadLetter };
}
