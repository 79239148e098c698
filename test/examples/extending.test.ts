/**
 * README "Extending Klaxon": every example (examples/extending.ts) applied to dev through buildApp,
 * synthesized and validated; the README shows exactly the examples' code; main.ts builds nothing
 * on import and hands back each environment's pipeline object.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { pipelineGraph } from '../../constructs/pipeline-graph';
import { addLogShipper, addNamespace, addRule, addSlackSink, addTopic } from '../../examples/extending';
import { buildApp, devAlertSinks, environments } from '../../main';
import { messageOf, schemaProblems } from '../constructs/support';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const code = {
  eventsFanout: FunctionCode.fromBundle(Buffer.from('console.log("fanout");\n')),
  logAlerter: FunctionCode.fromBundle(Buffer.from('console.log("alerter");\n')),
  eventExporter: FunctionCode.fromBundle(Buffer.from('console.log("exporter");\n')),
};

function objects(app: ReturnType<typeof buildApp>['app']): any[] {
  return app.charts.flatMap((c) => Testing.synth(c));
}

function envOf(objs: any[], workload: string): Record<string, string> {
  const d = objs.find((o) => o.kind === 'Deployment' && o.metadata.name.includes(workload));
  return Object.fromEntries(d.spec.template.spec.containers[0].env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
}

describe('main.ts', () => {
  test('importing it builds nothing; buildApp hands back the pipeline of each environment', () => {
    // GIVEN / WHEN
    const built = Object.keys(environments).map((env) => buildApp(env, { code, outdir: '/nonexistent' }));
    // THEN
    expect(Object.keys(environments)).toEqual(expect.arrayContaining(['dev', 'prod']));
    for (const { app, pipeline } of built) {
      expect(app.charts.map((c) => c.node.id)).toEqual(expect.arrayContaining(['kafka', 'sources', 'logging', 'workloads']));
      expect(pipeline.topics.logs.topicName).toBe('logs');
    }
  });

  test('buildApp fails for an unknown environment, naming the known ones', () => {
    expect(messageOf(() => buildApp('staging', { code }))).toBe(`unknown environment 'staging'; environments: ${Object.keys(environments).join(', ')}`);
  });

  test("dev's alert destination is a synth-time choice: Notification Manager by default, or an Alertmanager", () => {
    expect(devAlertSinks(undefined)).toBeUndefined();
    expect(devAlertSinks('notification-manager')).toBeUndefined();
    const [sink] = devAlertSinks('alertmanager=http://alertmanager.monitoring.svc:9093')!;
    expect(sink.type).toBe('alertmanager');
    const { app } = buildApp('dev', { code, config: (c) => ({ ...c, logAlerter: { ...c.logAlerter, sinks: devAlertSinks('alertmanager=http://alertmanager.monitoring.svc:9093') } }) });
    expect(JSON.parse(envOf(objects(app), 'logalerter').ALERTER_SINKS)).toEqual([expect.objectContaining({ type: 'alertmanager', url: 'http://alertmanager.monitoring.svc:9093' })]);
    expect(messageOf(() => devAlertSinks('slack'))).toBe("KLAXON_DEV_ALERTS 'slack' is not 'notification-manager' or 'alertmanager=<base URL>' (e.g. alertmanager=http://alertmanager.monitoring.svc:9093).");
  });
});

describe('README "Extending Klaxon"', () => {
  test('every example applied to dev synthesizes valid manifests with the rule, sink, namespace, topic and shipper', () => {
    // GIVEN / WHEN
    const { app, pipeline } = buildApp('dev', {
      code,
      config: addNamespace,
      extend: (p) => {
        addRule(p);
        addSlackSink(p);
        addLogShipper(p, addTopic(p));
      },
    });
    const objs = objects(app);
    const alerterEnv = envOf(objs, 'logalerter');
    // THEN
    expect(schemaProblems(objs)).toEqual([]);
    expect(pipeline.logAlerter.rules.map((r) => r.name)).toContain('Http5xx');
    expect(JSON.parse(alerterEnv.ALERTER_RULES).map((r: any) => r.name)).toContain('Http5xx');
    expect(JSON.parse(alerterEnv.ALERTER_SINKS).map((s: any) => s.type)).toEqual(['notification-manager', 'slack']);
    expect(objs.filter((o) => o.kind === 'KafkaTopic').map((o) => o.spec.topicName ?? o.metadata.name)).toEqual(expect.arrayContaining(['events.shop', 'audit-logs']));
    expect(envOf(objs, 'eventsfanout').FANOUT_NAMESPACES).toBe([...environments.dev.topics!.namespaces!, 'shop'].join(','));
    const output = objs.find((o) => o.kind === 'ClusterOutput');
    expect(output.spec.kafka.topics).toBe('audit-logs');
    const graph = pipelineGraph(app);
    expect(graph.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['audit-logs', 'events.shop', 'ShopLogs (FluentOperatorKafkaOutput)']));
  });

  test('the README shows the examples exactly as examples/extending.ts has them', () => {
    // GIVEN
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');
    const section = readme.slice(readme.indexOf('## Extending Klaxon'), readme.indexOf('\n## ', readme.indexOf('## Extending Klaxon') + 5));
    const source = fs.readFileSync(path.join(ROOT, 'examples', 'extending.ts'), 'utf-8');
    // WHEN
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    // THEN
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks.filter((b) => !b.includes('// (in main.ts)'))) expect(source).toContain(block);
  });
});
