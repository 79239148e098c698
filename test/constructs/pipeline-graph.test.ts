/**
 * dist/<env>/PIPELINE.md: the Mermaid picture drawn from the construct tree names every topic,
 * workload and sink of each environment; the committed files and the README's copy of dev's are
 * current; parts nobody taught the picture about show up by their type and shape.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { LogAlerter } from '../../constructs/workloads/log-alerter';
import { ConsumerGroup } from '../../constructs/kafka/consumer-group';
import { IKafkaTopic, KafkaTopic } from '../../constructs/kafka/kafka-topic';
import { pipelineGraph, pipelineMarkdown } from '../../constructs/pipeline-graph';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { KafkaFunction } from '../../constructs/workloads/kafka-function';
import { DEFAULT_NOTIFICATION_MANAGER_URL } from '../../functions/contracts/alert-sinks';
import { buildApp, environments } from '../../main';

const ROOT = path.resolve(__dirname, '..', '..');
const code = {
  eventsFanout: FunctionCode.fromBundle(Buffer.from('console.log("fanout");\n')),
  logAlerter: FunctionCode.fromBundle(Buffer.from('console.log("alerter");\n')),
  eventExporter: FunctionCode.fromBundle(Buffer.from('console.log("exporter");\n')),
};

/** A source the picture was never taught about: any construct with a `topic` field. */
class AuditExporter extends Construct {
  constructor(scope: Construct, id: string, public readonly topic: IKafkaTopic) {
    super(scope, id);
  }
}

describe('PIPELINE.md', () => {
  test.each(Object.keys(environments))('%s: names every topic, workload and sink of the app', (env) => {
    // GIVEN
    const { app } = buildApp(env, { code });
    const all = app.node.findAll();
    const topics = all.filter((c): c is KafkaTopic => c instanceof KafkaTopic).map((t) => t.topicName);
    const workloads = all.filter((c): c is KafkaFunction => c instanceof KafkaFunction).map((f) => f.workloadName);
    const sinks = all.filter((c): c is LogAlerter => c instanceof LogAlerter).flatMap((a) => a.sinks.map((s, i) => (s._bind(i).spec as { url?: string }).url ?? DEFAULT_NOTIFICATION_MANAGER_URL));
    // WHEN
    const { markdown } = pipelineMarkdown(app, env);
    // THEN
    expect(topics.length).toBeGreaterThanOrEqual(6);
    expect(workloads).toEqual(expect.arrayContaining(['events-fanout', 'log-alerter']));
    for (const name of [...topics, ...workloads, ...sinks]) expect(markdown).toContain(`"${name}`);
  });

  test.each(Object.keys(environments))('%s: the committed dist/<env>/PIPELINE.md is what synth draws', (env) => {
    const { app } = buildApp(env, { code });
    expect(fs.readFileSync(path.join(ROOT, 'dist', env, 'PIPELINE.md'), 'utf-8')).toBe(pipelineMarkdown(app, env).markdown);
  });

  test("the README embeds dev's picture as synthesized", () => {
    const picture = fs.readFileSync(path.join(ROOT, 'dist', 'dev', 'PIPELINE.md'), 'utf-8');
    const graph = /```mermaid\n[\s\S]*?```/.exec(picture)![0];
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8')).toContain(graph);
  });

  test('dev: data flows sources → topics → workloads → sinks, with scalers and dead letters', () => {
    const { app } = buildApp('dev', { code });
    const { edges } = pipelineGraph(app);
    const lines = edges.map((e) => `${e.from} ${e.style} ${e.to}`);
    expect(lines).toEqual(expect.arrayContaining([
      'source_sources_EventExporter flow topic_cluster_events',
      'source_logging_FluentBit flow topic_logs',
      'topic_cluster_events flow workload_events_fanout',
      'workload_events_fanout flow topic_events_demo_project',
      'workload_events_fanout dead-letter topic_klaxon_dead_letter',
      'topic_logs flow workload_log_alerter',
      'workload_log_alerter flow sink_http_notification_manager_svc_kubesphere_monitoring_system_svc_19093_api_v2_alerts',
      'scaler_workloads_LogAlerterScaler relation workload_log_alerter',
    ]));
  });

  test('a source and a workload the picture was never taught about show up by type and shape, with what their env names', () => {
    // GIVEN dev plus an unknown source writing `audit` and a new workload reading it and writing `audit.summary`
    const { app, pipeline } = buildApp('dev', {
      code,
      extend: (p) => {
        const audit = new KafkaTopic(p.cluster, 'Audit', { topicName: 'audit', partitions: 2 });
        const summary = new KafkaTopic(p.cluster, 'AuditSummary', { topicName: 'audit.summary', partitions: 1 });
        new AuditExporter(p.sourcesChart, 'AuditExporter', audit);
        const fn = new KafkaFunction(p.workloadsChart, 'AuditSummarizer', {
          code: code.logAlerter,
          source: audit,
          group: new ConsumerGroup(p.workloadsChart, 'AuditGroup', { cluster: p.cluster, groupId: 'audit-summarizer' }),
          deadLetter: p.topics.deadLetter,
          workloadName: 'audit-summarizer',
        });
        fn.addEnv('SUMMARY_TOPIC', summary.topicName);
      },
    });
    // WHEN
    const { nodes, edges } = pipelineGraph(app);
    // THEN
    expect(nodes.filter((n) => n.kind === 'source').map((n) => n.name)).toContain('AuditExporter');
    expect(nodes.filter((n) => n.kind === 'workload').map((n) => n.name)).toContain('audit-summarizer');
    expect(edges.map((e) => `${e.from} ${e.to}`)).toEqual(expect.arrayContaining([
      'source_sources_AuditExporter topic_audit',
      'topic_audit workload_audit_summarizer',
      'workload_audit_summarizer topic_audit_summary',
    ]));
    expect(pipeline.topics.logs.topicName).toBe('logs');
  });
});
