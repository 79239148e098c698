/**
 * A picture of what an app deploys, built from its construct tree: sources → topics → workloads →
 * sinks, with the KEDA scalers and Kafka users. Nothing here knows Klaxon's particular parts; it
 * finds them by type and shape, so a new source, topic or workload shows up without edits:
 *
 * - topic: every `KafkaTopic`;
 * - workload: every `KafkaFunction`; it reads its `source` (edge labelled with its consumer group),
 *   dead-letters to `deadLetter`, and writes every topic its env names, directly (`logs`) or as a
 *   prefix plus a listed name (`events.` + `demo-project`): what the workload is told is what it does;
 * - source: any other construct with a `topic` field holding a Kafka topic (eventrouter, Fluent Bit,
 *   fluent-operator's output, …), and any Deployment whose container takes `--sink=<kind>:<url>`
 *   arguments (kube-eventer), drawn with an edge to each sink;
 * - sink: the `sinks` (AlertSink) of a construct that owns a workload (`function`), and Notification
 *   Manager `Receiver`s downstream of a Notification Manager sink;
 * - scaler: every `KafkaLagScaler`, attached to its workload; user: every `KafkaUser`, attached to the
 *   workload that logs in as it.
 *
 * `pipelineMarkdown` renders it as a Mermaid flowchart and lists the operators the manifests need,
 * read from the API groups of the objects (`kafka.strimzi.io` → Strimzi, …).
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { DEFAULT_NOTIFICATION_MANAGER_URL } from '../functions/contracts/alert-sinks';
import { AlertSink } from './alerting/alert-sink';
import { KafkaTopic } from './kafka/kafka-topic';
import { KafkaUser } from './kafka/kafka-user';
import { KafkaLagScaler } from './scaling/kafka-lag-scaler';
import { KafkaFunction } from './workloads/kafka-function';

/** What a node of the picture stands for. */
export type PipelineNodeKind = 'source' | 'topic' | 'workload' | 'sink' | 'scaler' | 'user';

/** One box of the picture. */
export interface PipelineNode {
  readonly id: string;
  readonly kind: PipelineNodeKind;
  /** The name that matters: topic name, workload name, sink URL, construct path. */
  readonly name: string;
  /** One line under the name (partitions, group, sink type). */
  readonly detail?: string;
}

/** One arrow: data flow (`flow`), dead letters (`dead-letter`), or a relation (`scales`, `logs in as`). */
export interface PipelineEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly style: 'flow' | 'dead-letter' | 'relation';
}

/** The picture as data. */
export interface PipelineGraph {
  readonly nodes: PipelineNode[];
  readonly edges: PipelineEdge[];
}

const NOTIFICATION_MANAGER = 'KubeSphere Notification Manager';

/** The operators and services an app's manifests need, by API group of its objects. */
const OPERATORS: Record<string, string> = {
  'kafka.strimzi.io': 'Strimzi operator (Kafka, KafkaNodePool, KafkaTopic, KafkaUser)',
  'keda.sh': 'KEDA 2.x (ScaledObject, TriggerAuthentication)',
  'notification.kubesphere.io': 'KubeSphere Notification Manager 2.x (Config, Receiver)',
  'fluentbit.fluent.io': 'fluent-operator 3.x (ClusterInput, ClusterFilter, ClusterOutput)',
};

/** Builds the picture of everything under `scope` (an App, or a Chart). */
export function pipelineGraph(scope: IConstruct): PipelineGraph {
  const all = scope.node.findAll();
  const nodes = new Map<string, PipelineNode>();
  const edges: PipelineEdge[] = [];
  const add = (node: PipelineNode): string => {
    if (!nodes.has(node.id)) nodes.set(node.id, node);
    return node.id;
  };
  const edge = (e: PipelineEdge) => {
    if (!edges.some((x) => x.from === e.from && x.to === e.to && x.label === e.label)) edges.push(e);
  };

  const topics = all.filter((c): c is KafkaTopic => c instanceof KafkaTopic);
  const topicId = (t: { topicName: string }) => add({ id: `topic_${safe(t.topicName)}`, kind: 'topic', name: t.topicName, detail: 'partitions' in t ? plural((t as KafkaTopic).partitions, 'partition') : undefined });
  topics.forEach(topicId);
  const topicByName = new Map(topics.map((t) => [t.topicName, t]));

  const functions = all.filter((c): c is KafkaFunction => c instanceof KafkaFunction);
  const workloadId = (f: KafkaFunction) => `workload_${safe(f.workloadName)}`;
  for (const f of functions) {
    add({ id: workloadId(f), kind: 'workload', name: f.workloadName, detail: `group ${f.group.groupId}` });
    edge({ from: topicId(f.source), to: workloadId(f), style: 'flow' });
    edge({ from: workloadId(f), to: topicId(f.deadLetter), style: 'dead-letter', label: 'dead letters' });
    for (const name of writtenTopics(f.env, topicByName)) {
      if (name !== f.source.topicName && name !== f.deadLetter.topicName) edge({ from: workloadId(f), to: topicId(topicByName.get(name)!), style: 'flow' });
    }
    if (f.user) {
      const userId = add({ id: `user_${safe(f.user.userName)}`, kind: 'user', name: f.user.userName, detail: `KafkaUser (${f.user.authentication})` });
      edge({ from: userId, to: workloadId(f), style: 'relation', label: 'logs in as' });
    }
  }

  for (const c of all) {
    if (c instanceof KafkaFunction || c instanceof KafkaTopic) continue;
    const fields = c as unknown as Record<string, unknown>;
    if (isTopic(fields.topic)) {
      const id = add({ id: `source_${safe(c.node.path)}`, kind: 'source', name: describeConstruct(c) });
      edge({ from: id, to: topicId(fields.topic), style: 'flow' });
    }
    const sinkArgs = deploymentSinks(fields.deployment);
    if (sinkArgs.length > 0) {
      const id = add({ id: `source_${safe(c.node.path)}`, kind: 'source', name: describeConstruct(c) });
      for (const s of sinkArgs) edge({ from: id, to: add({ id: `sink_${safe(s.url)}`, kind: 'sink', name: s.url, detail: sinkDetail(s.url, s.kind) }), style: 'flow' });
    }
    if (fields.function instanceof KafkaFunction && Array.isArray(sinksOf(c))) {
      sinksOf(c)!.forEach((sink, i) => {
        const spec = sink._bind(i).spec as { type: string; name?: string; url?: string; urlEnv?: string };
        const name = spec.name ?? sink.name ?? `${spec.type}-${i}`;
        const url = spec.url ?? (spec.type === 'notification-manager' ? DEFAULT_NOTIFICATION_MANAGER_URL : undefined);
        const where = url ?? (spec.urlEnv ? `${name}: URL from a Secret (env ${spec.urlEnv})` : name);
        edge({ from: workloadId(fields.function as KafkaFunction), to: add({ id: `sink_${safe(url ?? name)}`, kind: 'sink', name: where, detail: sinkDetail(url, spec.type) }), style: 'flow' });
      });
    }
    if (c instanceof KafkaLagScaler) {
      const id = add({ id: `scaler_${safe(c.node.path)}`, kind: 'scaler', name: `KEDA ${c.resource.name}`, detail: `${c.minReplicas}..${c.maxReplicas} pods, lag ${c.lagThreshold}` });
      edge({ from: id, to: workloadId(c.function), style: 'relation', label: 'scales' });
    }
    if (c instanceof KafkaUser) add({ id: `user_${safe(c.userName)}`, kind: 'user', name: c.userName, detail: `KafkaUser (${c.authentication})` });
  }

  // Notification Manager receivers take what reached a Notification Manager sink onward.
  const nmSinks = [...nodes.values()].filter((n) => n.kind === 'sink' && n.detail === NOTIFICATION_MANAGER);
  for (const o of apiObjects(all).filter((o) => o.apiGroup === 'notification.kubesphere.io' && o.kind === 'Receiver')) {
    const id = add({ id: `sink_nm_receiver_${safe(o.name)}`, kind: 'sink', name: `Notification Manager Receiver ${o.name}`, detail: receiverDetail(o.toJson()) });
    for (const nm of nmSinks) edge({ from: nm.id, to: id, style: 'flow' });
  }
  return { nodes: [...nodes.values()], edges };
}

/** PIPELINE.md: a heading, the Mermaid flowchart, and what the cluster needs. */
export function pipelineMarkdown(scope: IConstruct, env: string): { markdown: string; graph: PipelineGraph; prerequisites: string[] } {
  const graph = pipelineGraph(scope);
  const prerequisites = prerequisitesOf(scope, graph);
  const lines = [
    `# Klaxon pipeline: ${env}`,
    '',
    'Generated by `npm run synth` from the construct tree (constructs/pipeline-graph.ts); do not edit.',
    'Solid arrows carry data, dotted ones are dead letters and relations (KEDA scaling, Kafka logins).',
    '',
    '```mermaid',
    mermaid(graph),
    '```',
    '',
    'Needs in the cluster:',
    '',
    ...prerequisites.map((p) => `- ${p}`),
    '',
  ];
  return { markdown: lines.join('\n'), graph, prerequisites };
}

/** The Mermaid flowchart of a graph, one subgraph per node kind in data-flow order. */
export function mermaid(graph: PipelineGraph): string {
  const shape: Record<PipelineNodeKind, [string, string]> = {
    source: ['[/', '/]'], topic: ['[(', ')]'], workload: ['[[', ']]'], sink: ['>', ']'], scaler: ['{{', '}}'], user: ['([', '])'],
  };
  const titles: Record<PipelineNodeKind, string> = { source: 'Sources', topic: 'Kafka topics', workload: 'Workloads', sink: 'Sinks', scaler: 'Scaling', user: 'Kafka users' };
  const out = ['flowchart LR'];
  for (const kind of ['source', 'topic', 'workload', 'sink', 'scaler', 'user'] as PipelineNodeKind[]) {
    const members = graph.nodes.filter((n) => n.kind === kind);
    if (members.length === 0) continue;
    out.push(`  subgraph ${kind}s [${titles[kind]}]`);
    for (const n of members) out.push(`    ${n.id}${shape[kind][0]}"${text(n.name)}${n.detail ? `<br/><small>${text(n.detail)}</small>` : ''}"${shape[kind][1]}`);
    out.push('  end');
  }
  for (const e of graph.edges) {
    const arrow = e.style === 'flow' ? '-->' : '-.->';
    out.push(`  ${e.from} ${arrow}${e.label ? `|${text(e.label)}|` : ''} ${e.to}`);
  }
  return out.join('\n');
}

/** Operators by API group of the app's objects, then the sinks a workload posts to directly. */
function prerequisitesOf(scope: IConstruct, graph: PipelineGraph): string[] {
  const groups = new Set(apiObjects(scope.node.findAll()).map((o) => o.apiGroup));
  const out = Object.entries(OPERATORS).filter(([g]) => groups.has(g)).map(([, what]) => what);
  for (const n of graph.nodes.filter((x) => x.kind === 'sink' && !x.id.startsWith('sink_nm_receiver_'))) {
    const from = graph.edges.filter((e) => e.to === n.id).map((e) => graph.nodes.find((x) => x.id === e.from)!.name).join(', ');
    const hint = n.detail === NOTIFICATION_MANAGER ? '; without it, see README "Deploying to a cluster"' : '';
    out.push(`${n.detail} at ${n.name} (alerts from ${from}${hint})`);
  }
  return out;
}

/** Topic names an env names: a value (or a comma-separated part) that is a topic, or a prefix value plus a listed name. */
function writtenTopics(env: Record<string, string>, topics: Map<string, unknown>): string[] {
  const tokens = new Set(Object.values(env).flatMap((v) => v.split(/[\s,;"[\]{}:]+/)).filter((t) => t.length > 0));
  const found = new Set<string>();
  for (const t of tokens) if (topics.has(t)) found.add(t);
  for (const prefix of Object.values(env)) {
    for (const t of tokens) if (topics.has(`${prefix}${t}`)) found.add(`${prefix}${t}`);
  }
  return [...found].sort();
}

/** What a sink node is, by URL (Notification Manager's default service) or type. */
function sinkDetail(url: string | undefined, type: string): string {
  return url === DEFAULT_NOTIFICATION_MANAGER_URL ? NOTIFICATION_MANAGER : type;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function isTopic(x: unknown): x is { topicName: string } {
  return typeof x === 'object' && x !== null && typeof (x as { topicName?: unknown }).topicName === 'string';
}

function sinksOf(c: IConstruct): AlertSink[] | undefined {
  const sinks = (c as unknown as { sinks?: unknown }).sinks;
  return Array.isArray(sinks) && sinks.every((s) => s instanceof AlertSink) ? sinks : undefined;
}

/** `--sink=<kind>:<url>` arguments of a Deployment's containers (kube-eventer's way to name sinks). */
function deploymentSinks(deployment: unknown): { kind: string; url: string }[] {
  if (!(deployment instanceof ApiObject)) return [];
  const containers: { args?: string[] }[] = deployment.toJson()?.spec?.template?.spec?.containers ?? [];
  return containers.flatMap((c) => c.args ?? []).flatMap((a) => {
    const m = /^--sink=([a-z]+):(.*)$/.exec(a);
    return m ? [{ kind: m[1], url: m[2].split('?')[0] }] : [];
  });
}

function apiObjects(all: IConstruct[]): { apiGroup: string; kind: string; name: string; toJson: () => any }[] {
  return all.filter((c): c is ApiObject => c instanceof ApiObject).map((o) => ({ apiGroup: o.apiGroup, kind: o.kind, name: o.name, toJson: () => o.toJson() }));
}

function receiverDetail(json: any): string {
  const spec = json?.spec ?? {};
  if (spec.slack) return `slack ${(spec.slack.channels ?? []).join(', ')}`.trim();
  if (spec.webhook) return 'webhook';
  return Object.keys(spec).join(', ');
}

function describeConstruct(c: IConstruct): string {
  const cls = c.constructor.name;
  return c.node.id === cls ? cls : `${c.node.id} (${cls})`;
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '_');
}

function text(s: string): string {
  return s.replace(/"/g, '#quot;');
}
