import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ContainerImage } from '../../../constructs/images';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { configHash } from '../../../constructs/pod-support';
import {
  Eventrouter,
  EVENTROUTER_CONFIG_DIR,
  EVENTROUTER_SASL_SCRIPT,
  EVENTROUTER_TEMPLATE_DIR,
  EventrouterImage,
} from '../../../constructs/sources/eventrouter';
import { ExternalCluster, ExternalTopic, fixture, messageOf, oneOf, secretWith, stringsOutsideSecrets } from './support';

const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('Eventrouter', () => {
  test('renders config.json with the keys eventrouter reads: brokers as a JSON array, topic from the topic object, and the misspelt async key', () => {
    // GIVEN
    const { chart, topic } = fixture();
    // WHEN
    new Eventrouter(chart, 'Events', { topic });
    // THEN
    const cm = oneOf(chart, 'ConfigMap');
    expect(JSON.parse(cm.data['config.json'])).toEqual({
      'sink': 'kafka',
      'kafkaBrokers': ['klaxon-kafka-bootstrap.klaxon.svc:9092'],
      'kafkaTopic': 'cluster-events',
      'kafkaRetryMax': 5,
      'kakfkaAsync': false,
      'enable-prometheus': true,
    });
    expect(cm.data['config.json']).not.toContain('kafkaAsync"');
  });

  test('every broker of the cluster reaches kafkaBrokers as its own array item', () => {
    const { chart } = fixture();
    const cluster = new ExternalCluster(chart, 'Ext', 'ext', '4.1.1', 'a.kafka.svc:9092, b.kafka.svc:9092,c.kafka.svc:9092');
    new Eventrouter(chart, 'Events', { topic: new ExternalTopic(chart, 'T', 'events', cluster) });
    const config = JSON.parse(oneOf(chart, 'ConfigMap').data['config.json']);
    expect(config.kafkaBrokers).toEqual(['a.kafka.svc:9092', 'b.kafka.svc:9092', 'c.kafka.svc:9092']);
    expect(config.kafkaTopic).toBe('events');
  });

  test('reads Events cluster-wide with list and watch only, bound to its own ServiceAccount', () => {
    const { chart, topic } = fixture();
    new Eventrouter(chart, 'Events', { topic });
    const role = oneOf(chart, 'ClusterRole');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] }]);
    const binding = oneOf(chart, 'ClusterRoleBinding');
    const sa = oneOf(chart, 'ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'klaxon' }]);
  });

  test('runs one restricted replica of the pinned image with the ConfigMap at /etc/eventrouter and a /metrics liveness probe', () => {
    const { chart, topic } = fixture();
    new Eventrouter(chart, 'Events', { topic });
    const deployment = oneOf(chart, 'Deployment');
    const spec = deployment.spec.template.spec;
    const container = spec.containers[0];
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    expect(container.image).toBe('quay.io/openshift/logging-eventrouter:v0.5.0');
    expect(container.livenessProbe.httpGet).toEqual({ path: '/metrics', port: 'metrics' });
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 8080 }]);
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/eventrouter', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'config', configMap: { name: oneOf(chart, 'ConfigMap').metadata.name } });
    expect(spec.serviceAccountName).toBe(oneOf(chart, 'ServiceAccount').metadata.name);
    expect(spec.initContainers).toBeUndefined();
  });

  test('every prop reaches the manifest, and the pod template carries the hash of config.json', () => {
    const { chart, cluster } = fixture();
    const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy-kafka:9092');
    const image = EventrouterImage.custom(ContainerImage.of('registry.example.com/eventrouter', 'v9', DIGEST), {
      kafkaClient: { library: 'IBM/sarama v1.46.3', protocol: 'kafka4-compatible' },
      supportsSasl: false,
    });
    void cluster;
    const er = new Eventrouter(chart, 'Events', {
      topic: new ExternalTopic(chart, 'T', 'k8s-events', old),
      image,
      retryMax: 9,
      async: true,
      resources: { cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) }, memory: { request: Size.mebibytes(32), limit: Size.mebibytes(96) } },
    });
    const config = JSON.parse(oneOf(chart, 'ConfigMap').data['config.json']);
    expect(config).toMatchObject({ kafkaBrokers: ['legacy-kafka:9092'], kafkaTopic: 'k8s-events', kafkaRetryMax: 9, kakfkaAsync: true });
    const template = oneOf(chart, 'Deployment').spec.template;
    expect(template.spec.containers[0].image).toBe(`registry.example.com/eventrouter:v9@${DIGEST}`);
    expect(template.spec.containers[0].resources).toEqual({ requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '200m', memory: '96Mi' } });
    expect(template.metadata.annotations['klaxon.io/config-hash']).toBe(configHash(er.configJson(), image.reference));
  });

  test('takes SASL credentials only from a Secret: an init container appends them to config.json in a memory volume', () => {
    // GIVEN a Kafka 3.x cluster (heptio's sarama cannot write to Kafka 4) and a Secret
    const { chart } = fixture();
    const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy-kafka:9092');
    const secret = secretWith(chart, 'Creds', { user: 'events-writer', password: 'pa"ss\\word-s3cr3t' });
    // WHEN
    new Eventrouter(chart, 'Events', {
      topic: new ExternalTopic(chart, 'T', 'events', old),
      image: EventrouterImage.HEPTIO_V0_3,
      sasl: { username: { secret, key: 'user' }, password: { secret, key: 'password' } },
    });
    // THEN
    const spec = oneOf(chart, 'Deployment').spec.template.spec;
    const init = spec.initContainers[0];
    expect(init.env).toEqual([
      { name: 'EVENTROUTER_SASL_USER', valueFrom: { secretKeyRef: { name: secret.name, key: 'user' } } },
      { name: 'EVENTROUTER_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: secret.name, key: 'password' } } },
    ]);
    expect(init.volumeMounts).toEqual([
      { name: 'config', mountPath: '/etc/eventrouter-template', readOnly: true },
      { name: 'rendered-config', mountPath: '/etc/eventrouter' },
    ]);
    expect(spec.volumes).toContainEqual({ name: 'rendered-config', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'rendered-config', mountPath: '/etc/eventrouter', readOnly: true });
    expect(oneOf(chart, 'Deployment').spec.template.spec.containers[0].image).toBe('gcr.io/heptio-images/eventrouter:v0.3');
    const strings = stringsOutsideSecrets(chart);
    expect(strings.filter((s) => s.includes('s3cr3t') || s.includes('events-writer'))).toEqual([]);
  });

  test('the SASL init script writes valid JSON with the keys eventrouter reads, even for a password with quotes and backslashes', () => {
    // GIVEN the rendered config.json and the script, run by a real shell on this machine
    const { chart } = fixture();
    const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy-kafka:9092');
    const er = new Eventrouter(chart, 'Events', { topic: new ExternalTopic(chart, 'T', 'events', old), image: EventrouterImage.HEPTIO_V0_3 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventrouter-sasl-'));
    fs.mkdirSync(path.join(dir, 'template'));
    fs.mkdirSync(path.join(dir, 'out'));
    fs.writeFileSync(path.join(dir, 'template', 'config.json'), er.configJson());
    const script = EVENTROUTER_SASL_SCRIPT.split(EVENTROUTER_TEMPLATE_DIR).join(path.join(dir, 'template'))
      .split(EVENTROUTER_CONFIG_DIR).join(path.join(dir, 'out'));
    // WHEN
    execFileSync('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH, EVENTROUTER_SASL_USER: 'us"er', EVENTROUTER_SASL_PASSWORD: 'p\\a"ss&w$rd' } });
    // THEN
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'config.json'), 'utf8'));
    expect(config).toEqual({ ...JSON.parse(er.configJson()), kafkaSaslUser: 'us"er', kafkaSaslPwd: 'p\\a"ss&w$rd' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the SASL init script refuses credentials with control characters instead of writing broken JSON', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventrouter-sasl-'));
    const script = EVENTROUTER_SASL_SCRIPT.split(EVENTROUTER_TEMPLATE_DIR).join(dir).split(EVENTROUTER_CONFIG_DIR).join(dir);
    expect(() => execFileSync('/bin/sh', ['-c', script], {
      env: { PATH: process.env.PATH, EVENTROUTER_SASL_USER: 'user', EVENTROUTER_SASL_PASSWORD: 'two\nlines' },
      stdio: 'pipe',
    })).toThrow(/eventrouter SASL credentials must not contain control characters/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails if the image speaks the Kafka 0.8.2 protocol and the cluster runs Kafka 4', () => {
    const { chart, topic } = fixture();
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic, image: EventrouterImage.HEPTIO_V0_3 }))).toBe(
      '\'image\' ("gcr.io/heptio-images/eventrouter:v0.3") of Eventrouter \'Events\' cannot write to Kafka 4.1.1 of cluster \'klaxon\': '
      + 'it ships Shopify/sarama v1.23.1, which never sets sarama\'s protocol version and so sends Produce v0, which Kafka 4 removed (KIP-896); '
      + 'the broker closes the connection and every event is lost. Ways out: '
      + '(1) use EventrouterImage.OPENSHIFT_V0_5_0 (IBM/sarama v1.46.3, no SASL) or another build whose sarama sets a protocol version, declared with '
      + 'EventrouterImage.custom(image, { kafkaClient: { library, protocol: \'kafka4-compatible\' }, supportsSasl }); '
      + '(2) write to a cluster that runs Kafka 3.x.',
    );
  });

  test('a legacy image is accepted for a Kafka 3.x cluster', () => {
    const { chart } = fixture();
    const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy-kafka:9092');
    expect(() => new Eventrouter(chart, 'Events', { topic: new ExternalTopic(chart, 'T', 'events', old), image: EventrouterImage.HEPTIO_V0_3 })).not.toThrow();
  });

  test('fails if the cluster serves clients on a TLS listener, which eventrouter cannot use', () => {
    // GIVEN a cluster whose workloads' listener is the TLS one
    const chart = new Chart(Testing.app(), 'tls', { namespace: 'klaxon' });
    const cluster = new KafkaCluster(chart, 'Kafka', { workloadListener: 'tls' });
    const topic = new KafkaTopic(cluster, 'Events', { topicName: 'cluster-events', partitions: 1 });
    // THEN
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic }))).toBe(
      "'workloadListener' (\"tls\") of KafkaCluster 'klaxon' needs TLS, which Eventrouter 'Events' cannot give: eventrouter's Kafka sink has no TLS settings, " +
      "and its only SASL mechanism (PLAIN, heptiolabs builds) is one Strimzi listeners do not offer. Point 'workloadListener' at a listener with 'tls: false' and authentication 'none' (the default 'plain').",
    );
  });

  test('fails if SASL is asked of an image whose Kafka sink has none', () => {
    const { chart, topic } = fixture();
    const secret = secretWith(chart, 'Creds', { user: 'u', password: 'p' });
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic, sasl: { username: { secret, key: 'user' }, password: { secret, key: 'password' } } }))).toBe(
      '\'sasl\' ("set") of Eventrouter \'Events\' cannot be honoured: image "quay.io/openshift/logging-eventrouter:v0.5.0" has a Kafka sink without SASL '
      + '(openshift/eventrouter dropped kafkaSaslUser/kafkaSaslPwd). Remove \'sasl\' and use a listener without authentication, or use KubeEventer with a Kafka sink.',
    );
  });

  test('fails if the cluster lists no brokers', () => {
    const { chart } = fixture();
    const empty = new ExternalCluster(chart, 'Empty', 'empty', '4.1.1', '');
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic: new ExternalTopic(chart, 'T', 'events', empty) }))).toBe(
      '\'bootstrapServers\' ("") of KafkaCluster \'empty\' lists no brokers, so Eventrouter \'Events\' has nowhere to write topic \'events\'. Give the cluster a listener.',
    );
  });

  test('fails if retryMax is negative', () => {
    const { chart, topic } = fixture();
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic, retryMax: -1 }))).toBe('\'retryMax\' (-1) of Eventrouter \'Events\' must be at least 0.');
  });

  test('fails if the chart has no namespace for the ClusterRoleBinding subject', () => {
    const { topic } = fixture();
    const chart = new Chart(Testing.app(), 'bare');
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic }))).toBe(
      'Eventrouter \'Events\' needs a namespace for its ServiceAccount (the subject of its ClusterRoleBinding), but chart \'bare\' has none. Give the chart a \'namespace\'.',
    );
  });
});
