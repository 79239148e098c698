/**
 * Klaxon's environments. The only code that reads the environment or files: it builds one app per
 * environment from a typed config and writes `dist/<environment>/`.
 *
 *   npm run synth            # all environments
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Size, YamlOutputType } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { KafkaStorage } from './constructs/kafka/kafka-cluster';
import { KlaxonFunctionCode, KlaxonPipeline, KlaxonPipelineProps } from './constructs/pipeline';
import { FunctionCode } from './constructs/workloads/function-code';
import { bundlePath } from './functions/build';

/** The namespaces that get their own fanout topic in every environment. */
const TENANT_NAMESPACES = ['default', 'kube-system', 'demo-project'];

/** One typed config per environment. */
export const environments: Record<string, Omit<KlaxonPipelineProps, 'code'>> = {
  /** One dual-role broker on ephemeral storage, small resources: a laptop or CI cluster. */
  dev: {
    kafka: {
      brokers: 1,
      storage: KafkaStorage.ephemeral(),
      resources: {
        cpu: { request: Cpu.millis(250) },
        memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
      },
    },
    topics: { namespaces: TENANT_NAMESPACES },
    fanout: { replicas: 1 },
  },
  /** Three brokers with three dedicated controllers on persistent volumes. */
  prod: {
    kafka: {
      brokers: 3,
      controllers: 3,
      storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100), deleteClaim: false }),
      controllerStorage: KafkaStorage.persistentClaim({ size: Size.gibibytes(10), deleteClaim: false }),
    },
    topics: { namespaces: TENANT_NAMESPACES },
    // A production cluster (KubeSphere, as in the seed) usually runs fluent-operator already.
    logShipping: { kind: 'fluent-operator' },
    fanout: { replicas: 2 },
  },
};

/** The bundles `npm run build:functions` wrote (npm run synth builds them first). */
function readFunctionCode(): KlaxonFunctionCode {
  const read = (workload: string): FunctionCode => {
    const file = bundlePath(workload);
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run 'npm run build:functions' (npm run synth does it first).`);
    }
    return FunctionCode.fromBundle(fs.readFileSync(file));
  };
  return { eventsFanout: read('events-fanout') };
}

function synthAll(outdir: string): void {
  const code = readFunctionCode();
  for (const [name, config] of Object.entries(environments)) {
    const app = new App({ outdir: path.join(outdir, name), yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new KlaxonPipeline(app, { ...config, code });
    app.synth();
  }
}

synthAll(process.env.CDK8S_OUTDIR ?? 'dist');
