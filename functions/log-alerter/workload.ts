/**
 * log-alerter as a runtime workload: reads container log records from the logs topic (input `logs`)
 * or Kubernetes Events from an events topic (input `events`, ALERTER_INPUT), evaluates the rules
 * (rules.ts, events.ts, pure) and delivers each alert to every sink (sinks.ts) before the record's
 * offset is resolved. Writes nothing to Kafka except dead letters and parked alerts.
 *
 * Per record:
 *  - logs: a record the prefilter (prefilter.ts) shows no rule can match → handled unread, synchronously;
 *  - unreadable (empty, too large, not JSON, not a container log record / Event) → dead letter;
 *  - a threshold rule's occurrence goes to the tracker (tracker.ts); when it makes the alert fire,
 *    the firing alert is delivered like any other; refreshes, repeats, resolves and firings after
 *    a `for` come from a timer and go out in the background (notices.ts);
 *  - no rule fires, or every alert is throttled → handled, nothing sent (no promise made);
 *  - otherwise every (alert, sink) pair is queued on the sink's lane (sink-lane.ts): each sink gets
 *    its alerts in record order, one request at a time, the alerts that waited meanwhile together in
 *    one request where the sink takes several (Notification Manager, Alertmanager). With retry topics
 *    up to CONCURRENT_RECORDS records are in delivery at once while the runtime reads on (it still
 *    resolves them in order). A sink that is down, times out or answers
 *    408/425/429/5xx makes the handler throw `RetryableError` (with the sink's Retry-After): the
 *    runtime calls it again for the same record, without limit, heartbeating, and stops on SIGTERM
 *    without committing the record. Pairs already accepted are remembered for the record (by topic,
 *    partition, offset) and not sent again. With ALERTER_SINK_RETRY=topics (what the LogAlerter
 *    renders) the failing pair is parked in the sink's retry topic instead (sink-retry.ts), so is
 *    every later alert for that sink until its retry consumer has delivered the backlog, and the
 *    record is resolved; only a retry topic the broker does not take makes the handler throw
 *    `RetryableError`. A sink that refuses for good (another 4xx) does not get
 *    the alert again; once every other sink has it, the record is dead-lettered with reason
 *    `sink-rejected:<sink>` and the refusals in `klaxon.error`.
 *
 * One file of about 430 lines: the handler's state (records in delivery, throttle, tracker, lanes)
 * is shared by the closures here; the pure parts live in the files named above.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { AlertInput, AlertRuleSpec, DEFAULT_REPEAT_INTERVAL_SECONDS, alertRuleProblems, formatRuleProblem } from '../contracts/alert-rules';
import { AlertSinkSpec, alertSinkProblems, formatSinkProblem, sinkNames } from '../contracts/alert-sinks';
import { ALERTER_MAX_RECORD_BYTES_RANGE, AlerterEnv, DEFAULT_ALERTER_MAX_RECORD_BYTES, SinkRetryMode, WORKLOAD_IDENTITIES } from '../contracts/workload-env';
import { DEFAULT_LOGS_TOPIC } from '../contracts/topic-names';
import { ConfigError, integer } from '../runtime/config';
import { DeadLetter, Handler, HandlerResult, RetryableError, SourceRecord } from '../runtime/handler';
import type { WorkloadDefinition } from '../runtime/lifecycle';
import { EventCounts, buildEventAlert, compileEventRules, matchEvent, parseAlertableEvent } from './events';
import { AlertGrouper } from './grouper';
import { NoticeDispatcher } from './notices';
import { RecordPrefilter } from './prefilter';
import { AlerterReasons, MatchedAlert, Throttle, compileRules, evaluate, parseLogRecord } from './rules';
import { SinkLane } from './sink-lane';
import { SinkRetry } from './sink-retry';
import { Sink, createSinks, deliver } from './sinks';
import { AlertTracker, Notice, TrackedRule } from './tracker';

/** Parses a JSON setting; the value's own checks come after. */
function json(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new Error(`is not JSON: ${(e as Error).message}`);
  }
}

function rulesSetting(raw: string): readonly AlertRuleSpec[] {
  const rules = json(raw);
  const problems = alertRuleProblems(rules);
  if (problems.length > 0) throw new Error(problems.map(formatRuleProblem).join('; '));
  return rules as AlertRuleSpec[];
}

function generatorUrl(raw: string): string {
  try {
    new URL(raw);
  } catch {
    throw new Error('must be an absolute URL');
  }
  return raw;
}

export const alerterSettings = {
  rules: {
    env: AlerterEnv.RULES,
    description: 'JSON array of alert rules (functions/contracts/alert-rules.ts)',
    default: [] as readonly AlertRuleSpec[],
    parse: rulesSetting,
  },
  sinks: {
    env: AlerterEnv.SINKS,
    description: 'JSON array of alert sinks (functions/contracts/alert-sinks.ts)',
    default: undefined as unknown,
    parse: json,
  },
  maxRecordBytes: {
    env: AlerterEnv.MAX_RECORD_BYTES,
    description: 'records larger than this are dead-lettered unread',
    default: DEFAULT_ALERTER_MAX_RECORD_BYTES,
    parse: integer(ALERTER_MAX_RECORD_BYTES_RANGE.min, ALERTER_MAX_RECORD_BYTES_RANGE.max),
  },
  generatorURL: {
    env: AlerterEnv.GENERATOR_URL,
    description: 'generatorURL of every alert',
    default: '',
    parse: generatorUrl,
  },
  input: {
    env: AlerterEnv.INPUT,
    description: "what the alerter reads: 'logs' (log rules) or 'events' (event rules)",
    default: 'logs' as AlertInput,
    parse: (raw: string): AlertInput => {
      if (raw !== 'logs' && raw !== 'events') throw new Error("must be 'logs' or 'events'");
      return raw;
    },
  },
  sinkRetry: {
    env: AlerterEnv.SINK_RETRY,
    description: "'topics': park what a sink cannot take now in its retry topic (sink-retry.ts); 'in-place': retry the record uncommitted",
    default: 'in-place' as SinkRetryMode,
    parse: (raw: string): SinkRetryMode => {
      if (raw !== 'topics' && raw !== 'in-place') throw new Error("must be 'topics' or 'in-place'");
      return raw;
    },
  },
} as const;

/** How often the tracker is advanced (resolves, refreshes, repeats, pending alerts whose `for` passed). */
export const TICK_MS = 1000;

/** The tracker settings of a threshold rule. */
function trackedRule(spec: AlertRuleSpec): TrackedRule | undefined {
  if (!spec.threshold) return undefined;
  return {
    name: spec.name,
    count: spec.threshold.count,
    windowMs: spec.threshold.windowSeconds * 1000,
    forMs: (spec.forSeconds ?? 0) * 1000,
    repeatMs: (spec.repeatIntervalSeconds ?? DEFAULT_REPEAT_INTERVAL_SECONDS) * 1000,
  };
}

/** Delivery state of one record while its alerts are being delivered. */
interface RecordDelivery {
  readonly alerts: readonly MatchedAlert[];
  /** `<alert index>/<sink name>` pairs a sink accepted. */
  readonly accepted: Set<string>;
  /** Same keys → why the sink refused for good. */
  readonly refused: Map<string, string>;
}

/** Records remembered in delivery at most (a record abandoned by a rebalance is forgotten eventually). */
const MAX_IN_DELIVERY = 1000;

/**
 * Records whose alerts may be in delivery at once with ALERTER_SINK_RETRY=topics (the sinks' agents
 * keep up to 32 connections each). Each sink still gets its alerts in record order (one delivery per
 * sink at a time); with `in-place` retries a record is delivered only after the one before it.
 */
export const CONCURRENT_RECORDS = 32;

/** Most alerts in one request to a sink that takes several (Notification Manager, Alertmanager). */
export const MAX_ALERTS_PER_REQUEST = 64;

export const logAlerter: WorkloadDefinition<typeof alerterSettings> = {
  defaults: { sourceTopic: DEFAULT_LOGS_TOPIC, groupId: WORKLOAD_IDENTITIES.logAlerter.groupId, clientId: WORKLOAD_IDENTITIES.logAlerter.name },
  settings: alerterSettings,
  handlerConcurrency: (settings) => (settings.sinkRetry === 'topics' ? CONCURRENT_RECORDS : 1),
  createHandler({ config, settings, logger, metrics, env = process.env, retryTopics }): Handler {
    const problems: string[] = [];
    if (settings.rules.length === 0) problems.push(`${AlerterEnv.RULES} is not set: give at least one rule (a JSON array)`);
    else problems.push(...alertRuleProblems(settings.rules, settings.input).map((p) => `${AlerterEnv.RULES}: ${formatRuleProblem(p)}`));
    if (settings.sinks === undefined) problems.push(`${AlerterEnv.SINKS} is not set: give at least one sink (a JSON array)`);
    else problems.push(...alertSinkProblems(settings.sinks, env).map((p) => `${AlerterEnv.SINKS}: ${formatSinkProblem(p)}`));
    if (problems.length > 0) throw new ConfigError(problems);
    const specs = settings.sinks as AlertSinkSpec[];
    const events = settings.input === 'events';
    const rules = events ? [] : compileRules(settings.rules);
    const eventRules = events ? compileEventRules(settings.rules) : [];
    const tracked = new Map(settings.rules.map((r) => [r.name, trackedRule(r)] as const));
    const prefilter = events ? undefined : RecordPrefilter.forRules(settings.rules);
    const sinks = createSinks(specs, env);
    const throttle = new Throttle();
    const tracker = new AlertTracker();
    const eventCounts = new EventCounts();
    const inDelivery = new Map<string, RecordDelivery>();

    const registers = [metrics.registry];
    const matched = new Counter({ name: 'klaxon_alerter_alerts_matched_total', help: 'Alerts raised by a rule (before the throttle)', labelNames: ['rule'], registers });
    const throttled = new Counter({ name: 'klaxon_alerter_alerts_throttled_total', help: 'Alerts not sent: the same alert was delivered within the rule throttle (per replica)', labelNames: ['rule'], registers });
    const sent = new Counter({ name: 'klaxon_alerter_alerts_sent_total', help: 'Alerts a sink accepted, by rule and sink', labelNames: ['rule', 'sink'], registers });
    const refusedTotal = new Counter({ name: 'klaxon_alerter_alerts_refused_total', help: 'Alerts a sink refused for good (the record is dead-lettered), by rule and sink', labelNames: ['rule', 'sink'], registers });
    const retries = new Counter({ name: 'klaxon_alerter_delivery_retries_total', help: 'Deliveries that failed transiently and will be retried, by sink and cause (status, timeout, network)', labelNames: ['sink', 'cause'], registers });
    const latency = new Histogram({
      name: 'klaxon_alerter_sink_request_seconds',
      help: 'Seconds of one request to a sink, by sink and outcome',
      labelNames: ['sink', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const waiting = new Gauge({ name: 'klaxon_alerter_records_in_delivery', help: 'Records whose alerts are not yet delivered to every sink', registers });
    const skipped = new Counter({ name: 'klaxon_alerter_records_prefiltered_total', help: 'Log records skipped unread: no rule could match their raw bytes', registers });
    const noticesTotal = new Counter({ name: 'klaxon_alerter_notices_total', help: 'Lifecycle notices of threshold rules (firing, refresh, repeat, resolved), by rule', labelNames: ['rule', 'kind'], registers });
    const backlog = new Gauge({ name: 'klaxon_alerter_sink_backlog', help: 'Notices queued for a sink and not yet delivered, by sink', labelNames: ['sink'], registers });
    new Gauge({ name: 'klaxon_alerter_alerts_firing', help: 'Threshold alerts firing on this replica', registers, collect(this: Gauge) { this.set(tracker.firing); } });
    for (const rule of settings.rules) {
      matched.inc({ rule: rule.name }, 0);
      throttled.inc({ rule: rule.name }, 0);
      for (const sink of sinks) sent.inc({ rule: rule.name, sink: sink.name }, 0);
    }
    for (const sink of sinks) backlog.set({ sink: sink.name }, 0);
    logger.info('alert rules and sinks', {
      input: settings.input,
      rules: settings.rules.map((r) => r.name),
      sinks: sinkNames(specs).map((name, i) => ({ name, type: specs[i].type })),
    });

    /** One request for `alerts` to `sink` (several only where the sink takes several), timed. */
    const sendMany = async (sink: Sink, alerts: readonly MatchedAlert[]) => {
      const started = process.hrtime.bigint();
      const outcome = await deliver(alerts.length === 1 ? sink.request(alerts[0].alert) : sink.requestMany!(alerts.map((m) => m.alert)), sink.timeoutMs);
      latency.observe({ sink: sink.name, outcome: outcome.kind }, Number(process.hrtime.bigint() - started) / 1e9);
      return outcome;
    };
    const send = (sink: Sink, m: MatchedAlert) => sendMany(sink, [m]);

    const groupers = new Map<string, AlertGrouper>();
    const dispatcher = new NoticeDispatcher({
      sinks,
      send,
      logger,
      onBacklog: (sink, n) => backlog.set({ sink }, n),
      onGrouped: (sink, notice) => groupers.get(sink.name)?.add(notice.alert),
    });
    // Slack and webhook sinks with `group` get one message per group (grouper.ts), queued like notices.
    for (const sink of sinks) {
      if (!sink.group || !sink.requestGroup) continue;
      const requestGroup = sink.requestGroup.bind(sink);
      groupers.set(
        sink.name,
        new AlertGrouper(sink.group, (labels, alerts) =>
          dispatcher.enqueue(sink, { group: labels, alerts: alerts.length }, async () => {
            const started = process.hrtime.bigint();
            const outcome = await deliver(requestGroup(labels, alerts), sink.timeoutMs);
            latency.observe({ sink: sink.name, outcome: outcome.kind }, Number(process.hrtime.bigint() - started) / 1e9);
            if (outcome.kind === 'accepted') for (const a of alerts) sent.inc({ rule: a.labels.alertname ?? '', sink: sink.name });
            return outcome;
          }),
        ),
      );
    }
    const direct = sinks.filter((s) => !groupers.has(s.name));
    const parking =
      settings.sinkRetry === 'topics' && retryTopics && direct.length > 0
        ? new SinkRetry({
            sinks: direct,
            groupId: config.groupId,
            retryTopics,
            send,
            logger,
            registry: metrics.registry,
            onOutcome: (sink, m, outcome) => {
              if (outcome.kind === 'accepted') sent.inc({ rule: m.rule, sink: sink.name });
              else if (outcome.kind === 'permanent') refusedTotal.inc({ rule: m.rule, sink: sink.name });
              else retries.inc({ sink: sink.name, cause: outcome.cause });
            },
          })
        : undefined;
    const timer = setInterval(() => {
      for (const n of tracker.tick(Date.now())) {
        noticesTotal.inc({ rule: n.rule, kind: n.kind });
        dispatcher.dispatch(n);
      }
    }, TICK_MS);
    timer.unref();

    /** Throttle for rules without threshold, the tracker for the others: what to deliver now. */
    const admit = (m: MatchedAlert, occurrences: number, atMs: number, now: number): MatchedAlert[] => {
      matched.inc({ rule: m.rule });
      const rule = tracked.get(m.rule);
      if (rule) {
        return tracker.observe(rule, m.alert, occurrences, atMs, now).map((n: Notice) => {
          noticesTotal.inc({ rule: n.rule, kind: n.kind });
          return { rule: n.rule, throttleSeconds: 0, alert: n.alert };
        });
      }
      if (occurrences === 0) return []; // an Event record that repeats a count already seen
      if (!throttle.isThrottled(m.alert.fingerprint, now)) {
        // Claimed now, so the same alert of a record handled while this one is in delivery is throttled.
        throttle.delivered(m.alert.fingerprint, m.throttleSeconds, now);
        return [m];
      }
      throttled.inc({ rule: m.rule });
      return [];
    };

    const evaluateLog = (record: SourceRecord, now: number): MatchedAlert[] | DeadLetter => {
      const parsed = parseLogRecord(record.value, settings.maxRecordBytes);
      if (parsed instanceof DeadLetter) return parsed;
      return evaluate(parsed, rules, { generatorURL: settings.generatorURL, now: new Date(now) }).flatMap((m) => admit(m, 1, Date.parse(m.alert.startsAt), now));
    };

    const evaluateEvent = (record: SourceRecord, now: number): MatchedAlert[] | DeadLetter => {
      const event = parseAlertableEvent(record.value, settings.maxRecordBytes);
      if (event instanceof DeadLetter) return event;
      const occurrences = eventCounts.rise(event);
      const out: MatchedAlert[] = [];
      for (const rule of eventRules) {
        const groups = matchEvent(rule, event);
        if (groups === undefined) continue;
        const alert = buildEventAlert(rule.spec, event, groups, { generatorURL: settings.generatorURL, now: new Date(now) });
        out.push(...admit({ rule: rule.spec.name, throttleSeconds: rule.spec.throttleSeconds ?? 0, alert }, occurrences, event.timeMs, now));
      }
      return out;
    };

    // Each direct sink's alerts in record order, coalesced into one request where the sink takes several (sink-lane.ts).
    const lanes = new Map(
      direct.map((sink) => [
        sink.name,
        new SinkLane({
          send: (alerts) => sendMany(sink, alerts),
          maxAlerts: sink.requestMany ? MAX_ALERTS_PER_REQUEST : 1,
          parking: parking && {
            ready: () => parking.ready(5000),
            mustPark: () => parking.mustPark(sink),
            park: (item, attempts, lastError) => parking.park(sink, item.alert, { attempts, lastError, source: item.record }),
          },
        }),
      ]),
    );

    const NOTHING: HandlerResult = [];
    return (record) => {
      const key = `${record.topic}/${record.partition}/${record.offset}`;
      const d = inDelivery.get(key);
      if (d) return deliverRecord(key, d, record);
      // Too large is dead-lettered unread whether or not a rule could match: checked by the parse.
      if (prefilter && record.value !== null && record.value.length <= settings.maxRecordBytes && !prefilter.mayMatch(record.value)) {
        skipped.inc();
        return NOTHING;
      }
      const now = Date.now();
      const alerts = events ? evaluateEvent(record, now) : evaluateLog(record, now);
      if (alerts instanceof DeadLetter) return alerts;
      if (alerts.length === 0) return NOTHING;
      const fresh: RecordDelivery = { alerts, accepted: new Set(), refused: new Map() };
      if (inDelivery.size >= MAX_IN_DELIVERY) inDelivery.delete(inDelivery.keys().next().value!);
      inDelivery.set(key, fresh);
      for (const grouper of groupers.values()) for (const m of alerts) grouper.add(m.alert);
      waiting.set(inDelivery.size);
      return deliverRecord(key, fresh, record);
    };

    async function deliverRecord(key: string, delivery: RecordDelivery, record: SourceRecord): Promise<HandlerResult> {
      // Every sink's alerts are queued now, in the order records are handled (the lanes keep it).
      const failures = await Promise.all(direct.map((sink) => deliverTo(sink, delivery, record)));
      const transient = failures.filter((f) => f !== undefined);
      if (transient.length > 0) {
        throw new RetryableError(
          transient.map((f) => `sink '${f.sink}': ${f.detail}`).join('; '),
          Math.max(...transient.map((f) => f.retryAfterMs)),
        );
      }
      inDelivery.delete(key);
      waiting.set(inDelivery.size);
      const now = Date.now();
      delivery.alerts.forEach((m, i) => {
        // The throttle window starts at the delivery; an alert no sink took frees the claim made when it was admitted.
        if (groupers.size > 0 || direct.some((s) => delivery.accepted.has(`${i}/${s.name}`))) throttle.delivered(m.alert.fingerprint, m.throttleSeconds, now);
        else throttle.forget(m.alert.fingerprint);
      });
      if (delivery.refused.size > 0) {
        const first = [...delivery.refused.keys()][0].split('/').slice(1).join('/');
        return new DeadLetter(`${AlerterReasons.SINK_REJECTED}:${first}`, [...delivery.refused.values()].join('; '));
      }
      return [];
    }

    /** Queues the record's alerts not yet taken on the sink's lane; the transient failure to retry the record for, if any. */
    async function deliverTo(sink: Sink, delivery: RecordDelivery, record: SourceRecord): Promise<{ sink: string; detail: string; retryAfterMs: number } | undefined> {
      const lane = lanes.get(sink.name)!;
      const todo = delivery.alerts.flatMap((m, i) => (delivery.accepted.has(`${i}/${sink.name}`) || delivery.refused.has(`${i}/${sink.name}`) ? [] : [{ i, m }]));
      const outcomes = await Promise.all(todo.map(({ m }) => lane.submit({ alert: m, record })));
      let failure: { sink: string; detail: string; retryAfterMs: number } | undefined;
      outcomes.forEach((outcome, k) => {
        const { i, m } = todo[k];
        const pair = `${i}/${sink.name}`;
        switch (outcome.kind) {
          case 'accepted':
            delivery.accepted.add(pair);
            sent.inc({ rule: m.rule, sink: sink.name });
            break;
          case 'parked':
            // A pair parked counts as taken: the sink's retry consumer delivers it.
            delivery.accepted.add(pair);
            if (outcome.cause !== undefined) retries.inc({ sink: sink.name, cause: outcome.cause });
            if (outcome.attempts > 0) logger.warn('sink cannot take the alert now; parked in its retry topic, with its later alerts', { ...where(record), sink: sink.name, rule: m.rule, detail: outcome.detail });
            break;
          case 'permanent':
            delivery.refused.set(pair, `sink '${sink.name}' (${sink.type}) refused alert '${m.rule}': ${outcome.detail}`);
            refusedTotal.inc({ rule: m.rule, sink: sink.name });
            logger.warn('sink refused the alert for good; the record will be dead-lettered', { ...where(record), sink: sink.name, rule: m.rule, detail: outcome.detail });
            break;
          case 'transient':
            retries.inc({ sink: sink.name, cause: outcome.cause });
            failure ??= { sink: sink.name, detail: outcome.detail, retryAfterMs: outcome.retryAfterMs };
            break;
          case 'unparked':
            failure ??= { sink: sink.name, detail: outcome.detail, retryAfterMs: 0 };
            break;
        }
      });
      return failure;
    }
  },
};

function where(record: { topic: string; partition: number; offset: string }): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
