import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Chart } from 'cdk8s';
import { AlertRule } from '../../../constructs/alerting/alert-rule';
import { AlertSink } from '../../../constructs/alerting/alert-sink';
import { DEFAULT_ALERTER_GROUP_ID, LogAlerter, LogAlerterProps } from '../../../constructs/workloads/log-alerter';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../../constructs/kafka/klaxon-topics';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { EXAMPLE_404_RULE, alertRuleProblems } from '../../../functions/contracts/alert-rules';
import { alertSinkProblems } from '../../../functions/contracts/alert-sinks';
import { messageOf, namespacedChart, oneOf, schemaProblems } from '../support';

const CODE = FunctionCode.fromBundle('"use strict";console.log("alerter");');
const RULE_404: AlertRule = { ...EXAMPLE_404_RULE, labels: { ...EXAMPLE_404_RULE.labels }, match: { ...EXAMPLE_404_RULE.match, namespaces: ['demo-project'] } };

function setup() {
  const chart = namespacedChart('klaxon');
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics');
  const slackSecret = kplus.Secret.fromSecretName(chart, 'SlackSecret', 'klaxon-slack');
  const hookSecret = kplus.Secret.fromSecretName(chart, 'HookSecret', 'klaxon-hook');
  return { chart, cluster, topics, slackSecret, hookSecret };
}

function alerter(chart: Chart, topics: KlaxonTopics, props: Partial<LogAlerterProps> = {}): LogAlerter {
  return new LogAlerter(chart, 'LogAlerter', {
    source: topics.logs,
    deadLetter: topics.deadLetter,
    code: CODE,
    rules: [RULE_404],
    sinks: [AlertSink.notificationManager()],
    ...props,
  });
}

function containerOf(chart: Chart): any {
  return oneOf(chart, 'Deployment').spec.template.spec.containers[0];
}

describe('LogAlerter', () => {
  test('the alerter reads the logs topic in group klaxon-log-alerter, dead-letters to klaxon.dead-letter, with its rules and sinks as JSON env', () => {
    // GIVEN
    const { chart, cluster, topics } = setup();
    // WHEN
    const a = alerter(chart, topics);
    // THEN
    const container = containerOf(chart);
    expect(container.name).toBe('log-alerter');
    expect(container.env).toEqual([
      { name: 'KAFKA_BROKERS', value: 'klaxon-kafka-bootstrap.klaxon.svc:9092' },
      { name: 'KAFKA_SOURCE_TOPIC', value: 'logs' },
      { name: 'KAFKA_GROUP_ID', value: 'klaxon-log-alerter' },
      { name: 'KAFKA_DEAD_LETTER_TOPIC', value: 'klaxon.dead-letter' },
      { name: 'KAFKA_CLIENT_ID', value: 'log-alerter' },
      { name: 'HTTP_PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'KLAXON_SHUTDOWN_TIMEOUT_MS', value: '8000' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=128 --max-semi-space-size=2' },
      { name: 'ALERTER_RULES', value: JSON.stringify([RULE_404]) },
      { name: 'ALERTER_SINKS', value: '[{"type":"notification-manager"}]' },
      { name: 'ALERTER_SINK_RETRY', value: 'topics' },
    ]);
    expect(a.group.groupId).toBe(DEFAULT_ALERTER_GROUP_ID);
    expect(a.group.cluster).toBe(cluster);
    expect(a.function.source).toBe(topics.logs);
    expect(a.function.deadLetter).toBe(topics.deadLetter);
    expect(a.function.group).toBe(a.group);
    expect(a.env).toEqual(Object.fromEntries(container.env.map((e: any) => [e.name, e.value])));
    expect(alertRuleProblems(JSON.parse(a.env.ALERTER_RULES))).toEqual([]);
  });

  test('Slack URLs and webhook header values come from Secret keys as mounted files, never in the manifest', () => {
    // GIVEN
    const { chart, topics, slackSecret, hookSecret } = setup();
    // WHEN
    alerter(chart, topics, {
      sinks: [
        AlertSink.notificationManager({ url: 'http://nm.monitoring.svc:19093/api/v2/alerts', timeout: Duration.seconds(5) }),
        AlertSink.alertmanager({ url: 'http://alertmanager-main.monitoring.svc:9093' }),
        AlertSink.slack({ webhookUrl: { secret: slackSecret, key: 'webhook-url' } }),
        AlertSink.webhook({ name: 'pager', url: 'https://pager.example/hook', method: 'PUT', headers: { 'X-Team': 'web' }, secretHeader: { name: 'Authorization', value: { secret: hookSecret, key: 'token' } } }),
      ],
    });
    // THEN
    const env = containerOf(chart).env as any[];
    const sinks = JSON.parse(env.find((e) => e.name === 'ALERTER_SINKS').value);
    expect(sinks).toEqual([
      { type: 'notification-manager', timeoutMs: 5000, url: 'http://nm.monitoring.svc:19093/api/v2/alerts' },
      { type: 'alertmanager', url: 'http://alertmanager-main.monitoring.svc:9093' },
      { type: 'slack', urlEnv: 'ALERTER_SECRET_2_URL' },
      { type: 'webhook', name: 'pager', url: 'https://pager.example/hook', method: 'PUT', headers: { 'X-Team': 'web' }, secretHeader: { name: 'Authorization', valueEnv: 'ALERTER_SECRET_3_HEADER' } },
    ]);
    expect(alertSinkProblems(sinks)).toEqual([]);
    expect(env.slice(-2)).toEqual([
      { name: 'ALERTER_SECRET_2_URL_FILE', value: '/etc/klaxon/secrets/secret-alerter-secret-2-url/value' },
      { name: 'ALERTER_SECRET_3_HEADER_FILE', value: '/etc/klaxon/secrets/secret-alerter-secret-3-header/value' },
    ]);
    expect(JSON.stringify(Testing.synth(chart))).not.toMatch(/hooks\.slack\.com/);
  });

  test('every prop reaches the manifest: group, record size, generator URL, workload options; the result is valid Kubernetes', () => {
    // GIVEN
    const { chart, cluster, topics } = setup();
    const group = new ConsumerGroup(cluster, 'AlerterGroup', { groupId: 'alerts-eu' });
    // WHEN
    const a = alerter(chart, topics, { group, maxRecordSize: Size.kibibytes(256), generatorUrl: 'https://logs.example/search', replicas: 2, logLevel: 'warn', env: { TZ: 'UTC' } });
    // THEN
    expect(a.group).toBe(group);
    expect(a.maxRecordBytes).toBe(262144);
    expect(a.env).toMatchObject({ KAFKA_GROUP_ID: 'alerts-eu', ALERTER_MAX_RECORD_BYTES: '262144', ALERTER_GENERATOR_URL: 'https://logs.example/search', LOG_LEVEL: 'warn', TZ: 'UTC' });
    expect(oneOf(chart, 'Deployment').spec.replicas).toBe(2);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('rules and sinks added after construction reach the manifest (lazy env) and are checked on entry', () => {
    // GIVEN
    const { chart, topics, slackSecret } = setup();
    const a = alerter(chart, topics);
    // WHEN
    a.addRule({ name: 'OOM', severity: 'critical', match: { log: 'OutOfMemoryError' }, throttle: Duration.minutes(10) });
    a.addSink(AlertSink.slack({ webhookUrl: { secret: slackSecret, key: 'url' } }));
    // THEN
    const env = containerOf(chart).env as any[];
    expect(JSON.parse(env.find((e) => e.name === 'ALERTER_RULES').value).map((r: any) => [r.name, r.throttleSeconds])).toEqual([
      ['404 Request', undefined],
      ['OOM', 600],
    ]);
    expect(env.find((e) => e.name === 'ALERTER_SECRET_1_URL_FILE')).toEqual({ name: 'ALERTER_SECRET_1_URL_FILE', value: '/etc/klaxon/secrets/secret-alerter-secret-1-url/value' });
    expect(a.rules.map((r) => r.name)).toEqual(['404 Request', 'OOM']);
    expect(a.sinks.map((s) => s.type)).toEqual(['notification-manager', 'slack']);
    expect(messageOf(() => a.addRule({ name: 'OOM', match: { log: 'x' } }))).toBe(
      "'rules[2].name' (\"OOM\") of LogAlerter 'log-alerter' is also the name of rules[1]; rule names are alertnames and must be unique.",
    );
  });

  test('the alerter authenticates as its KafkaUser, which is granted Read on logs in the alerter group, Write on the dead-letter topic, and Read and Write on its retry topics in their groups', () => {
    // GIVEN a cluster whose workload listener authenticates with SCRAM
    const chart = namespacedChart('klaxon');
    const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }], workloadListener: 'scram' });
    const topics = new KlaxonTopics(cluster, 'Topics');
    const user = new KafkaUser(cluster, 'AlerterUser', { userName: 'log-alerter', authentication: 'scram-sha-512' });
    // WHEN
    const a = alerter(chart, topics, { user });
    // THEN
    expect(user.aclRules).toEqual([
      { resourceType: 'topic', name: 'logs', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'group', name: 'klaxon-log-alerter', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'topic', name: 'klaxon.dead-letter', patternType: 'literal', operations: ['Write', 'Describe'] },
      { resourceType: 'topic', name: 'klaxon-log-alerter.retry.notification-manager', patternType: 'literal', operations: ['Read', 'Write', 'Describe'] },
      { resourceType: 'group', name: 'klaxon-log-alerter.retry.notification-manager', patternType: 'literal', operations: ['Read', 'Describe'] },
    ]);
    expect(a.function.user).toBe(user);
    expect(a.function.kafkaAccess.env).toContainEqual({ name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/klaxon/kafka/sasl/password' });
    expect(a.function.kafkaAccess.volumes).toContainEqual({ name: 'kafka-sasl', secret: { secretName: 'log-alerter', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } });
  });

  test('fails if a rule pattern is not a regular expression', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ name: '404', match: { pod: 'wordpress-[' } }] }))).toBe(
      "'rules[0].match.pod' (\"wordpress-[\") of LogAlerter 'log-alerter' is not a valid regular expression: Invalid regular expression: /wordpress-[/: Unterminated character class.",
    );
  });

  test('fails if a rule has an empty name', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ name: '', match: { log: 'x' } }] }))).toBe(
      "'rules[0].name' (\"\") of LogAlerter 'log-alerter' must be a non-empty string: it becomes the alertname label.",
    );
  });

  test('fails if a rule label name is not a Prometheus label name', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ name: 'r', match: { log: 'x' }, labels: { 'app.kubernetes.io/name': 'web' } }] }))).toBe(
      "'rules[0].labels.app.kubernetes.io/name' (\"web\") of LogAlerter 'log-alerter' has label name \"app.kubernetes.io/name\", which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'.",
    );
  });

  test('fails if a template uses an unknown placeholder', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ name: 'r', match: { log: 'x' }, summary: '{{host}}' }] }))).toBe(
      "'rules[0].summary' (\"{{host}}\") of LogAlerter 'log-alerter' uses unknown placeholder {{host}}; known: {{rule}}, {{severity}}, {{namespace}}, {{pod}}, {{container}}, {{image}}, {{node}}, {{stream}}, {{log}}, {{time}}, {{group.<name>}}, {{field.<key>}}.",
    );
  });

  test('fails if two rules have the same name', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [RULE_404, RULE_404] }))).toBe(
      "'rules[1].name' (\"404 Request\") of LogAlerter 'log-alerter' is also the name of rules[0]; rule names are alertnames and must be unique.",
    );
  });

  test('fails if a throttle is not whole seconds', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ ...RULE_404, throttle: Duration.millis(1500) }] }))).toBe(
      "'rules[0].throttle' (\"1 second 500 millis\") of LogAlerter 'log-alerter' must be a whole number of seconds.",
    );
  });

  test('fails if a throttle is longer than a week', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [{ ...RULE_404, throttle: Duration.days(8) }] }))).toBe(
      "'rules[0].throttle' (\"691200 seconds\") of LogAlerter 'log-alerter' must be a whole number of seconds from 0 to 604800 (one week).",
    );
  });

  test('fails if a sink URL is not http(s)', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { sinks: [AlertSink.alertmanager({ url: 'alertmanager:9093' })] }))).toBe(
      "'sinks[0].url' (\"alertmanager:9093\") of LogAlerter 'log-alerter' must be an http:// or https:// URL.",
    );
  });

  test('fails if two sinks have the same name', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { sinks: [AlertSink.notificationManager({ name: 'ops' }), AlertSink.alertmanager({ name: 'ops', url: 'http://am:9093' })] }))).toBe(
      "'sinks[1].name' (\"ops\") of LogAlerter 'log-alerter' is also the name of sinks[0]; give each sink its own 'name'.",
    );
  });

  test('fails if a sink timeout is out of range', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { sinks: [AlertSink.notificationManager({ timeout: Duration.minutes(10) })] }))).toBe(
      "'sinks[0].timeout' (\"600000 ms\") of LogAlerter 'log-alerter' must be a whole number of milliseconds from 100 to 300000.",
    );
  });

  test('fails if a webhook sets a header the alerter sets', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { sinks: [AlertSink.webhook({ url: 'http://h/', headers: { 'content-type': 'text/plain' } })] }))).toBe(
      "'sinks[0].headers.content-type' (\"text/plain\") of LogAlerter 'log-alerter' is set by the alerter (application/json).",
    );
  });

  test('fails if the record size is out of range', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { maxRecordSize: Size.mebibytes(100) }))).toBe(
      "'maxRecordSize' (\"104857600 bytes\") of LogAlerter 'log-alerter' must be a whole number of bytes from 1 KiB to 64 MiB.",
    );
  });

  test('fails if the generator URL is not a URL', () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { generatorUrl: 'logs' }))).toBe("'generatorUrl' (\"logs\") of LogAlerter 'log-alerter' must be an http:// or https:// URL.");
  });

  test('fails at synth if there is no rule or no sink', () => {
    const { chart, topics } = setup();
    alerter(chart, topics, { rules: [], sinks: [] });
    expect(messageOf(() => Testing.synth(chart))).toContain(
      "'rules' ([]) of LogAlerter 'log-alerter' must list at least one log rule (or call addRule): no log line would ever alert.",
    );
    expect(messageOf(() => Testing.synth(chart))).toContain("'sinks' ([]) of LogAlerter 'log-alerter' must list at least one sink (or call addSink): alerts would go nowhere.");
  });
});

describe('LogAlerter secret env', () => {
  test("fails if 'env' sets the variable a sink reads its Secret from", () => {
    const { chart, topics, slackSecret } = setup();
    expect(messageOf(() => alerter(chart, topics, { env: { ALERTER_SECRET_0_URL: 'https://hooks.slack.com/x' }, sinks: [AlertSink.slack({ webhookUrl: { secret: slackSecret, key: 'url' } })] }))).toBe(
      "'env' (\"ALERTER_SECRET_0_URL\") of LogAlerter 'log-alerter' is the variable sink 0 reads its Secret from; remove it from 'env'.",
    );
  });
});

describe('LogAlerter event rules', () => {
  const CRASH: AlertRule = {
    name: 'PodCrashLooping',
    event: { types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'] },
    threshold: { count: 3, window: Duration.minutes(10) },
    for: Duration.seconds(30),
    repeatInterval: Duration.hours(1),
  };

  test("run in a sibling Deployment 'event-alerter' on the Events topic, in its own group, with the same sinks and their Secrets", () => {
    // GIVEN
    const { chart, topics, slackSecret } = setup();
    // WHEN
    const a = alerter(chart, topics, { events: topics.clusterEvents, rules: [RULE_404, CRASH], sinks: [AlertSink.slack({ webhookUrl: { secret: slackSecret, key: 'url' } })] });
    // THEN
    const deployments = Testing.synth(chart).filter((o) => o.kind === 'Deployment');
    expect(deployments).toHaveLength(2);
    const env = (name: string) => deployments.find((d) => d.spec.template.spec.containers[0].name === name).spec.template.spec.containers[0].env as any[];
    const value = (name: string, key: string) => env(name).find((e) => e.name === key)?.value;
    expect(JSON.parse(value('log-alerter', 'ALERTER_RULES')).map((r: any) => r.name)).toEqual(['404 Request']);
    expect(value('log-alerter', 'ALERTER_INPUT')).toBeUndefined();
    expect(value('event-alerter', 'ALERTER_INPUT')).toBe('events');
    expect(value('event-alerter', 'KAFKA_SOURCE_TOPIC')).toBe('cluster-events');
    expect(value('event-alerter', 'KAFKA_GROUP_ID')).toBe('klaxon-event-alerter');
    expect(JSON.parse(value('event-alerter', 'ALERTER_RULES'))).toEqual([
      { name: 'PodCrashLooping', event: CRASH.event, threshold: { count: 3, windowSeconds: 600 }, forSeconds: 30, repeatIntervalSeconds: 3600 },
    ]);
    expect(value('event-alerter', 'ALERTER_SINKS')).toBe(value('log-alerter', 'ALERTER_SINKS'));
    // the Slack URL as a file mounted from the same Secret key in both
    const volumes = (name: string) => deployments.find((d) => d.spec.template.spec.containers[0].name === name).spec.template.spec.volumes as any[];
    expect(value('event-alerter', 'ALERTER_SECRET_0_URL_FILE')).toBe(value('log-alerter', 'ALERTER_SECRET_0_URL_FILE'));
    const secretOf = (name: string) => volumes(name).filter((v) => v.secret).map((v) => ({ secretName: v.secret.secretName, keys: v.secret.items.map((i: any) => i.key) }));
    expect(secretOf('event-alerter')).toEqual(secretOf('log-alerter'));
    expect(secretOf('event-alerter')).toContainEqual({ secretName: 'klaxon-slack', keys: ['url'] });
    expect(a.eventFunction?.workloadName).toBe('event-alerter');
  });

  test("fails if an event rule is given without 'events', naming the rule", () => {
    const { chart, topics } = setup();
    expect(messageOf(() => alerter(chart, topics, { rules: [RULE_404, CRASH] }))).toBe(
      `'rules[1].event' (${JSON.stringify(CRASH.event)}) of LogAlerter 'log-alerter' makes 'PodCrashLooping' an event rule, but 'events' is not set: give the Events topic (KlaxonTopics.clusterEvents).`,
    );
  });

  test('fails naming the Duration prop when a window is not whole seconds, and the threshold fields the validator refuses', () => {
    const { chart, topics } = setup();
    const bad: AlertRule = { ...CRASH, threshold: { count: 0, window: Duration.millis(1500) } };
    expect(messageOf(() => alerter(chart, topics, { events: topics.clusterEvents, rules: [RULE_404, bad] }))).toBe(
      [
        `'rules[1].threshold.window' ("1 second 500 millis") of LogAlerter 'log-alerter' must be a whole number of seconds.`,
        `'rules[1].threshold.count' (0) of LogAlerter 'log-alerter' must be a whole number from 1 to 1000000.`,
      ].join('\n'),
    );
  });
});

describe('LogAlerter sink grouping', () => {
  test("renders a webhook's group with its durations in seconds, and names a bad one", () => {
    const { chart, topics } = setup();
    const a = alerter(chart, topics, {
      sinks: [AlertSink.webhook({ url: 'http://hooks.example/alerts', group: { by: ['alertname', 'namespace'], wait: Duration.seconds(10), interval: Duration.minutes(2) } })],
    });
    expect(JSON.parse(a.env.ALERTER_SINKS)).toEqual([{ type: 'webhook', url: 'http://hooks.example/alerts', group: { by: ['alertname', 'namespace'], waitSeconds: 10, intervalSeconds: 120 } }]);
    const { chart: c2, topics: t2 } = setup();
    expect(messageOf(() => alerter(c2, t2, { sinks: [AlertSink.webhook({ url: 'http://hooks.example/alerts', group: { by: ['alert-name'] } })] }))).toBe(
      `'sinks[0].group.by' (["alert-name"]) of LogAlerter 'log-alerter' must be a non-empty list of label names (e.g. ["alertname", "namespace"]).`,
    );
  });
});
