/**
 * Klaxon's environments. The only code that reads the environment or files: it builds one app per
 * environment from a typed config and writes `dist/<environment>/`.
 *
 *   npm run synth            # all environments
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, YamlOutputType } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { AlertRule } from './constructs/alerting/alert-rule';
import { ANONYMOUS, KafkaStorage } from './constructs/kafka/kafka-cluster';
import { KlaxonFunctionCode, KlaxonPipeline, KlaxonPipelineProps } from './constructs/pipeline';
import { FunctionCode } from './constructs/workloads/function-code';
import { bundlePath } from './functions/build';
import { EXAMPLE_404_RULE } from './functions/contracts/alert-rules';

/** The namespaces that get their own fanout topic in every environment. */
const TENANT_NAMESPACES = ['default', 'kube-system', 'demo-project'];

/**
 * Log alert rules of every environment: the seed's HTTP 404 of the WordPress pods in `demo-project`
 * (with the request's method and path), and any error events-fanout logs.
 */
const ALERT_RULES: AlertRule[] = [
  { ...EXAMPLE_404_RULE, throttle: Duration.minutes(5) },
  {
    name: 'KlaxonFanoutError',
    severity: 'critical',
    match: { namespaces: ['klaxon'], containers: ['events-fanout'], fields: { level: 'error' } },
    summary: 'events-fanout logged an error in {{pod}}',
    throttle: Duration.minutes(10),
  },
];

/** One typed config per environment. */
export const environments: Record<string, Omit<KlaxonPipelineProps, 'code'>> = {
  /** One dual-role broker on ephemeral storage, small resources: a laptop or CI cluster. */
  dev: {
    kafka: {
      brokers: 1,
      storage: KafkaStorage.ephemeral(),
      resources: {
        cpu: { request: Cpu.millis(250) },
        memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
      },
    },
    topics: { namespaces: TENANT_NAMESPACES },
    alerting: { rules: ALERT_RULES },
    // Scaled to zero when idle: KEDA starts a pod once lag shows up.
    scaling: { fanout: { minReplicas: 0 }, alerter: { minReplicas: 0 } },
  },
  /** Three brokers with three dedicated controllers on persistent volumes. */
  prod: {
    kafka: {
      brokers: 3,
      controllers: 3,
      storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100), deleteClaim: false }),
      controllerStorage: KafkaStorage.persistentClaim({ size: Size.gibibytes(10), deleteClaim: false }),
      // Klaxon's workloads (and their KEDA scalers) log in over TLS with SCRAM as their own KafkaUsers,
      // holding only their ACLs. eventrouter and Fluent Bit cannot authenticate: they get a plain
      // listener that only their pods may reach (Strimzi network policy), as ANONYMOUS super user.
      listeners: [
        { name: 'plain', port: 9092, restricted: true },
        { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' },
      ],
      workloadListener: 'scram',
      superUsers: [ANONYMOUS],
    },
    topics: { namespaces: TENANT_NAMESPACES },
    // A production cluster (KubeSphere, as in the seed) usually runs fluent-operator already.
    logShipping: { kind: 'fluent-operator', options: { listener: 'plain', fluentBitNamespace: 'kubesphere-logging-system' } },
    alerting: { rules: ALERT_RULES },
    // Always one warm pod each (no cold start on the first event), up to one per partition under lag.
    scaling: { fanout: { minReplicas: 1, lagThreshold: 500 }, alerter: { minReplicas: 1, lagThreshold: 1000 } },
    // Notification Manager sends the alerts on to Slack (bot token in a Secret NM's namespace holds).
    notifications: {
      slack: { token: { name: 'klaxon-slack', key: 'token' }, channels: ['#klaxon-alerts'] },
    },
  },
  /**
   * The seeds' setting, a KubeSphere cluster: eventrouter (no exporter) on a plain listener opened
   * only to its pods, kube-eventer's webhook sink to Notification Manager, fluent-operator shipping.
   */
  kubesphere: {
    kafka: {
      listeners: [
        { name: 'plain', port: 9092, restricted: true },
        { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' },
      ],
      workloadListener: 'scram',
      superUsers: [ANONYMOUS],
    },
    topics: { namespaces: TENANT_NAMESPACES },
    exporter: false,
    eventrouter: { listener: 'plain' },
    logShipping: { kind: 'fluent-operator', options: { listener: 'plain', fluentBitNamespace: 'kubesphere-logging-system' } },
    alerting: { rules: ALERT_RULES },
  },
};

/** The bundles `npm run build:functions` wrote (npm run synth builds them first). */
function readFunctionCode(): KlaxonFunctionCode {
  const read = (workload: string): FunctionCode => {
    const file = bundlePath(workload);
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run 'npm run build:functions' (npm run synth does it first).`);
    }
    return FunctionCode.fromBundle(fs.readFileSync(file));
  };
  return { eventsFanout: read('events-fanout'), logAlerter: read('log-alerter'), eventExporter: read('event-exporter') };
}

function synthAll(outdir: string): void {
  const code = readFunctionCode();
  for (const [name, config] of Object.entries(environments)) {
    const app = new App({ outdir: path.join(outdir, name), yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new KlaxonPipeline(app, { ...config, code });
    app.synth();
  }
}

synthAll(process.env.CDK8S_OUTDIR ?? 'dist');
