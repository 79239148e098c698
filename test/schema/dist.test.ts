import * as path from 'path';
import { findYamlFiles, REPO_ROOT, validateFiles } from './validate-dist';
import { formatProblem, SchemaValidator } from './validator';

// Loading and compiling every schema the manifests use takes a few seconds on a busy machine.
jest.setTimeout(120_000);

const files = findYamlFiles(path.join(REPO_ROOT, 'dist'));

test('dist/ holds the synthesized YAML (an empty dist/ is not a pass)', () => {
  expect(files.map((f) => path.relative(REPO_ROOT, f))).not.toEqual([]);
});

test('every object in dist/ validates against the Kubernetes 1.27 schema and the pinned CRDs', () => {
  const results = validateFiles(files, SchemaValidator.shared());
  expect(results.reduce((n, r) => n + r.objects, 0)).toBeGreaterThan(0);
  expect(results.flatMap((r) => r.problems).map(formatProblem)).toEqual([]);
});
