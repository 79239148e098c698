/**
 * The seeds' story as records, the bytes the real sources would write: the WordPress pod's HTTP 404
 * log line as Fluent Bit ships it to `logs`, and a crash-looping pod's Events as eventrouter writes
 * them to `cluster-events` (`{"verb","event"}`, keyed by the Event's name as eventrouter does).
 */
import { CANONICAL_404_RECORD } from '../functions/contracts/log-record';

/** One record to produce. */
export interface StoryRecord {
  readonly topic: string;
  readonly key?: string;
  readonly value: Buffer;
  /** What it is, for the progress output. */
  readonly what: string;
}

/** The crash-looping pod of the story. */
export const CRASHING_POD = { namespace: 'demo-project', name: 'wordpress-v2-7c9d8f6b5-x2x4q', uid: '3b0f5c2e-8d1a-4c57-9e3b-6a2f1d0c9e84', container: 'wordpress' };

/** The story's records for the given topic names (from the Deployments' env). */
export function storyRecords(topics: { readonly logs: string; readonly clusterEvents: string }, now: Date = new Date()): StoryRecord[] {
  const at = (s: number) => new Date(now.getTime() + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const event = (n: number, reason: string, type: 'Normal' | 'Warning', message: string, verb: 'ADDED' | 'UPDATED', count: number, seconds: number) => ({
    verb,
    event: {
      metadata: { name: `${CRASHING_POD.name}.17f${n}a3c5d2e1b0a9`, namespace: CRASHING_POD.namespace, uid: `c0ffee00-0000-4000-8000-00000000000${n}`, resourceVersion: String(48200 + n), creationTimestamp: at(0) },
      involvedObject: { kind: 'Pod', namespace: CRASHING_POD.namespace, name: CRASHING_POD.name, uid: CRASHING_POD.uid, apiVersion: 'v1', resourceVersion: '48100', fieldPath: `spec.containers{${CRASHING_POD.container}}` },
      reason,
      message,
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: at(0),
      lastTimestamp: at(seconds),
      count,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: 'node-1',
    },
  });
  const events = [
    event(1, 'Started', 'Normal', `Started container ${CRASHING_POD.container}`, 'ADDED', 1, 0),
    event(2, 'BackOff', 'Warning', `Back-off restarting failed container ${CRASHING_POD.container} in pod ${CRASHING_POD.name}_${CRASHING_POD.namespace}(${CRASHING_POD.uid})`, 'ADDED', 1, 10),
    event(2, 'BackOff', 'Warning', `Back-off restarting failed container ${CRASHING_POD.container} in pod ${CRASHING_POD.name}_${CRASHING_POD.namespace}(${CRASHING_POD.uid})`, 'UPDATED', 2, 40),
    event(2, 'BackOff', 'Warning', `Back-off restarting failed container ${CRASHING_POD.container} in pod ${CRASHING_POD.name}_${CRASHING_POD.namespace}(${CRASHING_POD.uid})`, 'UPDATED', 3, 90),
  ];
  // eventrouter bumps resourceVersion on each update; the fanout drops only same-version resyncs
  events.forEach((e, i) => {
    (e.event.metadata as { resourceVersion: string }).resourceVersion = String(48200 + i);
  });
  return [
    { topic: topics.logs, value: Buffer.from(JSON.stringify(CANONICAL_404_RECORD)), what: `log line of ${CANONICAL_404_RECORD.kubernetes.pod_name}: "GET /notfound" 404` },
    ...events.map((e) => ({
      topic: topics.clusterEvents,
      key: e.event.metadata.name,
      value: Buffer.from(JSON.stringify(e)),
      what: `eventrouter ${e.verb} ${e.event.type} ${e.event.reason} of Pod ${CRASHING_POD.namespace}/${CRASHING_POD.name} (count ${e.event.count})`,
    })),
  ];
}
