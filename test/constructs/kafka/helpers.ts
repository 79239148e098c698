import { App, Chart, Testing } from 'cdk8s';

/** A chart in namespace `namespace` of a fresh app. */
export function namespacedChart(namespace = 'klaxon'): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}

/** The synthesized objects of `kind` in `chart`. */
export function objectsOf(chart: Chart, kind: string): any[] {
  return Testing.synth(chart).filter((o: any) => o.kind === kind);
}

/** The one object of `kind` named `name`. */
export function objectNamed(chart: Chart, kind: string, name: string): any {
  const found = objectsOf(chart, kind).filter((o) => o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} '${name}', found ${found.length}`);
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

export { App };
