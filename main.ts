/**
 * Klaxon's environments, as data: one typed config per environment (`environments`), optional
 * per-environment extensions of the built pipeline (`extensions`), and `buildApp(env)` that builds
 * one environment's app and hands back its pipeline object. Importing this file builds nothing;
 * run as the cdk8s app (`npm run synth`) it synthesizes every environment into `dist/<env>/`, with
 * `dist/<env>/PIPELINE.md`, a picture of what was deployed. The only code that reads the environment
 * (`CDK8S_OUTDIR`, `KLAXON_DEV_ALERTS`) or files (the workload bundles).
 *
 *   npm run synth            # all environments
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Size, YamlOutputType } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { AlertRule } from './constructs/alerting/alert-rule';
import { AlertSink } from './constructs/alerting/alert-sink';
import { DEFAULT_EVENT_RULES } from './constructs/alerting/default-event-rules';
import { ANONYMOUS } from './constructs/kafka/kafka-cluster';
import { KafkaStorage } from './constructs/kafka/kafka-storage';
import { KlaxonFunctionCode, KlaxonPipeline, KlaxonPipelineProps, NOTIFICATION_MANAGER_ALERTS_URL } from './constructs/pipeline';
import { pipelineMarkdown } from './constructs/pipeline-graph';
import { LogShipping } from './constructs/shipping/bind';
import { EventSource } from './constructs/sources/bind';
import { KubeEventerSink, KubeEventerWebhookBody } from './constructs/sources/kube-eventer-sinks';
import { FunctionCode } from './constructs/workloads/function-code';
import { NamespaceTopics } from './constructs/workloads/namespace-topics';
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
  // Kubernetes Events (the event-alerter): crash loops, unschedulable pods, OOM kills, NotReady nodes.
  ...DEFAULT_EVENT_RULES,
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
    logAlerter: { rules: ALERT_RULES },
    // Scaled to zero when idle: KEDA starts a pod once lag shows up.
    scaling: { eventsFanout: { minReplicas: 0 }, logAlerter: { minReplicas: 0 } },
  },
  /** Three brokers with three dedicated controllers on persistent volumes. */
  prod: {
    kafka: {
      brokers: 3,
      controllers: 3,
      storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100), deleteClaim: false }),
      controllerStorage: KafkaStorage.persistentClaim({ size: Size.gibibytes(10), deleteClaim: false }),
      // Every client logs in over TLS with SCRAM as its own KafkaUser, holding only its ACLs: the
      // workloads, their KEDA scalers and fluent-operator's Fluent Bit. No super user, no plain listener;
      // only the registered clients' pods may reach the listener (Strimzi network policy).
      listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512', restricted: true }],
      workloadListener: 'scram',
    },
    topics: { namespaces: TENANT_NAMESPACES },
    // A production cluster (KubeSphere, as in the seed) usually runs fluent-operator already.
    logShipping: LogShipping.fluentOperator({
      listener: 'scram',
      fluentBitNamespace: 'kubesphere-logging-system',
      fluentBitPodLabels: { 'app.kubernetes.io/name': 'fluent-bit' },
    }),
    logAlerter: { rules: ALERT_RULES },
    // Every pod image must carry a digest; until the digests are recorded here (README, Security model), tags are accepted explicitly.
    images: { requireDigests: true, allowMutableTags: true },
    // Always one warm pod each (no cold start on the first event), up to one per partition under lag.
    scaling: { eventsFanout: { minReplicas: 1, lagThreshold: 500 }, logAlerter: { minReplicas: 1, lagThreshold: 1000 } },
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
      // eventrouter and fluent-operator's Fluent Bit, as the seeds run them, cannot log in: they write as
      // ANONYMOUS on the plain listener, which only their pods may reach (README, Security model).
      superUsers: [ANONYMOUS],
      allowAnonymousSuperUser: true,
    },
    topics: { namespaces: TENANT_NAMESPACES },
    eventSources: [
      EventSource.eventrouter({ listener: 'plain' }),
      // kube-eventer's Warning → Notification Manager flood, as the seeds run it (the event rules above are the better path)
      EventSource.kubeEventer({
        sinks: [KubeEventerSink.webhook({
          url: NOTIFICATION_MANAGER_ALERTS_URL,
          method: 'POST',
          level: 'Warning',
          headers: { 'Content-Type': 'application/json' },
          body: KubeEventerWebhookBody.alertmanagerWebhook(),
        })],
      }),
    ],
    // Team namespaces appear here without a redeploy: the fanout creates `events.<ns>` on first sight.
    eventsFanout: { namespaceTopics: NamespaceTopics.createOnFirstSight() },
    logShipping: LogShipping.fluentOperator({ listener: 'plain', fluentBitNamespace: 'kubesphere-logging-system' }),
    logAlerter: { rules: ALERT_RULES },
    // As prod: every pod image must carry a digest; tags (eventrouter's, kube-eventer's, the Node image's) are accepted explicitly until recorded.
    images: { requireDigests: true, allowMutableTags: true },
  },
};

/** A change made on an environment's built pipeline: add rules, sinks, topics, shippers (README "Extending Klaxon"). */
export type PipelineExtension = (pipeline: KlaxonPipeline, app: App) => void;

/** Per-environment extensions that `npm run synth` applies after building each pipeline (examples/extending.ts has some). */
export const extensions: Record<string, PipelineExtension[]> = {};

/** Options of buildApp. */
export interface BuildAppOptions {
  /** Where `app.synth()` writes. @default 'dist/<env>' */
  readonly outdir?: string;
  /** Code of the workloads. @default - the bundles `npm run build:functions` wrote (readFunctionCode) */
  readonly code?: KlaxonFunctionCode;
  /** Changes to the environment's config before the pipeline is built (e.g. other sinks). @default - the config as it is */
  readonly config?: (config: Omit<KlaxonPipelineProps, 'code'>) => Omit<KlaxonPipelineProps, 'code'>;
  /** Extends the built pipeline, after `extensions[env]`. @default - none */
  readonly extend?: PipelineExtension;
}

/** One environment's app and its pipeline object, extended; nothing is written until `app.synth()`. */
export function buildApp(env: string, options: BuildAppOptions = {}): { app: App; pipeline: KlaxonPipeline } {
  const config = environments[env];
  if (!config) throw new Error(`unknown environment '${env}'; environments: ${Object.keys(environments).join(', ')}`);
  const app = new App({ outdir: options.outdir ?? path.join('dist', env), yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const pipeline = new KlaxonPipeline(app, { ...(options.config ? options.config(config) : config), code: options.code ?? readFunctionCode() });
  for (const extend of [...(extensions[env] ?? []), ...(options.extend ? [options.extend] : [])]) extend(pipeline, app);
  return { app, pipeline };
}

/**
 * dev's alert destination, a synth-time choice (`KLAXON_DEV_ALERTS`): unset or `notification-manager`
 * keeps the config's (KubeSphere Notification Manager, which must be installed);
 * `alertmanager=<base URL>` sends to a Prometheus Alertmanager instead (README "Deploying to a cluster").
 */
export function devAlertSinks(choice: string | undefined): AlertSink[] | undefined {
  if (choice === undefined || choice === '' || choice === 'notification-manager') return undefined;
  const am = /^alertmanager=(.+)$/.exec(choice);
  if (am) return [AlertSink.alertmanager({ url: am[1] })];
  throw new Error(`KLAXON_DEV_ALERTS '${choice}' is not 'notification-manager' or 'alertmanager=<base URL>' (e.g. alertmanager=http://alertmanager.monitoring.svc:9093).`);
}

/** The bundles `npm run build:functions` wrote (npm run synth builds them first). */
export function readFunctionCode(): KlaxonFunctionCode {
  const read = (workload: string): FunctionCode => {
    const file = bundlePath(workload);
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run 'npm run build:functions' (npm run synth does it first).`);
    }
    return FunctionCode.fromBundle(fs.readFileSync(file));
  };
  return { eventsFanout: read('events-fanout'), logAlerter: read('log-alerter'), eventExporter: read('event-exporter') };
}

/** Synthesizes every environment into `<outdir>/<env>/`, with its PIPELINE.md, and says what each needs installed. */
export function synthAll(outdir: string, devAlerts?: string): void {
  const code = readFunctionCode();
  const sinks = devAlertSinks(devAlerts);
  for (const env of Object.keys(environments)) {
    const config = env === 'dev' && sinks ? (c: Omit<KlaxonPipelineProps, 'code'>) => ({ ...c, logAlerter: { ...c.logAlerter, sinks } }) : undefined;
    const { app, pipeline } = buildApp(env, { outdir: path.join(outdir, env), code, config });
    app.synth();
    const picture = pipelineMarkdown(app, env);
    fs.writeFileSync(path.join(outdir, env, 'PIPELINE.md'), picture.markdown);
    // stderr: cdk8s synth keeps the app's stdout to itself
    process.stderr.write(`${env}: ${path.join(outdir, env, 'PIPELINE.md')}; ${pipeline.logAlerter.sinks.length} alert sink(s); needs in the cluster:\n${picture.prerequisites.map((p) => `  - ${p}\n`).join('')}`);
  }
}

if (require.main === module) {
  synthAll(process.env.CDK8S_OUTDIR ?? 'dist', process.env.KLAXON_DEV_ALERTS);
}
