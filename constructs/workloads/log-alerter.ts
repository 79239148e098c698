/**
 * log-alerter: consumes container log records (the logs topic), raises an alert for each record a
 * rule matches, and delivers it to every sink (Notification Manager, Alertmanager, Slack, a webhook)
 * before committing the record; records it cannot read, or that a sink refuses for good, go to the
 * dead-letter topic. A KafkaFunction (id 'Resource') wired by object to its topics and group, so a
 * KEDA scaler attached to `.function` watches the same topic and group.
 *
 * main.ts / pipeline.ts:
 *
 *   const code = FunctionCode.fromBundle(fs.readFileSync(bundlePath('log-alerter')));
 *   new LogAlerter(chart, 'LogAlerter', {
 *     source: topics.logs,
 *     deadLetter: topics.deadLetter,
 *     code,
 *     rules: [{ name: '404 Request', match: { namespaces: ['demo-project'], log: '" 404 ' }, throttle: Duration.minutes(5) }],
 *     sinks: [AlertSink.notificationManager(), AlertSink.slack({ webhookUrl: { secret, key: 'url' } })],
 *   });
 *
 * Rules and sinks are checked at synth with the validator the workload runs at start
 * (functions/contracts/alert-rules.ts, alert-sinks.ts); `addRule`/`addSink` check on entry.
 *
 * Event rules (`event: {...}`) run in a sibling Deployment of the same bundle, `event-alerter`
 * (`.eventFunction`, id 'Events', ALERTER_INPUT=events), reading the `events` topic
 * (KlaxonTopics.clusterEvents) in its own group: the runtime consumes one topic per process, and
 * Events and log lines differ in volume, keying and scaling (a few Events a second, keyed by object,
 * one replica holds every window; log lines by the thousand, keyed by namespace/pod, scaled on lag).
 * The rule language, validator, lifecycle and sinks are the same.
 */
import { Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertRuleSpec } from '../../functions/contracts/alert-rules';
import { AlertSinkSpec, alertSinkProblems, sinkNames } from '../../functions/contracts/alert-sinks';
import { ALERTER_MAX_RECORD_BYTES_RANGE, AlerterEnv, DEFAULT_ALERTER_MAX_RECORD_BYTES, WORKLOAD_IDENTITIES } from '../../functions/contracts/workload-env';
import { ConsumerGroup } from '../kafka/consumer-group';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { checkUrl, describeProp, PropError } from '../validation';
import { FunctionCode } from './function-code';
import { KafkaFunction, KafkaFunctionOptions } from './kafka-function';
import { AlertRule, alertRuleSpecs } from '../alerting/alert-rule';
import { AlertSink, BoundAlertSink } from '../alerting/alert-sink';
import { SinkRetryTopics } from '../alerting/sink-retry-topics';

/** The consumer group id of the log-alerter unless a ConsumerGroup is given. */
export const DEFAULT_ALERTER_GROUP_ID = WORKLOAD_IDENTITIES.logAlerter.groupId;

/** The workload name (container, labels, client id) of the log-alerter. */
export const ALERTER_WORKLOAD_NAME = WORKLOAD_IDENTITIES.logAlerter.name;

/** The consumer group id of the event rules' Deployment unless an `eventsGroup` is given. */
export const DEFAULT_EVENT_ALERTER_GROUP_ID = WORKLOAD_IDENTITIES.eventAlerter.groupId;


/** Props of LogAlerter. */
export interface LogAlerterProps extends KafkaFunctionOptions {
  /** The topic of container log records (KlaxonTopics.logs). */
  readonly source: IKafkaTopic;
  /** Where unreadable records and records a sink refuses go (KlaxonTopics.deadLetter). */
  readonly deadLetter: IKafkaTopic;
  /** The bundle of functions/log-alerter (`FunctionCode.fromBundle(bytes)`) or an image. */
  readonly code: FunctionCode;
  /** Alert rules; at least one by synth (more with `addRule`). */
  readonly rules: AlertRule[];
  /** Where alerts go, every one of them; at least one by synth (more with `addSink`). */
  readonly sinks: AlertSink[];
  /** The consumer group. @default - a ConsumerGroup 'klaxon-log-alerter' in the source topic's cluster */
  readonly group?: ConsumerGroup;
  /** Records larger than this are dead-lettered unread (ALERTER_MAX_RECORD_BYTES). @default Size.mebibytes(1) */
  readonly maxRecordSize?: Size;
  /** `generatorURL` of every alert, e.g. a log search page. @default - none */
  readonly generatorUrl?: string;
  /** The KafkaUser the alerter authenticates as (required when the workload listener authenticates); granted Read on logs in its group and Write on dead letters. @default - none */
  readonly user?: KafkaUser;
  /** The topic of Kubernetes Events that event rules read (KlaxonTopics.clusterEvents); required once a rule has `event`. @default - no event rules */
  readonly events?: IKafkaTopic;
  /** The consumer group of the event rules' Deployment. @default - a ConsumerGroup 'klaxon-event-alerter' */
  readonly eventsGroup?: ConsumerGroup;
}

/** The log-alerter workload: a KafkaFunction (id 'Resource') with typed rules and sinks. */
export class LogAlerter extends Construct {
  /** The function (Deployment, ServiceAccount, code ConfigMap); give it to a KEDA scaler. */
  public readonly function: KafkaFunction;
  /** Its consumer group. */
  public readonly group: ConsumerGroup;
  /** The consumed topic. */
  public readonly source: IKafkaTopic;
  /** The dead-letter topic. */
  public readonly deadLetter: IKafkaTopic;
  /** ALERTER_MAX_RECORD_BYTES. */
  public readonly maxRecordBytes: number;
  /** The sinks' retry topics `<group>.retry.<sink>` and their groups (what a sink cannot take now is parked there). */
  public readonly retryTopics: SinkRetryTopics;
  /** The retry topics of the event rules' Deployment, once an event rule is added. */
  public eventRetryTopics?: SinkRetryTopics;

  /** The event rules' Deployment (id 'Events', workload 'event-alerter'), once an event rule is added. */
  public eventFunction?: KafkaFunction;

  private readonly owner: string;
  private readonly _rules: AlertRule[] = [];
  private readonly _ruleSpecs: AlertRuleSpec[] = [];
  private readonly _eventRuleSpecs: AlertRuleSpec[] = [];
  private readonly eventsTopic?: IKafkaTopic;
  private readonly makeEventFunction: () => KafkaFunction;
  private readonly _sinks: AlertSink[] = [];
  private readonly _boundSinks: BoundAlertSink[] = [];

  constructor(scope: Construct, id: string, props: LogAlerterProps) {
    super(scope, id);
    this.owner = `LogAlerter '${ALERTER_WORKLOAD_NAME}'`;
    for (const prop of ['source', 'deadLetter'] as const) {
      if (!props[prop]) throw new PropError(`${describeProp(prop, undefined, this.owner)} must be set: a KafkaTopic object (KlaxonTopics.${prop === 'source' ? 'logs' : 'deadLetter'}).`);
    }
    this.source = props.source;
    this.deadLetter = props.deadLetter;
    this.group = props.group ?? new ConsumerGroup(this, 'Group', { cluster: this.source.cluster, groupId: DEFAULT_ALERTER_GROUP_ID });
    this.maxRecordBytes = checkRecordSize(props.maxRecordSize, this.owner);
    if (props.generatorUrl !== undefined) checkUrl('generatorUrl', props.generatorUrl, this.owner);

    const { source, deadLetter, code, rules, sinks, group: _group, maxRecordSize: _max, generatorUrl, user, events, eventsGroup, ...options } = props;
    this.eventsTopic = events;
    this.makeEventFunction = () => {
      const fn = new KafkaFunction(this, 'Events', {
        ...options,
        code,
        workloadName: WORKLOAD_IDENTITIES.eventAlerter.name,
        cluster: source.cluster,
        source: events!,
        group: eventsGroup ?? new ConsumerGroup(this, 'EventsGroup', { cluster: source.cluster, groupId: DEFAULT_EVENT_ALERTER_GROUP_ID }),
        deadLetter,
        user,
      });
      fn.addEnv(AlerterEnv.INPUT, 'events');
      fn.addEnv(AlerterEnv.RULES, () => JSON.stringify(this._eventRuleSpecs));
      fn.addEnv(AlerterEnv.SINKS, () => JSON.stringify(this._boundSinks.map((s) => s.spec)));
      if (this.maxRecordBytes !== DEFAULT_ALERTER_MAX_RECORD_BYTES) fn.addEnv(AlerterEnv.MAX_RECORD_BYTES, String(this.maxRecordBytes));
      if (generatorUrl !== undefined) fn.addEnv(AlerterEnv.GENERATOR_URL, generatorUrl);
      for (const bound of this._boundSinks) for (const secret of bound.secrets) fn.addSecretEnv(secret.name, secret.value);
      const retry = new SinkRetryTopics(this, 'EventRetryTopics', { function: fn });
      const names = sinkNames(this._boundSinks.map((b) => b.spec));
      this._boundSinks.forEach((b, i) => retry.addSink(names[i], b.spec));
      this.eventRetryTopics = retry;
      return fn;
    };
    this.function = new KafkaFunction(this, 'Resource', {
      ...options,
      code,
      workloadName: ALERTER_WORKLOAD_NAME,
      cluster: source.cluster,
      source,
      group: this.group,
      deadLetter,
      user,
    });
    this.function.addEnv(AlerterEnv.RULES, () => JSON.stringify(this._ruleSpecs));
    this.function.addEnv(AlerterEnv.SINKS, () => JSON.stringify(this._boundSinks.map((s) => s.spec)));
    if (this.maxRecordBytes !== DEFAULT_ALERTER_MAX_RECORD_BYTES) this.function.addEnv(AlerterEnv.MAX_RECORD_BYTES, String(this.maxRecordBytes));
    if (generatorUrl !== undefined) this.function.addEnv(AlerterEnv.GENERATOR_URL, generatorUrl);
    this.retryTopics = new SinkRetryTopics(this, 'RetryTopics', { function: this.function });

    if (!Array.isArray(rules)) throw new PropError(`${describeProp('rules', rules, this.owner)} must be a list of rules.`);
    if (!Array.isArray(sinks)) throw new PropError(`${describeProp('sinks', sinks, this.owner)} must be a list of sinks.`);
    this.addRules(...rules);
    for (const sink of sinks) this.addSink(sink);
    this.node.addValidation({
      validate: () => [
        ...(this._ruleSpecs.length === 0 ? [`${describeProp('rules', [], this.owner)} must list at least one log rule (or call addRule): no log line would ever alert.`] : []),
        ...(this._sinks.length === 0 ? [`${describeProp('sinks', [], this.owner)} must list at least one sink (or call addSink): alerts would go nowhere.`] : []),
      ],
    });
  }

  /** Adds rules; the whole list is checked again (names stay unique). */
  public addRules(...rules: AlertRule[]): void {
    const all = [...this._rules, ...rules];
    const specs = alertRuleSpecs(all, this.owner);
    const eventSpecs = specs.filter((s) => s.event !== undefined);
    if (eventSpecs.length > 0 && !this.eventsTopic) {
      const i = specs.findIndex((s) => s.event !== undefined);
      throw new PropError(`${describeProp(`rules[${i}].event`, eventSpecs[0].event, this.owner)} makes '${eventSpecs[0].name}' an event rule, but 'events' is not set: give the Events topic (KlaxonTopics.clusterEvents).`);
    }
    this._rules.push(...rules);
    this._ruleSpecs.splice(0, this._ruleSpecs.length, ...specs.filter((s) => s.event === undefined));
    this._eventRuleSpecs.splice(0, this._eventRuleSpecs.length, ...eventSpecs);
    if (eventSpecs.length > 0) this.eventFunction ??= this.makeEventFunction();
  }

  /** Adds one rule (see addRules). */
  public addRule(rule: AlertRule): void {
    this.addRules(rule);
  }

  /** Adds a sink: checked with the others (names stay unique); its secrets become env from Secret keys. */
  public addSink(sink: AlertSink): void {
    if (!(sink instanceof AlertSink)) {
      throw new PropError(`${describeProp(`sinks[${this._sinks.length}]`, sink, this.owner)} is not an AlertSink; use AlertSink.notificationManager(), .alertmanager(), .slack() or .webhook().`);
    }
    const bound = sink._bind(this._sinks.length);
    const specs: AlertSinkSpec[] = [...this._boundSinks.map((b) => b.spec), bound.spec];
    const problems = alertSinkProblems(specs).filter((p) => p.index === specs.length - 1);
    if (problems.length > 0) {
      throw new PropError(
        problems
          .map((p) => {
            const field = p.field === 'timeoutMs' ? 'timeout' : p.field;
            const value = p.field === 'timeoutMs' && typeof p.value === 'number' ? `${p.value} ms` : p.value;
            return `${describeProp(`sinks[${p.index}]${field ? `.${field}` : ''}`, value, this.owner)} ${p.problem}.`;
          })
          .join('\n'),
      );
    }
    for (const secret of bound.secrets) {
      if (!secret.value?.secret || typeof secret.value.key !== 'string' || secret.value.key === '') {
        throw new PropError(`${describeProp(`sinks[${this._sinks.length}]`, sink.type, this.owner)} needs a Secret reference ({ secret, key }) with a non-empty key.`);
      }
      if (secret.name in this.function.env) {
        throw new PropError(`${describeProp('env', secret.name, this.owner)} is the variable sink ${this._sinks.length} reads its Secret from; remove it from 'env'.`);
      }
      this.function.addSecretEnv(secret.name, secret.value);
      this.eventFunction?.addSecretEnv(secret.name, secret.value);
    }
    this._sinks.push(sink);
    this._boundSinks.push(bound);
    const name = sinkNames(specs)[specs.length - 1];
    this.retryTopics.addSink(name, bound.spec);
    this.eventRetryTopics?.addSink(name, bound.spec);
  }

  /** The rules (a copy). */
  public get rules(): AlertRule[] {
    return [...this._rules];
  }

  /** The sinks (a copy). */
  public get sinks(): AlertSink[] {
    return [...this._sinks];
  }

  /** The plain env of the alerter container, as rendered (a copy; Secret-backed variables are not in it). */
  public get env(): Record<string, string> {
    return this.function.env;
  }

  /**
   * Grant `user` Read on the logs topic in the alerter's group, Write on the dead-letter topic, and
   * Read and Write on the sinks' retry topics in their retry groups (and the same for the Events
   * topic and the event group's retry topics, with event rules).
   */
  public grantTo(user: KafkaUser): void {
    this.function.grantTo(user);
    this.retryTopics.grantTo(user);
    this.eventFunction?.grantTo(user);
    this.eventRetryTopics?.grantTo(user);
  }
}

function checkRecordSize(size: Size | undefined, owner: string): number {
  if (size === undefined) return DEFAULT_ALERTER_MAX_RECORD_BYTES;
  const bytes = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
  if (!Number.isInteger(bytes) || bytes < ALERTER_MAX_RECORD_BYTES_RANGE.min || bytes > ALERTER_MAX_RECORD_BYTES_RANGE.max) {
    throw new PropError(`${describeProp('maxRecordSize', `${bytes} bytes`, owner)} must be a whole number of bytes from 1 KiB to 64 MiB.`);
  }
  return bytes;
}
