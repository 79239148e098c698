/**
 * Event rules that cover what users wanted from kube-eventer's "every Warning to Notification
 * Manager" path, without its flood: each fires once per object and episode, and resolves once the
 * Events stop (threshold windows). main.ts gives them to every environment.
 */
import { Duration } from 'cdk8s';
import { AlertRule } from './alert-rule';

/** BackOff / CrashLoopBackOff >= 3 in 10 min, FailedScheduling, OOMKilling, a Node NotReady. */
export const DEFAULT_EVENT_RULES: readonly AlertRule[] = [
  {
    name: 'PodCrashLooping',
    severity: 'critical',
    event: { types: ['Warning'], reasons: ['BackOff', 'CrashLoopBackOff'], kinds: ['Pod'] },
    threshold: { count: 3, window: Duration.minutes(10) },
    summary: '{{kind}} {{namespace}}/{{name}} is crash-looping ({{reason}}, {{count}} times)',
  },
  {
    name: 'PodUnschedulable',
    severity: 'warning',
    event: { types: ['Warning'], reasons: ['FailedScheduling'], kinds: ['Pod'] },
    threshold: { count: 1, window: Duration.minutes(10) },
    summary: 'Pod {{namespace}}/{{name}} cannot be scheduled',
  },
  {
    name: 'NodeOOMKilling',
    severity: 'warning',
    event: { reasons: ['OOMKilling'] },
    threshold: { count: 1, window: Duration.minutes(10) },
    summary: 'The kernel killed a process for memory on {{kind}} {{name}}',
  },
  {
    name: 'NodeNotReady',
    severity: 'critical',
    event: { reasons: ['NodeNotReady'], kinds: ['Node'] },
    threshold: { count: 1, window: Duration.minutes(10) },
    summary: 'Node {{name}} is not ready',
  },
];
