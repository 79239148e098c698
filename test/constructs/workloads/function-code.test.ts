import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { Testing } from 'cdk8s';
import {
  APP_MOUNT_PATH,
  BUNDLE_CONFIGMAP_KEY,
  BUNDLE_MOUNT_PATH,
  DEFAULT_NODE_IMAGE,
  FunctionCode,
  MAX_ENCODED_BUNDLE_BYTES,
  NODE_IMAGE_UID,
  UNPACK_SCRIPT,
} from '../../../constructs/workloads/function-code';
import { ContainerImage } from '../../../constructs/images';
import { KafkaFunction } from '../../../constructs/workloads/kafka-function';
import { annotationBytes, formatProblem, MAX_ANNOTATIONS_BYTES, validateObjects } from '../../schema/validator';
import { incompressibleBytes, kafkaFixture, messageOf, namespacedChart, objectsOf, oneOf } from './helpers';
import { workloadNode } from '../../harness/workload-node';

const BUNDLE = '"use strict";console.log("klaxon function");\n'.repeat(200);

function functionWith(code: FunctionCode) {
  const chart = namespacedChart();
  const fn = new KafkaFunction(chart, 'Audit', { code, ...kafkaFixture(chart) });
  return { chart, fn };
}

function runUnpack(command: string[], gzFile: string, outFile: string): ReturnType<typeof spawnSync> {
  // The init container runs `node -e SCRIPT <gz> <out> <sha256>` (the pod's Node.js); run it here with local paths.
  expect(command.slice(0, 3)).toEqual(['node', '-e', UNPACK_SCRIPT]);
  return spawnSync(workloadNode(), ['-e', command[2], gzFile, outFile, command[5]], { encoding: 'utf8' });
}

describe('FunctionCode.fromBundle', () => {
  test('a bundle travels gzip-compressed in a ConfigMap whose payload round-trips to the bundle bytes', () => {
    // GIVEN
    const bundle = Buffer.from(BUNDLE);
    // WHEN
    const { chart, fn } = functionWith(FunctionCode.fromBundle(bundle));
    // THEN
    const configMap = oneOf(chart, 'ConfigMap');
    expect(Object.keys(configMap.binaryData)).toEqual([BUNDLE_CONFIGMAP_KEY]);
    expect(configMap.data).toBeUndefined();
    const payload = Buffer.from(configMap.binaryData[BUNDLE_CONFIGMAP_KEY], 'base64');
    expect(payload.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip magic
    expect(gunzipSync(payload).equals(bundle)).toBe(true);
    expect(payload.length).toBeLessThan(bundle.length / 10);
    expect(configMap.metadata.annotations).toEqual({ 'klaxon.io/bundle-sha256': createHash('sha256').update(bundle).digest('hex') });
    expect(configMap.metadata.name).toBe(fn.codeConfigMap!.name);
  });

  test('a string bundle is its UTF-8 bytes', () => {
    // GIVEN
    const text = 'console.log("grüße");';
    // WHEN
    const code = FunctionCode.fromBundle(text);
    // THEN
    expect(code.sha256).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  });

  test('the same bundle synthesizes to the same ConfigMap bytes', () => {
    // GIVEN
    const first = functionWith(FunctionCode.fromBundle(BUNDLE)).chart;
    // WHEN
    const second = functionWith(FunctionCode.fromBundle(Buffer.from(BUNDLE))).chart;
    // THEN
    expect(JSON.stringify(oneOf(second, 'ConfigMap'))).toBe(JSON.stringify(oneOf(first, 'ConfigMap')));
  });

  test('an init container of the pinned Node image unpacks the bundle into an emptyDir the function runs read-only', () => {
    // GIVEN
    const code = FunctionCode.fromBundle(BUNDLE);
    // WHEN
    const { chart } = functionWith(code);
    // THEN
    const pod = oneOf(chart, 'Deployment').spec.template.spec;
    const configMap = oneOf(chart, 'ConfigMap');
    expect(DEFAULT_NODE_IMAGE).toBe('node:24.18.0-alpine3.24');
    expect(NODE_IMAGE_UID).toBe(1000);
    expect(pod.initContainers).toHaveLength(1);
    const init = pod.initContainers[0];
    expect(init.name).toBe('unpack');
    expect(init.image).toBe(DEFAULT_NODE_IMAGE);
    expect(init.command).toEqual(['node', '-e', UNPACK_SCRIPT, `${BUNDLE_MOUNT_PATH}/index.js.gz`, `${APP_MOUNT_PATH}/index.js`, code.sha256]);
    expect(init.volumeMounts).toEqual([
      { name: 'bundle', mountPath: '/opt/klaxon/bundle', readOnly: true },
      { name: 'app', mountPath: '/opt/klaxon/app' },
    ]);
    const main = pod.containers[0];
    expect(main.image).toBe(DEFAULT_NODE_IMAGE);
    expect(main.command).toEqual(['node', '/opt/klaxon/app/index.js']);
    expect(main.args).toBeUndefined();
    expect(main.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'app', mountPath: '/opt/klaxon/app', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'bundle', configMap: { name: configMap.metadata.name, defaultMode: 0o444 } },
      { name: 'app', emptyDir: { sizeLimit: '16Mi' } },
    ]);
  });

  test('the unpack command writes exactly the bundle bytes, read-only', () => {
    // GIVEN
    const { chart } = functionWith(FunctionCode.fromBundle(BUNDLE));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-unpack-'));
    const gz = path.join(dir, 'index.js.gz');
    const out = path.join(dir, 'index.js');
    fs.writeFileSync(gz, Buffer.from(oneOf(chart, 'ConfigMap').binaryData[BUNDLE_CONFIGMAP_KEY], 'base64'));
    // WHEN
    const result = runUnpack(oneOf(chart, 'Deployment').spec.template.spec.initContainers[0].command, gz, out);
    // THEN
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(fs.readFileSync(out).equals(Buffer.from(BUNDLE))).toBe(true);
    expect(fs.statSync(out).mode & 0o777).toBe(0o444);
    expect(result.stdout).toContain(`klaxon unpack: ${Buffer.byteLength(BUNDLE)} bytes`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the unpack command refuses a bundle other than the one the pod template was rendered for', () => {
    // GIVEN a pod template for one bundle and a ConfigMap that already holds another
    const { chart } = functionWith(FunctionCode.fromBundle(BUNDLE));
    const { chart: newer } = functionWith(FunctionCode.fromBundle(BUNDLE + '//v2'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klaxon-unpack-'));
    const gz = path.join(dir, 'index.js.gz');
    const out = path.join(dir, 'index.js');
    fs.writeFileSync(gz, Buffer.from(oneOf(newer, 'ConfigMap').binaryData[BUNDLE_CONFIGMAP_KEY], 'base64'));
    const command = oneOf(chart, 'Deployment').spec.template.spec.initContainers[0].command;
    // WHEN
    const result = runUnpack(command, gz, out);
    // THEN
    expect(result.status).toBe(1);
    const got = createHash('sha256').update(BUNDLE + '//v2').digest('hex');
    expect(result.stderr).toContain(`klaxon unpack: bundle sha256 ${got} in ${gz} is not the ${command[5]} this pod template expects`);
    expect(fs.existsSync(out)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a bundle just under the size bound still fits the 256 KiB annotation of kubectl apply and the Kubernetes 1.27 schema', () => {
    // GIVEN random bytes: gzip cannot shrink them, so the encoded payload is close to the bound
    const bundle = incompressibleBytes(150 * 1024 - 1024);
    // WHEN
    const { chart } = functionWith(FunctionCode.fromBundle(bundle));
    // THEN
    const configMap = oneOf(chart, 'ConfigMap');
    expect(configMap.binaryData[BUNDLE_CONFIGMAP_KEY].length).toBeGreaterThan(MAX_ENCODED_BUNDLE_BYTES - 4096);
    expect(configMap.binaryData[BUNDLE_CONFIGMAP_KEY].length).toBeLessThanOrEqual(MAX_ENCODED_BUNDLE_BYTES);
    expect(annotationBytes(configMap)).toBeLessThan(MAX_ANNOTATIONS_BYTES);
    expect(validateObjects(Testing.synth(chart)).map(formatProblem)).toEqual([]);
  });

  test('fails if the compressed bundle exceeds 200 KiB as base64', () => {
    // GIVEN
    const bundle = incompressibleBytes(160 * 1024);
    // WHEN
    const message = messageOf(() => FunctionCode.fromBundle(bundle));
    // THEN
    expect(message).toBe(
      "'contents' of FunctionCode.fromBundle is too big for a ConfigMap: 160.0 KiB bundle, 160.1 KiB gzip-compressed, 213.4 KiB as base64, " +
      "over the 200.0 KiB limit (plain 'kubectl apply' keeps the whole object in a 256 KiB annotation). " +
      'Shrink the bundle (fewer or lighter dependencies) or ship the function as an image with FunctionCode.fromImage().',
    );
  });

  test('fails if the bundle is empty', () => {
    expect(messageOf(() => FunctionCode.fromBundle(Buffer.alloc(0)))).toBe(
      "'contents' of FunctionCode.fromBundle is empty; pass the bytes of .build/functions/<name>/index.js (run 'npm run build:functions' first).",
    );
  });

  test('another pinned Node image runs both the unpacking and the function', () => {
    // GIVEN
    const nodeImage = 'registry.example.com/mirror/node:24.18.0-alpine3.24@sha256:' + 'a'.repeat(64);
    // WHEN
    const { chart } = functionWith(FunctionCode.fromBundle(BUNDLE, { nodeImage: ContainerImage.parse(nodeImage) }));
    // THEN
    const pod = oneOf(chart, 'Deployment').spec.template.spec;
    expect(pod.initContainers[0].image).toBe(nodeImage);
    expect(pod.containers[0].image).toBe(nodeImage);
  });

  test('a Node image without a version tag cannot be made (ContainerImage refuses it)', () => {
    expect(messageOf(() => FunctionCode.fromBundle(BUNDLE, { nodeImage: ContainerImage.parse('node:latest') }))).toBe(
      "'tag' (\"latest\") of ContainerImage 'node' must be a version tag (not 'latest'): up to 128 letters, digits, '_', '.' or '-'.",
    );
    expect(messageOf(() => FunctionCode.fromBundle(BUNDLE, { nodeImage: ContainerImage.parse('localhost:5000/node') }))).toBe(
      "'image' (\"localhost:5000/node\") of ContainerImage.parse needs a tag (repository:tag), e.g. 'node:24.18.0-alpine3.24'.",
    );
  });
});

describe('FunctionCode.fromImage', () => {
  test('a prebuilt image runs as it is: no ConfigMap, no init container, no code volumes', () => {
    // GIVEN
    const image = 'ghcr.io/example/events-fanout:1.4.2';
    // WHEN
    const { chart } = functionWith(FunctionCode.fromImage(ContainerImage.parse(image)));
    // THEN
    expect(objectsOf(chart, 'ConfigMap')).toEqual([]);
    const pod = oneOf(chart, 'Deployment').spec.template.spec;
    expect(pod.initContainers).toBeUndefined();
    expect(pod.containers[0].image).toBe(image);
    expect(pod.containers[0].command).toBeUndefined();
    expect(pod.containers[0].args).toBeUndefined();
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(pod.securityContext.runAsUser).toBe(10001);
  });

  test('command, args and uid of an image reach the container', () => {
    // GIVEN
    const code = FunctionCode.fromImage(ContainerImage.of('ghcr.io/example/fanout', '2.0.0', 'sha256:' + 'b'.repeat(64)), { command: ['/app/fanout'], args: ['--json'], uid: 65532 });
    // WHEN
    const { chart } = functionWith(code);
    // THEN
    const pod = oneOf(chart, 'Deployment').spec.template.spec;
    expect(pod.containers[0].command).toEqual(['/app/fanout']);
    expect(pod.containers[0].args).toEqual(['--json']);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext.runAsUser).toBeUndefined(); // the pod-wide uid applies
  });

  test('an image without a version tag cannot be made (ContainerImage refuses it)', () => {
    expect(messageOf(() => FunctionCode.fromImage(ContainerImage.parse('ghcr.io/example/fanout')))).toBe(
      "'image' (\"ghcr.io/example/fanout\") of ContainerImage.parse needs a tag (repository:tag), e.g. 'node:24.18.0-alpine3.24'.",
    );
    expect(messageOf(() => FunctionCode.fromImage(ContainerImage.of('fanout', 'latest')))).toBe(
      "'tag' (\"latest\") of ContainerImage 'fanout' must be a version tag (not 'latest'): up to 128 letters, digits, '_', '.' or '-'.",
    );
  });

  test('fails if the image runs as root or below uid 10000', () => {
    expect(messageOf(() => FunctionCode.fromImage(ContainerImage.of('fanout', '1.0.0'), { uid: 0 }))).toBe("'uid' (0) of FunctionCode.fromImage must be at least 10000.");
  });
});
