import { Chart } from 'cdk8s';
import { objectsOf } from '../support';

export { messageOf, namespacedChart, objectsOf, schemaProblems } from '../support';

/** The one object of `kind` named `name`. */
export function objectNamed(chart: Chart, kind: string, name: string): any {
  const found = objectsOf(chart, kind).filter((o) => o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} '${name}', found ${found.length}`);
  return found[0];
}
