import { App, Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { checkPinnedImages, ContainerImage, KLAXON_IMAGES, unpinnedImages } from '../../constructs/images';
import { KlaxonPipeline, KlaxonPipelineProps } from '../../constructs/pipeline';
import { LogShipping } from '../../constructs/shipping/bind';
import { EventSource } from '../../constructs/sources/bind';
import { Eventrouter, EventrouterImage, EventrouterProps } from '../../constructs/sources/eventrouter';
import { KubeEventerImage, KubeEventerProps } from '../../constructs/sources/kube-eventer';
import { KubeEventerSink } from '../../constructs/sources/kube-eventer-sinks';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { environments } from '../../main';
import { messageOf } from './support';
import { ExternalCluster, ExternalTopic, secretWith } from './sources/support';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('ContainerImage', () => {
  test('holds repository, tag and an optional digest; the reference pins when the digest is given', () => {
    expect(KLAXON_IMAGES.fluentBit.reference).toBe('cr.fluentbit.io/fluent/fluent-bit:4.2.8');
    expect(KLAXON_IMAGES.fluentBit.pinned).toBe(false);
    const pinned = KLAXON_IMAGES.node.withDigest(DIGEST);
    expect(pinned.reference).toBe(`node:24.18.0-alpine3.24@${DIGEST}`);
    expect(pinned.pinned).toBe(true);
    expect(ContainerImage.parse(`registry.example:5000/team/app:1.2.3@${DIGEST}`)).toMatchObject({ repository: 'registry.example:5000/team/app', tag: '1.2.3', digest: DIGEST });
  });

  test('fails if the tag is latest or missing, or the digest is not sha256', () => {
    expect(messageOf(() => ContainerImage.of('node', 'latest'))).toBe("'tag' (\"latest\") of ContainerImage 'node' must be a version tag (not 'latest'): up to 128 letters, digits, '_', '.' or '-'.");
    expect(messageOf(() => ContainerImage.parse('registry.example:5000/app'))).toBe("'image' (\"registry.example:5000/app\") of ContainerImage.parse needs a tag (repository:tag), e.g. 'node:24.18.0-alpine3.24'.");
    expect(messageOf(() => ContainerImage.of('node', '20', 'md5:abc'))).toBe("'digest' (\"md5:abc\") of ContainerImage 'node' must be 'sha256:' and 64 lowercase hex digits.");
    expect(messageOf(() => EventrouterImage.OPENSHIFT_V0_5_0.withDigest('sha256:abc'))).toBe("'digest' (\"sha256:abc\") of ContainerImage 'quay.io/openshift/logging-eventrouter' must be 'sha256:' and 64 lowercase hex digits.");
  });
});

/** Code for the three workloads, each Node image pinned unless named in `unpinned`. */
function code(...unpinned: Array<'eventsFanout' | 'logAlerter' | 'eventExporter'>): KlaxonPipelineProps['code'] {
  const bundle = (name: 'eventsFanout' | 'logAlerter' | 'eventExporter'): FunctionCode =>
    FunctionCode.fromBundle(Buffer.from(`//${name}`), unpinned.includes(name) ? {} : { nodeImage: KLAXON_IMAGES.node.withDigest(DIGEST) });
  return { eventsFanout: bundle('eventsFanout'), logAlerter: bundle('logAlerter'), eventExporter: bundle('eventExporter') };
}

/**
 * A pipeline that runs every kind of pod Klaxon renders (event exporter, eventrouter, kube-eventer,
 * Fluent Bit, both workloads), each image pinned by digest unless a change says otherwise, in an app
 * that requires digests (no mutable tags allowed).
 */
/** The exporter, eventrouter and kube-eventer, eventrouter and kube-eventer pinned unless given other props. */
function sources(props: { eventrouter?: Omit<EventrouterProps, 'topic'>; kubeEventer?: KubeEventerProps } = {}): EventSource[] {
  return [
    EventSource.exporter(),
    EventSource.eventrouter(props.eventrouter ?? { listener: 'plain', image: EventrouterImage.OPENSHIFT_V0_5_0.withDigest(DIGEST) }),
    EventSource.kubeEventer(props.kubeEventer ?? { image: KubeEventerImage.V1_2_7.withDigest(DIGEST), sinks: [KubeEventerSink.log()] }),
  ];
}

function pipelineProps(change: (p: KlaxonPipelineProps) => KlaxonPipelineProps = (p) => p): KlaxonPipelineProps {
  return change({
    // kubesphere's Kafka: a plain listener restricted to eventrouter, SCRAM for everyone else
    kafka: environments.kubesphere.kafka,
    code: code(),
    eventSources: sources(),
    logShipping: LogShipping.fluentBit({ image: KLAXON_IMAGES.fluentBit.withDigest(DIGEST) }),
    logAlerter: { rules: [EXAMPLE_404_RULE] },
    images: { requireDigests: true },
  });
}

function synthFailure(props: KlaxonPipelineProps): string {
  const app = Testing.app();
  new KlaxonPipeline(app, props);
  return messageOf(() => app.synth());
}

/** Every container image of the app's pod templates, by `kind/name/container`. */
function renderedImages(app: App): Record<string, string> {
  const images: Record<string, string> = {};
  for (const chart of app.charts) {
    for (const o of Testing.synth(chart)) {
      const pod = o.spec?.template?.spec;
      for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) images[`${o.kind}/${o.metadata.name}/${c.name}`] = c.image;
    }
  }
  return images;
}

describe('KlaxonPipeline images: every image a construct renders goes through ContainerImage and the digest rule', () => {
  test('with every image pinned, synth passes and each pod runs repository:tag@sha256:…', () => {
    const app = Testing.app();
    new KlaxonPipeline(app, pipelineProps());
    expect(() => app.synth()).not.toThrow();
    const images = renderedImages(app);
    const pick = (pattern: RegExp): string[] => [...new Set(Object.entries(images).filter(([k]) => pattern.test(k)).map(([, v]) => v))];
    expect(pick(/eventrouter/)).toEqual([`quay.io/openshift/logging-eventrouter:v0.5.0@${DIGEST}`]);
    expect(pick(/kubeeventer/)).toEqual([`registry.aliyuncs.com/acs/kube-eventer:v1.2.7-ca03be0-aliyun@${DIGEST}`]);
    expect(pick(/fluentbit/)).toEqual([`cr.fluentbit.io/fluent/fluent-bit:4.2.8@${DIGEST}`]);
    expect(pick(/eventexporter|eventsfanout|logalerter/)).toEqual([`node:24.18.0-alpine3.24@${DIGEST}`]);
    // every Deployment and DaemonSet above: nothing renders an image outside these
    expect(Object.keys(images).length).toBe(Object.keys(images).filter((k) => /eventrouter|kubeeventer|fluentbit|eventexporter|eventsfanout|logalerter/.test(k)).length);
    expect(Object.values(images).every((i) => i.endsWith(`@${DIGEST}`))).toBe(true);
  });

  test.each([
    ['eventrouter image', (p: KlaxonPipelineProps) => ({ ...p, eventSources: sources({ eventrouter: { listener: 'plain' } }) }),
      /'image' \("quay\.io\/openshift\/logging-eventrouter:v0\.5\.0"\) of Eventrouter 'Eventrouter' \(Deployment\/sources-eventrouter-[0-9a-f]{8}\)/],
    ['kube-eventer image', (p: KlaxonPipelineProps) => ({ ...p, eventSources: sources({ kubeEventer: { sinks: [KubeEventerSink.log()] } }) }),
      /'image' \("registry\.aliyuncs\.com\/acs\/kube-eventer:v1\.2\.7-ca03be0-aliyun"\) of KubeEventer 'KubeEventer' \(Deployment\/sources-kubeeventer-[0-9a-f]{8}\)/],
    ['Fluent Bit image', (p: KlaxonPipelineProps) => ({ ...p, logShipping: LogShipping.fluentBit() }),
      /'image' \("cr\.fluentbit\.io\/fluent\/fluent-bit:4\.2\.8"\) of FluentBit 'FluentBit' \(DaemonSet\/logging-fluentbit-[0-9a-f]{8}\)/],
    ['event exporter\'s Node image', (p: KlaxonPipelineProps) => ({ ...p, code: code('eventExporter') }),
      /'nodeImage' \("node:24\.18\.0-alpine3\.24"\) of FunctionCode\.fromBundle \(Deployment\/sources-eventexporter-[0-9a-f]{8}\)/],
    ['workloads\' Node image', (p: KlaxonPipelineProps) => ({ ...p, code: code('eventsFanout', 'logAlerter') }),
      /'nodeImage' \("node:24\.18\.0-alpine3\.24"\) of FunctionCode\.fromBundle \(Deployment\/workloads-eventsfanout-[0-9a-f]{8}, Deployment\/workloads-logalerter-[0-9a-f]{8}\)/],
    ['prebuilt function image', (p: KlaxonPipelineProps) => ({ ...p, code: { ...code(), logAlerter: FunctionCode.fromImage(ContainerImage.of('ghcr.io/example/log-alerter', '1.0.0')) } }),
      /'image' \("ghcr\.io\/example\/log-alerter:1\.0\.0"\) of FunctionCode\.fromImage \(Deployment\/workloads-logalerter-[0-9a-f]{8}\)/],
  ])('an unpinned %s fails synth, naming the prop and the value that chose it', (_source, change, named) => {
    const message = synthFailure(pipelineProps(change));
    expect(message).toContain("'images.requireDigests' (true) of KlaxonPipeline: these images are mutable tags, which the registry can move to other bytes: ");
    expect(message).toMatch(named);
    // only the changed source is named
    expect(message.match(/ \(\w+\/[a-z0-9-]+/g)).toHaveLength(1);
    expect(message).toContain("or set 'images.allowMutableTags: true' to accept the risk.");
  });

  test('mutable tags pass when the app allows them explicitly, or does not require digests', () => {
    for (const images of [{ requireDigests: true, allowMutableTags: true }, {}]) {
      const app = Testing.app();
      new KlaxonPipeline(app, { code: code('eventsFanout', 'logAlerter', 'eventExporter'), logAlerter: { rules: [EXAMPLE_404_RULE] }, images });
      expect(() => app.synth()).not.toThrow();
    }
  });
});

describe('checkPinnedImages outside a pipeline', () => {
  test("an unpinned eventrouter SASL init image is named by 'initImage'; a pinned one renders with its digest", () => {
    const build = (initImage?: ContainerImage): { app: App; chart: Chart } => {
      const app = Testing.app();
      const chart = new Chart(app, 'test', { namespace: 'klaxon' });
      const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy:9092');
      const s = secretWith(chart, 'S', { u: 'x', p: 'y' });
      new Eventrouter(chart, 'Events', {
        topic: new ExternalTopic(chart, 'T', 'events', old),
        image: EventrouterImage.HEPTIO_V0_3.withDigest(DIGEST),
        sasl: { username: { secret: s, key: 'u' }, password: { secret: s, key: 'p' } },
        ...(initImage ? { initImage } : {}),
      });
      checkPinnedImages(app, { requireDigests: true }, 'the test app');
      return { app, chart };
    };
    expect(messageOf(() => build().app.synth())).toMatch(/'initImage' \("busybox:1\.37\.0"\) of Eventrouter 'Events' \(Deployment\/test-events-[0-9a-f]{8}\)/);
    const { app } = build(KLAXON_IMAGES.busybox.withDigest(DIGEST));
    expect(() => app.synth()).not.toThrow();
    expect(Object.values(renderedImages(app)).sort()).toEqual([`busybox:1.37.0@${DIGEST}`, `gcr.io/heptio-images/eventrouter:v0.3@${DIGEST}`]);
  });

  test('a container added outside Klaxon\'s constructs (an escape hatch) is still caught, named by its pod', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test');
    new k8s.KubeDeployment(chart, 'Extra', {
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'example/sidecar:1.0' }] } } },
    });
    checkPinnedImages(app, { requireDigests: true }, 'the test app');
    expect(messageOf(() => app.synth())).toMatch(/: "example\/sidecar:1\.0" \(Deployment\/test-extra-[0-9a-f]{8}\)\. Pin each/);
    expect(unpinnedImages(app)).toEqual([expect.stringMatching(/^Deployment\/test-extra-[0-9a-f]{8}: example\/sidecar:1\.0$/)]);
  });
});
