import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { httpProbe, quantity, renderResources, resolveResources } from '../../constructs/pod-support';
import { Eventrouter } from '../../constructs/sources/eventrouter';
import { fixture, messageOf, oneOf } from './sources/support';

const DEFAULTS: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(50) },
  memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
};

describe('pod support', () => {
  test('given resources override the defaults field by field', () => {
    // WHEN
    const resolved = resolveResources({ cpu: { limit: kplus.Cpu.millis(200) }, memory: { limit: Size.gibibytes(1) } }, DEFAULTS, 'X');
    // THEN
    const r = renderResources(resolved);
    expect([r.requests?.cpu.value, r.requests?.memory.value, r.limits?.cpu.value, r.limits?.memory.value]).toEqual(['50m', '64Mi', '200m', '1Gi']);
  });

  test('quantities use the largest binary unit that keeps the size whole', () => {
    expect([Size.gibibytes(2), Size.mebibytes(1536), Size.kibibytes(3), Size.tebibytes(1)].map(quantity)).toEqual(['2Gi', '1536Mi', '3Ki', '1Ti']);
  });

  test('fails if a CPU request exceeds its limit', () => {
    expect(messageOf(() => resolveResources({ cpu: { request: kplus.Cpu.units(1), limit: kplus.Cpu.millis(500) } }, DEFAULTS, "Eventrouter 'E'"))).toBe(
      "'resources.cpu.request' (\"1\") of Eventrouter 'E' exceeds 'resources.cpu.limit' (\"500m\"); Kubernetes rejects such a pod. Lower the request or raise the limit.",
    );
  });

  test('fails if a memory request exceeds its limit, also when the limit is the default', () => {
    // GIVEN a chart with a topic
    const { chart, topic } = fixture();
    // THEN
    expect(messageOf(() => new Eventrouter(chart, 'Events', { topic, resources: { memory: { request: Size.mebibytes(256) } } }))).toBe(
      "'resources.memory.request' (\"256Mi\") of Eventrouter 'Events' exceeds 'resources.memory.limit' (\"128Mi\"); Kubernetes rejects such a pod. Lower the request or raise the limit.",
    );
  });

  test('fails if a Kafka controller node requests more memory than its limit', () => {
    const { chart } = fixture();
    expect(messageOf(() => new KafkaCluster(chart, 'Other', {
      clusterName: 'other',
      controllers: 3,
      controllerResources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } },
    }))).toBe(
      "'controllerResources.memory.request' (\"2Gi\") of KafkaCluster 'other' exceeds 'controllerResources.memory.limit' (\"1Gi\"); Kubernetes rejects such a pod. Lower the request or raise the limit.",
    );
  });

  test('an eventrouter with only a CPU limit keeps the default requests and memory limit', () => {
    // GIVEN
    const { chart, topic } = fixture();
    // WHEN
    new Eventrouter(chart, 'Events', { topic, resources: { cpu: { limit: kplus.Cpu.millis(100) } } });
    // THEN
    expect(oneOf(chart, 'Deployment').spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '100m', memory: '128Mi' },
    });
  });
});

describe('httpProbe', () => {
  test('renders the path, the named port and the timing in seconds; left-out fields stay unset', () => {
    expect(httpProbe('/healthz', 'healthz', { initialDelay: Duration.seconds(30), period: Duration.minutes(1), timeout: Duration.seconds(5) })).toEqual({
      httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('healthz') },
      initialDelaySeconds: 30,
      periodSeconds: 60,
      timeoutSeconds: 5,
      failureThreshold: 3,
    });
    expect(httpProbe('/readyz', 'http', { scheme: 'HTTP', period: Duration.seconds(5), timeout: Duration.seconds(2), failureThreshold: 6, successThreshold: 1 })).toEqual({
      httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('http'), scheme: 'HTTP' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 6,
      successThreshold: 1,
    });
  });
});
