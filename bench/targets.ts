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
  'fanout.peakRssMiB': { op: '<', value: 150, why: 'the Deployment memory limit leaves headroom' },
  'fanout.latencyP99Ms': { op: '<', value: 1000, why: 'an event reaches its namespace topic within a second at a steady rate' },
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
