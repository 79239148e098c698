/**
 * Everything the sources and shipping constructs synthesize validates against the Kubernetes 1.27
 * schema and the fluent-operator 3.10 CRDs (closed schemas), with the Strimzi objects of the fixture.
 */
import * as kplus from 'cdk8s-plus-27';
import { ContainerImage } from '../../../constructs/images';
import { FluentBit } from '../../../constructs/shipping/fluent-bit';
import { FluentOperatorKafkaOutput } from '../../../constructs/shipping/fluent-operator-output';
import { Eventrouter, EventrouterImage } from '../../../constructs/sources/eventrouter';
import { KubeEventer, KubeEventerImage } from '../../../constructs/sources/kube-eventer';
import { KubeEventerSink, KubeEventerWebhookBody } from '../../../constructs/sources/kube-eventer-sinks';
import { ExternalCluster, ExternalTopic, fixture, schemaProblems, secretWith } from '../sources/support';

test('every object of every source and shipper, with all options on, validates against Kubernetes 1.27 and fluent-operator 3.10', () => {
  // GIVEN
  const { chart, topic } = fixture('logs');
  const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy:9092');
  const s = secretWith(chart, 'S', { a: 'x', b: 'y', c: 'z' });
  const ref = (key: string): kplus.SecretValue => ({ secret: s, key });
  // WHEN
  new Eventrouter(chart, 'Events', { topic });
  new Eventrouter(chart, 'OldEvents', { topic: new ExternalTopic(chart, 'OldT', 'events', old), image: EventrouterImage.HEPTIO_V0_3, sasl: { username: ref('a'), password: ref('b') } });
  new KubeEventer(chart, 'Eventer', {
    image: KubeEventerImage.custom(ContainerImage.of('example/kube-eventer', 'patched'), { library: 'x', protocol: 'kafka4-compatible' }),
    sinks: [
      KubeEventerSink.kafka({ topic, sasl: { username: ref('a'), password: ref('b') }, tls: { caCert: ref('c'), clientCert: ref('a'), clientKey: ref('b') } }),
      KubeEventerSink.webhook({ url: 'https://hook.example.com/', secretHeaders: { Authorization: ref('a') }, body: KubeEventerWebhookBody.template('{}') }),
      KubeEventerSink.dingtalk({ accessToken: ref('a') }),
    ],
  });
  new FluentBit(chart, 'Logs', { topic, mountDockerContainers: true, allowDuplicateShipping: true });
  new FluentOperatorKafkaOutput(chart, 'OperatorLogs', { topic, allowDuplicateShipping: true });
  // THEN
  expect(schemaProblems(chart.toJson())).toEqual([]);
});
