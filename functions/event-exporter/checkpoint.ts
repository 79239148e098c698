/**
 * The checkpoint: per watched scope (a namespace, or `*` for all namespaces), the resourceVersion
 * up to which every Event was shipped and acknowledged by Kafka. Pure.
 *
 * It lives in an annotation of the exporter's own Lease (EXPORTER_CHECKPOINT_ANNOTATION), written
 * by the leader with every renewal. Why the Lease and not a compacted Kafka topic:
 * - fencing: a write carries the Lease's resourceVersion, so a replica that lost the Lease cannot
 *   move the checkpoint (its update is refused with 409 Conflict); a Kafka topic has no such guard;
 * - one object, one RBAC rule (get/update on the Lease by name), no extra topic, no extra ACL;
 * - the new leader reads leadership and checkpoint in one GET.
 * The cost is one Lease write per retry period, which leader election pays anyway.
 */

/** The scope name of an all-namespaces watch. */
export const ALL_NAMESPACES = '*';

/** scope → resourceVersion. */
export type Checkpoint = Readonly<Record<string, string>>;

/** Reads the annotation; an unreadable one counts as no checkpoint (the exporter then relists, skipping nothing it cannot prove shipped). */
export function parseCheckpoint(text: string | undefined): { checkpoint: Checkpoint; problem?: string } {
  if (text === undefined || text.trim() === '') return { checkpoint: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { checkpoint: {}, problem: 'not a JSON object' };
    const out: Record<string, string> = {};
    for (const [scope, rv] of Object.entries(parsed)) {
      if (typeof rv !== 'string' || rv === '') return { checkpoint: {}, problem: `scope ${JSON.stringify(scope)} has no resourceVersion string` };
      out[scope] = rv;
    }
    return { checkpoint: out };
  } catch (e) {
    return { checkpoint: {}, problem: (e as Error).message };
  }
}

/** The annotation text: keys sorted, so an unchanged checkpoint is an unchanged string. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  return JSON.stringify(Object.fromEntries(Object.keys(checkpoint).sort().map((k) => [k, checkpoint[k]])));
}
