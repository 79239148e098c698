import { JsonPatch, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { ClusterOutput } from '../../imports/fluentbit-clusteroutput-fluentbit.fluent.io';
import { ScaledObject } from '../../imports/keda-scaledobject-keda.sh';
import { Receiver } from '../../imports/nm-receiver-notification.kubesphere.io';
import { Kafka, KafkaSpecKafkaListenersType, KafkaV1Beta2, KafkaV1Beta2SpecKafkaListenersType } from '../../imports/strimzi-kafka-kafka.strimzi.io';
import { KafkaNodePool, KafkaNodePoolSpecRoles } from '../../imports/strimzi-kafkanodepool-kafka.strimzi.io';
import { KafkaTopic } from '../../imports/strimzi-kafkatopic-kafka.strimzi.io';
import { formatProblem, SchemaValidator, validateObjects } from './validator';

// Loading and compiling the big CRD schemas (Strimzi Kafka) takes a few seconds on a busy machine.
jest.setTimeout(60_000);

const validator = SchemaValidator.shared();

/**
 * Problems of everything in the chart, one formatted line each. `patches` (by kind) are applied to
 * the synthesized JSON: the generated classes' toJson() drops fields they do not know, so a
 * misspelt field can only be planted after synthesis.
 */
function problems(build: (chart: ReturnType<typeof Testing.chart>) => void, patches: Record<string, JsonPatch[]> = {}): string[] {
  const chart = Testing.chart();
  build(chart);
  const objs = Testing.synth(chart).map((o) => (patches[o.kind] ? JsonPatch.apply(o, ...patches[o.kind]) : o));
  return validator.validateObjects(objs).map(formatProblem);
}

function deployment(chart: ReturnType<typeof Testing.chart>, maxSurge: k8s.IntOrString = k8s.IntOrString.fromString('25%')): k8s.KubeDeployment {
  return new k8s.KubeDeployment(chart, 'Deployment', {
    metadata: { name: 'alerter' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'alerter' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: k8s.IntOrString.fromNumber(0) } },
      template: {
        metadata: { labels: { app: 'alerter' } },
        spec: {
          containers: [{
            name: 'main',
            image: 'node:20',
            ports: [{ name: 'http', containerPort: 8080 }],
            resources: { requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') } },
            readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('http') } },
            livenessProbe: { httpGet: { path: '/livez', port: k8s.IntOrString.fromNumber(8080) } },
          }],
        },
      },
    },
  });
}

function kafkaV1(chart: ReturnType<typeof Testing.chart>): Kafka {
  return new Kafka(chart, 'Kafka', {
    metadata: { name: 'klaxon' },
    spec: {
      kafka: {
        version: '4.1.1',
        listeners: [{ name: 'plain', port: 9092, type: KafkaSpecKafkaListenersType.INTERNAL, tls: false }],
        config: { 'offsets.topic.replication.factor': 1, 'min.insync.replicas': 1 },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  });
}

describe('Kubernetes objects', () => {
  test('a Deployment synthesized by cdk8s passes the Kubernetes 1.27 schema', () => {
    expect(problems((chart) => deployment(chart))).toEqual([]);
  });

  test('a misspelt field fails with a message naming the object, the schema and the path', () => {
    expect(problems((chart) => deployment(chart), { Deployment: [JsonPatch.add('/spec/template/spec/containerz', [])] })).toEqual([
      "Deployment/alerter: k8s-1.27.0 Deployment apps/v1: /spec/template/spec/containerz: must NOT have additional properties 'containerz'",
    ]);
  });

  test('a field of the wrong type fails naming its path', () => {
    expect(problems((chart) => deployment(chart), { Deployment: [JsonPatch.replace('/spec/replicas', '2')] })).toEqual([
      'Deployment/alerter: k8s-1.27.0 Deployment apps/v1: /spec/replicas: must be integer',
    ]);
  });

  test('a missing required field fails naming where it is required', () => {
    expect(problems((chart) => deployment(chart), { Deployment: [JsonPatch.remove('/spec/template/spec/containers/0/name')] })).toEqual([
      "Deployment/alerter: k8s-1.27.0 Deployment apps/v1: /spec/template/spec/containers/0: must have required property 'name'",
    ]);
  });

  test('int-or-string fields accept a string and an integer', () => {
    expect(problems((chart) => deployment(chart, k8s.IntOrString.fromString('25%')))).toEqual([]);
    expect(problems((chart) => deployment(chart, k8s.IntOrString.fromNumber(1)))).toEqual([]);
    expect(problems((chart) => {
      for (const [id, targetPort] of [['Named', k8s.IntOrString.fromString('http')], ['Numbered', k8s.IntOrString.fromNumber(8080)]] as const) {
        new k8s.KubeService(chart, id, {
          metadata: { name: id.toLowerCase() },
          spec: { selector: { app: 'alerter' }, ports: [{ port: 80, targetPort }] },
        });
      }
    })).toEqual([]);
  });

  test('int-or-string fields reject anything else', () => {
    expect(problems((chart) => deployment(chart), { Deployment: [JsonPatch.replace('/spec/strategy/rollingUpdate/maxSurge', true)] })).toEqual([
      'Deployment/alerter: k8s-1.27.0 Deployment apps/v1: /spec/strategy/rollingUpdate/maxSurge: must be string or integer',
    ]);
  });

  test('an object of a kind with no schema fails', () => {
    expect(validator.validateObjects([
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'alerter' } },
      { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'alerter' } },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledThing', metadata: { name: 'alerter' } },
    ]).map(formatProblem)).toEqual([
      `ServiceMonitor/alerter: kind: /: no schema for apiVersion monitoring.coreos.com/v1 kind ServiceMonitor in k8s-1.27.0 or the CRDs under ${validator.crdsDir}`,
      `HorizontalPodAutoscaler/alerter: kind: /: no schema for apiVersion autoscaling/v2beta2 kind HorizontalPodAutoscaler in k8s-1.27.0 or the CRDs under ${validator.crdsDir}`,
      'ScaledThing/alerter: keda-2.20.2: /apiVersion: keda-2.20.2 has no kind ScaledThing in group keda.sh (it has ClusterTriggerAuthentication, ScaledJob, ScaledObject, TriggerAuthentication)',
    ]);
  });

  test('an object without apiVersion, kind or name fails', () => {
    expect(validator.validateObjects([
      { kind: 'ConfigMap', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      'just a string',
    ]).map(formatProblem)).toEqual([
      'ConfigMap/a: kind: /: has no apiVersion; every object needs apiVersion and kind',
      'ConfigMap/?: metadata: /metadata/name: is required (the API server rejects an object without metadata.name)',
      '?: kind: /: not a Kubernetes object (a string)',
    ]);
  });

  test('an object over 256 KiB fails the size check of client-side kubectl apply', () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rules' }, data: { 'rules.json': 'x'.repeat(300 * 1024) } };
    expect(validator.validateObjects([big]).map(formatProblem)).toEqual([
      "ConfigMap/rules: size: /: serialized size 307339 bytes (with its annotations) exceeds the 262144-byte (256 KiB) annotation limit: client-side 'kubectl apply' stores the whole object in the kubectl.kubernetes.io/last-applied-configuration annotation. Make the object smaller (split it) or apply it server-side.",
    ]);
    const fits = { ...big, data: { 'rules.json': 'x'.repeat(200 * 1024) } };
    expect(validator.validateObjects([fits])).toEqual([]);
  });

  test('problems name the file they came from', () => {
    const objs = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, date: {} }];
    expect(validateObjects(objs, { file: 'dist/dev/klaxon.k8s.yaml' }).map(formatProblem)).toEqual([
      "dist/dev/klaxon.k8s.yaml: ConfigMap/a: k8s-1.27.0 ConfigMap v1: /date: must NOT have additional properties 'date'",
    ]);
  });
});

describe('Strimzi objects validate against both Strimzi 0.51.0 and 1.2.0', () => {
  test('a Kafka valid in v1 passes both Strimzi versions', () => {
    expect(problems((chart) => {
      kafkaV1(chart);
      new KafkaNodePool(chart, 'Pool', {
        metadata: { name: 'dual', labels: { 'strimzi.io/cluster': 'klaxon' } },
        spec: { replicas: 1, roles: [KafkaNodePoolSpecRoles.CONTROLLER, KafkaNodePoolSpecRoles.BROKER], storage: { type: 'ephemeral' } as any },
      });
      new KafkaTopic(chart, 'Topic', {
        metadata: { name: 'logs', labels: { 'strimzi.io/cluster': 'klaxon' } },
        spec: { partitions: 10, replicas: 1, config: { 'retention.ms': 604800000 } },
      });
    })).toEqual([]);
  });

  test('a misspelt Kafka field fails against each Strimzi version', () => {
    expect(problems((chart) => kafkaV1(chart), { Kafka: [JsonPatch.add('/spec/kafka/listners', [])] })).toEqual([
      "Kafka/klaxon: strimzi-0.51.0 Kafka v1: /spec/kafka/listners: must NOT have additional properties 'listners'",
      "Kafka/klaxon: strimzi-1.2.0 Kafka v1: /spec/kafka/listners: must NOT have additional properties 'listners'",
    ]);
  });

  test('a Kafka in v1beta2, valid for Strimzi 0.51.0, fails naming strimzi-1.2.0', () => {
    expect(problems((chart) => {
      new KafkaV1Beta2(chart, 'Kafka', {
        metadata: { name: 'klaxon' },
        spec: { kafka: { listeners: [{ name: 'plain', port: 9092, type: KafkaV1Beta2SpecKafkaListenersType.INTERNAL, tls: false }] } },
      });
    })).toEqual([
      'Kafka/klaxon: strimzi-1.2.0: /apiVersion: strimzi-1.2.0 does not serve kafka.strimzi.io/v1beta2 Kafka (it serves kafka.strimzi.io/v1)',
    ]);
  });

  test('a v1 Kafka with a field that only v1beta2 had (ZooKeeper) fails against both', () => {
    expect(problems((chart) => kafkaV1(chart), { Kafka: [JsonPatch.add('/spec/zookeeper', { replicas: 3, storage: { type: 'ephemeral' } })] })).toEqual([
      "Kafka/klaxon: strimzi-0.51.0 Kafka v1: /spec/zookeeper: must NOT have additional properties 'zookeeper'",
      "Kafka/klaxon: strimzi-1.2.0 Kafka v1: /spec/zookeeper: must NOT have additional properties 'zookeeper'",
    ]);
  });

  test('a Kafka using a field new in Strimzi 1.2.0 fails naming strimzi-0.51.0', () => {
    expect(problems((chart) => kafkaV1(chart), { Kafka: [JsonPatch.add('/spec/kafka/listeners/0/type', 'tlsroute')] })).toEqual([
      'Kafka/klaxon: strimzi-0.51.0 Kafka v1: /spec/kafka/listeners/0/type: must be equal to one of the allowed values: "internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"',
    ]);
  });

  test('open maps (x-kubernetes-preserve-unknown-fields) and oneOf alternatives stay open', () => {
    expect(problems((chart) => kafkaV1(chart), { Kafka: [
        JsonPatch.add('/spec/kafka/config/any.broker.setting', 'x'),
        JsonPatch.add('/spec/kafka/template', { kafkaContainer: { env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } }),
      ] })).toEqual([]);
  });

  test('Strimzi oneOf alternatives are still enforced', () => {
    expect(problems((chart) => kafkaV1(chart), { Kafka: [JsonPatch.add('/spec/kafka/template', { kafkaContainer: { env: [{ name: 'A' }] } })] })).toEqual([
      "Kafka/klaxon: strimzi-0.51.0 Kafka v1: /spec/kafka/template/kafkaContainer/env/0: must set exactly one of 'value', 'valueFrom' (sets none)",
      "Kafka/klaxon: strimzi-1.2.0 Kafka v1: /spec/kafka/template/kafkaContainer/env/0: must set exactly one of 'value', 'valueFrom' (sets none)",
    ]);
    expect(problems((chart) => kafkaV1(chart), {
      Kafka: [JsonPatch.add('/spec/kafka/template', { kafkaContainer: { env: [{ name: 'A', value: '1', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } })],
    })).toEqual([
      "Kafka/klaxon: strimzi-0.51.0 Kafka v1: /spec/kafka/template/kafkaContainer/env/0: must set exactly one of 'value', 'valueFrom' (sets 'value' and 'valueFrom')",
      "Kafka/klaxon: strimzi-1.2.0 Kafka v1: /spec/kafka/template/kafkaContainer/env/0: must set exactly one of 'value', 'valueFrom' (sets 'value' and 'valueFrom')",
    ]);
  });

  test('CRD int-or-string quantities accept "500m" and 1 and reject other strings', () => {
    const withCpu = (cpu: unknown) => problems((chart) => {
      new KafkaNodePool(chart, 'Pool', {
        metadata: { name: 'dual', labels: { 'strimzi.io/cluster': 'klaxon' } },
        spec: { replicas: 1, roles: [KafkaNodePoolSpecRoles.BROKER], storage: { type: 'ephemeral' } as any },
      });
    }, { KafkaNodePool: [JsonPatch.add('/spec/resources', { requests: { cpu } })] });
    expect(withCpu('500m')).toEqual([]);
    expect(withCpu(1)).toEqual([]);
    expect(withCpu('lots')).toEqual([
      'KafkaNodePool/dual: strimzi-0.51.0 KafkaNodePool v1: /spec/resources/requests/cpu: must match pattern "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"',
      'KafkaNodePool/dual: strimzi-1.2.0 KafkaNodePool v1: /spec/resources/requests/cpu: must match pattern "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$"',
    ]);
  });
});

describe('other CRDs', () => {
  function scaledObject(chart: ReturnType<typeof Testing.chart>): ScaledObject {
    return new ScaledObject(chart, 'Scaler', {
      metadata: { name: 'alerter' },
      spec: {
        scaleTargetRef: { name: 'alerter' },
        minReplicaCount: 1,
        maxReplicaCount: 10,
        triggers: [{ type: 'kafka', metadata: { bootstrapServers: 'klaxon-kafka-bootstrap:9092', consumerGroup: 'alerter', topic: 'logs', lagThreshold: '10' } }],
      },
    });
  }

  function receiver(chart: ReturnType<typeof Testing.chart>): Receiver {
    return new Receiver(chart, 'Receiver', {
      metadata: { name: 'alertmanager', labels: { type: 'global' } },
      spec: { webhook: { enabled: true, url: 'http://alertmanager:9093/api/v2/alerts' } },
    });
  }

  function clusterOutput(chart: ReturnType<typeof Testing.chart>): ClusterOutput {
    return new ClusterOutput(chart, 'Output', {
      metadata: { name: 'kafka', labels: { 'fluentbit.fluent.io/enabled': 'true' } },
      spec: { match: 'kube.*', kafka: { brokers: 'klaxon-kafka-bootstrap.kafka.svc:9092', topics: 'logs' } },
    });
  }

  test('a KEDA ScaledObject passes', () => {
    expect(problems((chart) => scaledObject(chart))).toEqual([]);
  });

  test('a KEDA ScaledObject with a misspelt field fails', () => {
    expect(problems((chart) => scaledObject(chart), { ScaledObject: [JsonPatch.add('/spec/maxReplicas', 10)] })).toEqual([
      "ScaledObject/alerter: keda-2.20.2 ScaledObject v1alpha1: /spec/maxReplicas: must NOT have additional properties 'maxReplicas'",
    ]);
  });

  test('a Notification Manager Receiver passes', () => {
    expect(problems((chart) => receiver(chart))).toEqual([]);
  });

  test('a Notification Manager Receiver with a misspelt field fails', () => {
    expect(problems((chart) => receiver(chart), { Receiver: [JsonPatch.add('/spec/webhook/urll', 'x')] })).toEqual([
      "Receiver/alertmanager: notification-manager-2.6.0 Receiver v2beta2: /spec/webhook/urll: must NOT have additional properties 'urll'",
    ]);
  });

  test('a fluent-operator ClusterOutput passes', () => {
    expect(problems((chart) => clusterOutput(chart))).toEqual([]);
  });

  test('a fluent-operator ClusterOutput with a misspelt field fails', () => {
    expect(problems((chart) => clusterOutput(chart), { ClusterOutput: [JsonPatch.add('/spec/kafka/topic', 'logs')] })).toEqual([
      "ClusterOutput/kafka: fluent-operator-3.10.0 ClusterOutput v1alpha2: /spec/kafka/topic: must NOT have additional properties 'topic'",
    ]);
  });

  test('a validator that parses the CRD files afresh (no JSON cache) finds the same problems', () => {
    const fresh = new SchemaValidator({ cacheDir: false });
    const chart = Testing.chart();
    scaledObject(chart);
    const objs = Testing.synth(chart).map((o) => JsonPatch.apply(o, JsonPatch.add('/spec/maxReplicas', 10)));
    expect(fresh.validateObjects(objs)).toEqual(validator.validateObjects(objs));
    expect(fresh.validateObjects(objs)).toHaveLength(1);
  });

  test('CRD lists of x-kubernetes-list-type map must not repeat their keys', () => {
    const fluentBit = (env: object[], ports: object[]) => ({
      apiVersion: 'fluentbit.fluent.io/v1alpha2',
      kind: 'FluentBit',
      metadata: { name: 'fluent-bit', namespace: 'logging' },
      spec: { initContainers: [{ name: 'init', image: 'busybox', env, ports }] },
    });
    expect(validator.validateObjects([fluentBit([{ name: 'A', value: '1' }, { name: 'B', value: '2' }], [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }])])).toEqual([]);
    expect(validator.validateObjects([
      fluentBit([{ name: 'A', value: '1' }, { name: 'A', value: '2' }], [{ containerPort: 80 }, { containerPort: 80, protocol: 'TCP' }]),
    ]).map(formatProblem)).toEqual([
      'FluentBit/fluent-bit: fluent-operator-3.10.0 FluentBit v1alpha2: /spec/initContainers/0/env: must NOT have duplicate keys: items 0 and 1 both have name="A"',
      'FluentBit/fluent-bit: fluent-operator-3.10.0 FluentBit v1alpha2: /spec/initContainers/0/ports: must NOT have duplicate keys: items 0 and 1 both have containerPort=80, protocol="TCP"',
    ]);
  });

  test('CRD metadata is validated as Kubernetes ObjectMeta', () => {
    expect(problems((chart) => receiver(chart), {
      Receiver: [JsonPatch.add('/metadata/lables', { a: 'b' }), JsonPatch.add('/metadata/labels/replicas', 3)],
    })).toEqual([
      "Receiver/alertmanager: notification-manager-2.6.0 Receiver v2beta2: /metadata/lables: must NOT have additional properties 'lables'",
      'Receiver/alertmanager: notification-manager-2.6.0 Receiver v2beta2: /metadata/labels/replicas: must be string',
    ]);
  });
});

describe('speed', () => {
  test('validating a thousand objects takes well under a second once the schemas are compiled', () => {
    const chart = Testing.chart();
    deployment(chart);
    kafkaV1(chart);
    const objs = Testing.synth(chart);
    expect(validator.validateObjects(objs)).toEqual([]); // compiles
    const many = Array.from({ length: 500 }, () => objs).flat();
    const start = process.hrtime.bigint();
    expect(validator.validateObjects(many)).toEqual([]);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(ms).toBeLessThan(1000);
  });
});
