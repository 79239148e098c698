import { Testing } from 'cdk8s';
import { ContainerImage, KLAXON_IMAGES, unpinnedImages } from '../../constructs/images';
import { KlaxonPipeline } from '../../constructs/pipeline';
import { LogShipping } from '../../constructs/shipping/bind';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { messageOf } from './support';

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
  });
});

describe('KlaxonPipeline images', () => {
  const code = (nodeImage?: string) => ({
    eventsFanout: FunctionCode.fromBundle(Buffer.from('//f'), nodeImage ? { nodeImage } : {}),
    logAlerter: FunctionCode.fromBundle(Buffer.from('//a'), nodeImage ? { nodeImage } : {}),
    eventExporter: FunctionCode.fromBundle(Buffer.from('//e'), nodeImage ? { nodeImage } : {}),
  });

  test('fails synth if a pod runs an image by tag while digests are required, naming every such pod', () => {
    const app = Testing.app();
    new KlaxonPipeline(app, { code: code(), logAlerter: { rules: [EXAMPLE_404_RULE] }, images: { requireDigests: true } });
    const message = messageOf(() => app.synth());
    expect(message).toContain("'images.requireDigests' (true) of KlaxonPipeline: these pods run images by mutable tag");
    expect(message).toMatch(/DaemonSet\/logging-fluentbit-[0-9a-f]{8}: cr\.fluentbit\.io\/fluent\/fluent-bit:4\.2\.8; /);
    expect(message).toMatch(/Deployment\/workloads-logalerter-[0-9a-f]{8}: node:24\.18\.0-alpine3\.24\. /);
    expect(message).toContain("or set 'images.allowMutableTags: true' to accept the risk.");
  });

  test('passes when every image is pinned, or when mutable tags are allowed explicitly', () => {
    const pinned = Testing.app();
    const digest = (image: string): string => `${image}@${DIGEST}`;
    const p = new KlaxonPipeline(pinned, {
      code: code(digest(KLAXON_IMAGES.node.reference)),
      logAlerter: { rules: [EXAMPLE_404_RULE] },
      logShipping: LogShipping.fluentBit({ image: digest(KLAXON_IMAGES.fluentBit.reference) }),
      images: { requireDigests: true },
    });
    const remaining = unpinnedImages(p.workloadsChart);
    // kube-eventer's image is the one left here: pinned through its own image prop in a real app
    expect(remaining.every((r) => r.includes('kube-eventer'))).toBe(true);
    const allowed = Testing.app();
    new KlaxonPipeline(allowed, { code: code(), logAlerter: { rules: [EXAMPLE_404_RULE] }, images: { requireDigests: true, allowMutableTags: true } });
    expect(() => allowed.synth()).not.toThrow();
  });
});
