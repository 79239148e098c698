/**
 * Helpers every construct test uses: a namespaced chart, finding synthesized objects, the message a
 * call throws, and schema problems (Kubernetes 1.27 and every pinned CRD version, through
 * test/schema/validator.ts). Area fixtures (a cluster with topics, stand-in clusters) live beside
 * their tests: kafka/helpers.ts, sources/support.ts, workloads/helpers.ts.
 */
import { Chart, Testing } from 'cdk8s';
import { formatProblem, validateObjects } from '../schema/validator';

/** A chart in namespace `namespace` of a fresh app. */
export function namespacedChart(namespace = 'klaxon'): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}

/** The synthesized objects of `kind` in `chart`. */
export function objectsOf(chart: Chart, kind: string): any[] {
  return Testing.synth(chart).filter((o: any) => o.kind === kind);
}

/** The one object of `kind` in `chart` (fails unless exactly one). */
export function oneOf(chart: Chart, kind: string): any {
  const found = objectsOf(chart, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** The message `fn` throws (fails the test when it does not throw). */
export function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, but nothing was thrown');
}

/**
 * Why the API server would reject `objects` (closed schemas: Kubernetes 1.27, and Strimzi 0.51.0 and
 * 1.2.0 both), one line each; [] when all are accepted.
 */
export function schemaProblems(objects: readonly unknown[]): string[] {
  return validateObjects(objects).map(formatProblem);
}
