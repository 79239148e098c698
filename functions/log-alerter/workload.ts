/**
 * log-alerter as a runtime workload: reads container log records from the logs topic, evaluates the
 * rules (rules.ts, pure) and delivers each alert to every sink (sinks.ts) before the record's offset
 * is resolved. Writes nothing to Kafka except dead letters.
 *
 * Per record:
 *  - unreadable (empty, too large, not JSON, not a container log record) → dead letter;
 *  - no rule fires, or every alert is throttled → handled, nothing sent;
 *  - otherwise every (alert, sink) pair is delivered. A sink that is down, times out or answers
 *    408/425/429/5xx makes the handler throw `RetryableError` (with the sink's Retry-After): the
 *    runtime calls it again for the same record, without limit, heartbeating, and stops on SIGTERM
 *    without committing the record. Pairs already accepted are remembered for the record (by topic,
 *    partition, offset) and not sent again. A sink that refuses for good (another 4xx) does not get
 *    the alert again; once every other sink has it, the record is dead-lettered with reason
 *    `sink-rejected:<sink>` and the refusals in `klaxon.error`.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { AlertRuleSpec, alertRuleProblems, formatRuleProblem } from '../contracts/alert-rules';
import { AlertSinkSpec, alertSinkProblems, formatSinkProblem, sinkNames } from '../contracts/alert-sinks';
import { ALERTER_MAX_RECORD_BYTES_RANGE, AlerterEnv, DEFAULT_ALERTER_MAX_RECORD_BYTES, WORKLOAD_IDENTITIES } from '../contracts/workload-env';
import { DEFAULT_LOGS_TOPIC } from '../contracts/topic-names';
import { ConfigError, integer } from '../runtime/config';
import { DeadLetter, Handler, RetryableError } from '../runtime/handler';
import type { WorkloadDefinition } from '../runtime/lifecycle';
import { AlerterReasons, MatchedAlert, Throttle, compileRules, evaluate, parseLogRecord } from './rules';
import { Sink, createSinks, deliver } from './sinks';

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
} as const;

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

export const logAlerter: WorkloadDefinition<typeof alerterSettings> = {
  defaults: { sourceTopic: DEFAULT_LOGS_TOPIC, groupId: WORKLOAD_IDENTITIES.logAlerter.groupId, clientId: WORKLOAD_IDENTITIES.logAlerter.name },
  settings: alerterSettings,
  createHandler({ settings, logger, metrics, env = process.env }): Handler {
    const problems: string[] = [];
    if (settings.rules.length === 0) problems.push(`${AlerterEnv.RULES} is not set: give at least one rule (a JSON array)`);
    if (settings.sinks === undefined) problems.push(`${AlerterEnv.SINKS} is not set: give at least one sink (a JSON array)`);
    else problems.push(...alertSinkProblems(settings.sinks, env).map((p) => `${AlerterEnv.SINKS}: ${formatSinkProblem(p)}`));
    if (problems.length > 0) throw new ConfigError(problems);
    const specs = settings.sinks as AlertSinkSpec[];
    const rules = compileRules(settings.rules);
    const sinks = createSinks(specs, env);
    const throttle = new Throttle();
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
    for (const rule of settings.rules) {
      matched.inc({ rule: rule.name }, 0);
      throttled.inc({ rule: rule.name }, 0);
      for (const sink of sinks) sent.inc({ rule: rule.name, sink: sink.name }, 0);
    }
    logger.info('alert rules and sinks', {
      rules: settings.rules.map((r) => r.name),
      sinks: sinkNames(specs).map((name, i) => ({ name, type: specs[i].type })),
    });

    const send = async (sink: Sink, m: MatchedAlert) => {
      const started = process.hrtime.bigint();
      const outcome = await deliver(sink.request(m.alert), sink.timeoutMs);
      latency.observe({ sink: sink.name, outcome: outcome.kind }, Number(process.hrtime.bigint() - started) / 1e9);
      return outcome;
    };

    return async (record) => {
      const key = `${record.topic}/${record.partition}/${record.offset}`;
      let d = inDelivery.get(key);
      if (!d) {
        const parsed = parseLogRecord(record.value, settings.maxRecordBytes);
        if (parsed instanceof DeadLetter) return parsed;
        const now = Date.now();
        const alerts = evaluate(parsed, rules, { generatorURL: settings.generatorURL, now: new Date(now) }).filter((m) => {
          matched.inc({ rule: m.rule });
          if (!throttle.isThrottled(m.alert.fingerprint, now)) return true;
          throttled.inc({ rule: m.rule });
          return false;
        });
        if (alerts.length === 0) return [];
        d = { alerts, accepted: new Set(), refused: new Map() };
        if (inDelivery.size >= MAX_IN_DELIVERY) inDelivery.delete(inDelivery.keys().next().value!);
        inDelivery.set(key, d);
        waiting.set(inDelivery.size);
      }
      const delivery = d;
      // Sinks in parallel; one sink's alerts in order, stopping at its first transient failure.
      const failures = await Promise.all(
        sinks.map(async (sink) => {
          for (const [i, m] of delivery.alerts.entries()) {
            const pair = `${i}/${sink.name}`;
            if (delivery.accepted.has(pair) || delivery.refused.has(pair)) continue;
            const outcome = await send(sink, m);
            if (outcome.kind === 'accepted') {
              delivery.accepted.add(pair);
              sent.inc({ rule: m.rule, sink: sink.name });
            } else if (outcome.kind === 'permanent') {
              delivery.refused.set(pair, `sink '${sink.name}' (${sink.type}) refused alert '${m.rule}': ${outcome.detail}`);
              refusedTotal.inc({ rule: m.rule, sink: sink.name });
              logger.warn('sink refused the alert for good; the record will be dead-lettered', { ...where(record), sink: sink.name, rule: m.rule, detail: outcome.detail });
            } else {
              retries.inc({ sink: sink.name, cause: outcome.cause });
              return { sink: sink.name, detail: outcome.detail, retryAfterMs: outcome.retryAfterMs };
            }
          }
          return undefined;
        }),
      );
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
        if (sinks.some((s) => delivery.accepted.has(`${i}/${s.name}`))) throttle.delivered(m.alert.fingerprint, m.throttleSeconds, now);
      });
      if (delivery.refused.size > 0) {
        const first = [...delivery.refused.keys()][0].split('/').slice(1).join('/');
        return new DeadLetter(`${AlerterReasons.SINK_REJECTED}:${first}`, [...delivery.refused.values()].join('; '));
      }
      return [];
    };
  },
};

function where(record: { topic: string; partition: number; offset: string }): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
