/**
 * The public API (`constructs/index.ts`): every construct, its props and what they take; no helper.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import * as api from '../../constructs';

const CONSTRUCTS_DIR = path.resolve(__dirname, '..', '..', 'constructs');
/** The values the API exports besides classes: defaults a user reads or extends. */
const PUBLIC_CONSTANTS = ['DEFAULT_EVENT_RULES', 'DEFAULT_KAFKA_VERSION', 'KLAXON_IMAGES', 'NOTIFICATION_MANAGER_ALERTS_URL', 'SUPPORTED_KAFKA_VERSIONS'];

const isClass = (v: unknown): boolean => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));

function modules(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return modules(file);
    return e.name.endsWith('.ts') && e.name !== 'index.ts' ? [file] : [];
  });
}

test('the API exports classes and a few named defaults, no helper functions or internal constants', () => {
  // WHEN
  const values = Object.entries(api);
  // THEN
  const functions = values.filter(([, v]) => typeof v === 'function' && !isClass(v)).map(([k]) => k);
  const constants = values.filter(([, v]) => typeof v !== 'function').map(([k]) => k).sort();
  expect(functions).toEqual([]);
  expect(constants).toEqual(PUBLIC_CONSTANTS);
});

test('every construct class under constructs/ is in the API', () => {
  // GIVEN every class a module of constructs/ exports that is a Construct
  const constructClasses = modules(CONSTRUCTS_DIR).flatMap((file) =>
    Object.entries(require(file) as Record<string, unknown>)
      .filter(([, v]) => isClass(v) && (v as { prototype: unknown }).prototype instanceof Construct)
      .map(([name]) => `${name} (${path.relative(CONSTRUCTS_DIR, file)})`),
  );
  expect(constructClasses.length).toBeGreaterThan(15);
  // THEN
  const exported = new Set(Object.keys(api));
  expect(constructClasses.filter((c) => !exported.has(c.split(' ')[0]))).toEqual([]);
});
