/**
 * Klaxon's speed and memory targets: the one place they live (timed tests assert behaviour, never
 * speed). Each benchmark reports figures under these keys; report.ts marks each figure pass/fail.
 *
 * The targets are for this project's reference machine: 2 cores, 24 GiB, otherwise idle.
 */
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../functions/contracts/workload-env';

/** How a figure is compared with its target. */
export type Comparison = '<' | '<=' | '>=' | '>';

/** A target for one figure. */
export interface Target {
  readonly op: Comparison;
  readonly value: number;
  /** Why this bound (one line, shown in latest.md). */
  readonly why: string;
}

/** Figure key → target. Figures without an entry are reported without a verdict. */
export const TARGETS: Readonly<Record<string, Target>> = {
  // synth
  'synth.wallSeconds': { op: '<', value: 15, why: '`npm run synth` stays interactive' },
  'synth.peakRssMiB': { op: '<', value: 1024, why: 'fits a small CI runner' },
  'buildFunctions.wallSeconds': { op: '<', value: 10, why: 'esbuild bundles are quick; part of every synth and test run' },
  // schema validation
  'validate.coldSeconds': { op: '<', value: 5, why: '`npm run validate` from nothing (no schema cache)' },
  'validate.warmSeconds': { op: '<', value: 0.5, why: 'compiled schemas make re-validation cheap' },
  // harness
  'harness.delay0.startupSeconds': { op: '<', value: 30, why: 'integration test setup' },
  'harness.delay0.firstJoinSeconds': { op: '<', value: 5, why: 'with no initial rebalance delay a lone consumer joins at once' },
  'harness.delay3000.startupSeconds': { op: '<', value: 30, why: 'integration test setup' },
  'harness.delay3000.firstJoinSeconds': { op: '<', value: 10, why: "Kafka's default 3 s delay plus the join itself" },
  // events-fanout
  'fanout.recordsPerSecond': { op: '>=', value: 2000, why: 'one replica keeps up with a busy cluster on 2 cores' },
  'fanout.peakRssMiB': { op: '<=', value: 100, why: 'peak RSS per workload (the Deployment memory limit leaves headroom)' },
  'fanout.latencyP99Ms': { op: '<=', value: 50, why: 'an event reaches its namespace topic within 50 ms at 500 records/s' },
  'fanout.redelivered': { op: '<=', value: 0, why: 'one member, no restarts: nothing should be consumed twice' },
  'fanout.readySeconds': { op: '<', value: 10, why: 'a new pod consumes soon after it starts' },
  'fanout.shutdownSeconds': { op: '<', value: DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000, why: "within the runtime's shutdown bound (terminationGracePeriod must exceed it)" },
  // log-alerter
  'alerter.recordsPerSecond': { op: '>=', value: 2000, why: 'one replica on 2 cores keeps up with a busy cluster\'s log lines (7 % alerting, no throttle)' },
  'alerter.alertsPerSecond': { op: '>=', value: 100, why: 'an incident\'s burst of matches reaches a prompt sink without a queue building up' },
  'alerter.latencyP99Ms': { op: '<', value: 1000, why: 'a matching log line reaches the sink within a second at a steady rate' },
  'alerter.peakRssMiB': { op: '<', value: 160, why: "the Deployment's 256 MiB memory limit (V8 heap capped at 128 MiB) leaves headroom" },
  'alerter.missingAlerts': { op: '<=', value: 0, why: 'an offset is committed only after its alert is delivered: no match is lost' },
  'alerter.duplicateAlerts': { op: '<=', value: 0, why: 'one member, no restarts, a sink answering 200: each match is delivered exactly once' },
  'alerter.unexpectedAlerts': { op: '<=', value: 0, why: 'near misses (other namespace, pod, status or level) raise nothing' },
  'alerter.redelivered': { op: '<=', value: 0, why: 'one member, no restarts: nothing should be consumed twice' },
  'alerter.readySeconds': { op: '<', value: 10, why: 'a new pod (KEDA scaling from zero) consumes soon after it starts' },
  'alerter.shutdownSeconds': { op: '<', value: DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000, why: "within the runtime's shutdown bound (terminationGracePeriod must exceed it)" },
  // ratios against baselines measured in the same run (issue 13)
  'ratios.fanoutCpuVsA': { op: '<=', value: 1.1, why: 'events-fanout spends at most 10 % more CPU per record than a minimal kafkajs fanout (a)' },
  'ratios.fanoutThroughputVsA': { op: '>=', value: 0.9, why: 'events-fanout drains at least 0.9× as fast as (a)' },
  'ratios.alerterThroughputVsB': { op: '>=', value: 0.8, why: 'log-alerter drains at least 0.8× as fast as a kafkajs consumer that only parses (b)' },
  'ratios.rulesVsGoPerCall': { op: '>=', value: 3, why: "the rule engine does at least 3× the records/s of the seed's Go handler as written (c)" },
  'ratios.rulesVsGoOnce': { op: '>=', value: 1, why: "at least the records/s of the seed's Go logic with its regexps compiled once (c)" },
  'ratios.rulesVsJs': { op: '>=', value: 1, why: 'at least the records/s of a minimal JSON.parse + regex loop (d)' },
  'ratios.fanoutIdleCpuVsA': { op: '<=', value: 0.5, why: 'a warm, idle events-fanout (KEDA minReplicas 1) costs at most half the CPU of an idle minimal kafkajs fanout (a)' },
  'ratios.fanout.peakRssMiB': { op: '<=', value: 100, why: 'peak RSS per workload' },
  'ratios.fanout.startToFirstRecordSeconds': { op: '<=', value: 1.5, why: 'process start → first record handled, with the initial rebalance delay at 0' },
};

/** True when `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '>':
      return value > target.value;
  }
}
