/**
 * `npm run demo [-- --ci]`: the whole alert path on this machine, from the committed `dist/dev/`.
 *
 * Starts the real Kafka broker and the real Alertmanager (test/harness/), a Slack-like catcher
 * (demo/catcher.ts: terminal lines and a web page), creates dist/dev's KafkaTopics as Strimzi's topic
 * operator would, and runs each workload Deployment of dist/dev the way the kubelet would (its code
 * ConfigMap unpacked by its own init container, its declared env; test/integration/e2e-support.ts).
 * Only the cluster-specific values change: the bootstrap servers, the HTTP port, and the alert sinks
 * (dev's Notification Manager is not here: the alerts go to this Alertmanager and, as Notification
 * Manager would pass them on, to the catcher's Slack webhook).
 *
 * Then it plays the seeds' story (demo/story.ts) into Kafka as the sources would write it, shows
 * progress, and shows where each record went: the alert in Alertmanager (URL printed) and in the
 * catcher, the per-namespace topics filling. Ctrl-C stops everything it started.
 * `--ci`: no waiting for Ctrl-C; checks that the alerts arrived, prints `DEMO-RESULT <json>`, exits 0
 * or 1 (test/integration/demo.test.ts runs it so).
 *
 * The sources of the story (`DemoSource`): the 404 log line is replayed with kcat as Fluent Bit writes
 * it; the crash-looping pod's Events are created in a real kube-apiserver and shipped by dist/dev's
 * event exporter (demo/cluster.ts). When the control plane is not built here, the exporter is not
 * run and the Events are replayed with kcat in eventrouter's format instead (said in the output).
 */
import { Kafka, logLevel } from 'kafkajs';
import { AlerterEnv, WorkloadEnv } from '../functions/contracts/workload-env';
import { AlertSinkSpec, sinkIsParkable, sinkNames } from '../functions/contracts/alert-sinks';
import { sinkRetryTopicName } from '../functions/contracts/topic-names';
import { quietRequestQueueTimers } from '../functions/runtime/request-queue-timer';
import { createTopics, kcatProduce, startAlertmanager, Alertmanager } from '../test/harness';
import { KafkaBroker, startKafkaBroker } from '../test/harness/kafka-broker';
import { EnvVar, KubeObject, PodProcess, PodRunner, readDist } from '../test/integration/e2e-support';
import { Catcher, startCatcher } from './catcher';
import { DemoCluster, controlPlaneMissing, isExporter, startDemoCluster } from './cluster';
import { storyRecords, StoryRecord, CRASHING_POD } from './story';

/** What a source of the story gets: the broker and the topic names of dist/dev. */
export interface DemoContext {
  readonly brokers: string;
  readonly topics: { readonly logs: string; readonly clusterEvents: string };
  readonly progress: (line: string) => void;
}

/** A way the story's records reach Kafka. */
export interface DemoSource {
  readonly name: string;
  /** Writes the story; returns what it wrote. */
  play(ctx: DemoContext): Promise<StoryRecord[]>;
}

/** The env variable the demo's Slack sink reads its webhook URL from (in a cluster, a Secret fills it). */
const SLACK_URL_ENV = 'KLAXON_DEMO_SLACK_WEBHOOK_URL';

/** The story's records of `which` topic replayed with kcat, byte for byte as Fluent Bit or eventrouter write them. */
const kcatReplay = (which: 'logs' | 'clusterEvents', name: string): DemoSource => ({
  name,
  async play(ctx) {
    const records = storyRecords(ctx.topics).filter((r) => r.topic === ctx.topics[which]);
    for (const r of records) {
      await kcatProduce(r.topic, [{ key: r.key, value: r.value }]);
      ctx.progress(`  → ${r.topic}: ${r.what}`);
    }
    return records;
  },
});

/** What `--ci` checks and prints. */
export interface DemoResult {
  readonly alertmanagerAlerts: string[];
  readonly slackMessages: string[];
  readonly alertmanagerNotifications: string[];
  readonly topicRecords: Record<string, number>;
  readonly ok: boolean;
}

async function main(argv: string[]): Promise<number> {
  quietRequestQueueTimers(); // the demo's own Kafka clients, as the workloads' (functions/runtime/request-queue-timer.ts)
  const ci = argv.includes('--ci');
  const t0 = Date.now();
  const progress = (line: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
  const stoppers: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const stop of stoppers.reverse()) await stop().catch((e) => progress(`(stop: ${String(e)})`));
    })());
  process.once('SIGINT', () => {
    progress('Ctrl-C: stopping everything the demo started …');
    void stopAll().then(() => process.exit(130));
  });

  try {
    // dist/dev: the objects the demo runs
    const dist = readDist('dev');
    const objects = [...dist.values()].flat();
    const topics = objects.filter((o) => o.kind === 'KafkaTopic');
    const workloads = objects.filter((o) => o.kind === 'Deployment' && o.spec.template.spec.containers[0].command?.[0] === 'node');
    progress(`dist/dev: ${objects.length} objects, ${topics.length} KafkaTopics, workloads ${workloads.map((d) => d.metadata.name).join(', ')}`);
    const missing = controlPlaneMissing();
    if (missing) progress(`no kube-apiserver here (${missing}): the event exporter is not run, its Events are replayed with kcat`);
    const deployments = missing ? workloads.filter((d) => !isExporter(d)) : workloads;

    // the real parts
    progress('starting the Kafka broker (Apache Kafka from .cache/kafka/libs), the Alertmanager and the catcher …');
    const catcher: Catcher = await startCatcher((m) => progress(`  ✉ #${m.channel}: ${m.text}`));
    stoppers.push(() => catcher.close());
    const [broker, am] = await Promise.all([
      startKafkaBroker({ log: () => undefined }) as Promise<KafkaBroker>,
      startAlertmanager({ webhookUrl: `${catcher.url}/alertmanager`, groupBy: ['alertname', 'namespace', 'pod'] }) as Promise<Alertmanager>,
    ]);
    stoppers.push(() => broker.stop());
    stoppers.push(() => am.stop());
    process.env.KAFKA_BROKERS = broker.brokers; // the harness's Kafka helpers read it
    let cluster: DemoCluster | undefined;
    if (!missing) {
      cluster = await startDemoCluster(objects);
      stoppers.push(() => cluster!.stop());
    }
    progress(`✓ Kafka ${broker.version} at ${broker.brokers}`);
    progress(`✓ Alertmanager ${am.version}: ${am.url}  (alerts: ${am.url}/#/alerts)`);
    progress(`✓ catcher: ${catcher.url}  (Slack-like page of every alert)`);
    if (cluster) progress(`✓ ${cluster.api.version} API server: ${cluster.api.url}  (kubectl --kubeconfig ${cluster.api.kubeconfig})`);

    // topics as the topic operator makes them
    const topicName = (t: KubeObject) => (t.spec.topicName as string | undefined) ?? t.metadata.name;
    const configOf = (t: KubeObject): Record<string, string> =>
      Object.fromEntries(Object.entries((t.spec.config ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    await createTopics(topics.map((t) => ({ topic: topicName(t), partitions: t.spec.partitions, config: configOf(t) })));
    progress(`✓ ${topics.length} topics: ${topics.map(topicName).join(', ')}`);

    // the workloads, from their ConfigMaps and env
    const runner = new PodRunner(objects.filter((o) => o.kind === 'ConfigMap'));
    const pods: PodProcess[] = [];
    stoppers.push(async () => {
      for (const p of pods) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGTERM');
      await Promise.race([Promise.all(pods.map((p) => p.exit)), new Promise((r) => setTimeout(r, 10_000))]);
      await runner.cleanUp();
    });
    const sinks: AlertSinkSpec[] = [
      { type: 'alertmanager', name: 'alertmanager', url: am.url },
      { type: 'slack', name: 'slack', urlEnv: SLACK_URL_ENV },
    ];
    // these sinks' retry topics, as the LogAlerter renders them for its own sinks
    const retryTopics = deployments.flatMap((d) => {
      const env = Object.fromEntries((d.spec.template.spec.containers[0].env as EnvVar[]).map((e) => [e.name, e.value ?? '']));
      if (env[AlerterEnv.SINK_RETRY] !== 'topics') return [];
      const names = sinkNames(sinks);
      return sinks.flatMap((sink, i) => (sinkIsParkable(sink) ? [sinkRetryTopicName(env[WorkloadEnv.GROUP_ID], names[i])] : []));
    });
    if (retryTopics.length > 0) await createTopics(retryTopics.map((topic) => ({ topic })));
    const valueOf = (e: EnvVar): string => (e.name === WorkloadEnv.BROKERS ? broker.brokers : e.name === WorkloadEnv.HTTP_PORT ? '0' : e.value!);
    const envFor = (deployment: string) => (declared: readonly EnvVar[]): Record<string, string> => {
      const env: Record<string, string> = {};
      for (const e of declared) {
        if (e.value === undefined) throw new Error(`${deployment}: env ${e.name} comes from ${JSON.stringify(e.valueFrom)}; the demo runs dev's unauthenticated workloads only`);
        if (e.name === AlerterEnv.SINKS) {
          env[e.name] = JSON.stringify(sinks);
          env[SLACK_URL_ENV] = `${catcher.url}/slack`;
        } else env[e.name] = valueOf(e);
      }
      return env;
    };
    for (const d of deployments) {
      const name = d.metadata.name;
      const pod = await runner.startPod(d, cluster && isExporter(d) ? (declared) => cluster!.exporterEnv(name, declared, valueOf) : envFor(name));
      pods.push(pod);
    }
    await Promise.all(pods.map((p) => p.waitForLine((l) => l.msg === 'http server listening', 60_000)));
    await Promise.all(pods.map(async (p) => {
      for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(250)) if ((await p.get('/readyz').catch(() => ({ status: 0 }))).status === 200) return;
      throw new Error(`${p.deployment} did not become ready (joined its group) within 90 s`);
    }));
    progress(`✓ workloads ready: ${pods.map((p) => p.deployment).join(', ')} (dist/dev's bundles, env as declared; alerts → Alertmanager + catcher)`);

    // the story
    const envOf = (name: string) => Object.fromEntries((deployments.find((d) => d.metadata.name.includes(name))!.spec.template.spec.containers[0].env as EnvVar[]).map((e) => [e.name, e.value ?? '']));
    const ctx: DemoContext = {
      brokers: broker.brokers,
      topics: { logs: envOf('logalerter')[WorkloadEnv.SOURCE_TOPIC], clusterEvents: envOf('eventsfanout')[WorkloadEnv.SOURCE_TOPIC] },
      progress,
    };
    progress(`the story: the WordPress pod answers a 404; pod ${CRASHING_POD.namespace}/${CRASHING_POD.name} crash-loops`);
    const sources = [kcatReplay('logs', 'kcat replay of the log line as Fluent Bit ships it'), cluster?.source ?? kcatReplay('clusterEvents', 'kcat replay of the Events as eventrouter writes them')];
    for (const source of sources) {
      progress(`playing: ${source.name}`);
      await source.play(ctx);
    }

    // where it went
    const result = await watch(am, catcher, broker.brokers, topics.map(topicName), progress, ci ? 90_000 : 60_000);
    progress(`topics now: ${Object.entries(result.topicRecords).map(([t, n]) => `${t}=${n}`).join('  ')}`);
    if (ci) {
      process.stdout.write(`DEMO-RESULT ${JSON.stringify(result)}\n`);
      await stopAll();
      return result.ok ? 0 : 1;
    }
    progress(`open ${am.url}/#/alerts and ${catcher.url}; produce more with kcat -b ${broker.brokers} -t logs -P. Ctrl-C stops everything.`);
    await new Promise(() => undefined); // until Ctrl-C
    return 0;
  } catch (e) {
    progress(`FAILED: ${(e as Error).stack ?? String(e)}`);
    await stopAll();
    return 1;
  }
}

/**
 * Waits until both alerts of the story (the 404 log line, the crash-looping pod's Events) are in
 * Alertmanager and the Slack catcher, Alertmanager has notified, and events.demo-project is filled.
 */
async function watch(am: Alertmanager, catcher: Catcher, brokers: string, topicNames: string[], progress: (l: string) => void, timeoutMs: number): Promise<DemoResult> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  for (;;) {
    const alerts = await am.getAlerts().catch(() => []);
    const topicRecords = await topicCounts(brokers, topicNames);
    const result: DemoResult = {
      alertmanagerAlerts: alerts.map((a) => `${a.labels.alertname} ${a.labels.namespace}/${a.labels.pod ?? a.labels.name}`),
      slackMessages: catcher.messages.filter((m) => m.channel === 'slack').map((m) => m.text),
      alertmanagerNotifications: catcher.messages.filter((m) => m.channel === 'alertmanager').map((m) => m.text),
      topicRecords,
      ok: false,
    };
    for (const a of result.alertmanagerAlerts) if (!seen.has(a)) (seen.add(a), progress(`  ! Alertmanager holds alert ${a}`));
    const both = (texts: string[]): boolean => ['404 Request', 'PodCrashLooping'].every((name) => texts.some((t) => t.includes(name)));
    const ok = both(result.alertmanagerAlerts) && both(result.slackMessages) && result.alertmanagerNotifications.length > 0 && (topicRecords['events.demo-project'] ?? 0) >= 4;
    if (ok || Date.now() > deadline) return { ...result, ok };
    await sleep(500);
  }
}

/** Records in each topic (sum of high-water marks). */
async function topicCounts(brokers: string, topicNames: string[]): Promise<Record<string, number>> {
  const admin = new Kafka({ clientId: 'klaxon-demo', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const out: Record<string, number> = {};
    for (const t of topicNames) out[t] = (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0);
    return out;
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
