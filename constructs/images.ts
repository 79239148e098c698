/**
 * Container images: one typed place for the images Klaxon runs (repository, tag, optional digest),
 * and the check that every pod of an app runs an image pinned by digest.
 *
 * A tag can be moved to other bytes by whoever controls the registry; a digest cannot. Every
 * construct that renders a pod takes its images as `ContainerImage` (or a class wrapping one, like
 * `EventrouterImage`) and records them with `registerImage`, naming the prop that chose each. Pin an
 * image by giving its digest (`KLAXON_IMAGES.fluentBit.withDigest('sha256:…')`,
 * `ContainerImage.of(repo, tag, 'sha256:…')` or `ContainerImage.parse('repo:tag@sha256:…')`), read
 * with `crane digest <repo>:<tag>` or `docker buildx imagetools inspect <repo>:<tag>`.
 * `checkPinnedImages` fails synth on any pod image without a digest, naming the prop and value that
 * chose it, unless the app explicitly allows mutable tags.
 */
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { describeProp, PropError } from './validation';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** An image reference: repository, tag, and (pinned) digest. */
export class ContainerImage {
  /** `repository:tag`, pinned to `digest` when given. */
  public static of(repository: string, tag: string, digest?: string): ContainerImage {
    const owner = `ContainerImage '${repository}'`;
    if (!repository || /[\s@]/.test(repository) || repository.endsWith(':')) throw new PropError(`${describeProp('repository', repository, 'ContainerImage')} must be an image repository such as 'cr.fluentbit.io/fluent/fluent-bit'.`);
    if (!TAG.test(tag) || tag === 'latest') throw new PropError(`${describeProp('tag', tag, owner)} must be a version tag (not 'latest'): up to 128 letters, digits, '_', '.' or '-'.`);
    if (digest !== undefined && !DIGEST.test(digest)) throw new PropError(`${describeProp('digest', digest, owner)} must be 'sha256:' and 64 lowercase hex digits.`);
    return new ContainerImage(repository, tag, digest);
  }

  /** Reads `repository:tag[@sha256:…]`. */
  public static parse(reference: string): ContainerImage {
    const [name, digest] = reference.split('@');
    const colon = name.lastIndexOf(':');
    if (colon <= name.lastIndexOf('/')) throw new PropError(`${describeProp('image', reference, 'ContainerImage.parse')} needs a tag (repository:tag), e.g. 'node:24.18.0-alpine3.24'.`);
    return ContainerImage.of(name.slice(0, colon), name.slice(colon + 1), digest);
  }

  private constructor(
    /** Repository, e.g. 'cr.fluentbit.io/fluent/fluent-bit'. */
    public readonly repository: string,
    /** Version tag. */
    public readonly tag: string,
    /** `sha256:…` digest, when pinned. */
    public readonly digest: string | undefined,
  ) {}

  /** Whether the reference names exact bytes (a digest). */
  public get pinned(): boolean {
    return this.digest !== undefined;
  }

  /** The reference a pod spec takes: `repository:tag` or `repository:tag@sha256:…`. */
  public get reference(): string {
    return `${this.repository}:${this.tag}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** The same image pinned to `digest`. */
  public withDigest(digest: string): ContainerImage {
    return ContainerImage.of(this.repository, this.tag, digest);
  }
}

/** Every image Klaxon runs by default (each construct's default comes from here). */
export const KLAXON_IMAGES = {
  /** Fluent Bit 4.2.8 (librdkafka 2.x: negotiates versions with Kafka 4 and logs in with SCRAM). */
  fluentBit: ContainerImage.of('cr.fluentbit.io/fluent/fluent-bit', '4.2.8'),
  /** Node 24.18.0 LTS on Alpine 3.24, which unpacks and runs the function bundles. */
  node: ContainerImage.of('node', '24.18.0-alpine3.24'),
  /** openshift/eventrouter, every master build tagged v0.5.0 (`EventrouterImage.OPENSHIFT_V0_5_0` says which Kafka client). */
  eventrouter: ContainerImage.of('quay.io/openshift/logging-eventrouter', 'v0.5.0'),
  /** kube-eventer as its own manifests pin it up to release 1.2.14 (`KubeEventerImage.V1_2_7`). */
  kubeEventer: ContainerImage.of('registry.aliyuncs.com/acs/kube-eventer', 'v1.2.7-ca03be0-aliyun'),
  /** BusyBox, the shell of eventrouter's SASL init container. */
  busybox: ContainerImage.of('busybox', '1.37.0'),
} as const;

/** Where an image came from: the prop that chose it, for messages. */
export interface ImageUse {
  /** The prop that chose the image, e.g. 'image' or 'nodeImage'. */
  readonly prop: string;
  /** The image. */
  readonly image: ContainerImage;
  /** Who has the prop, e.g. `Eventrouter 'Events'`. */
  readonly owner: string;
}

const IMAGE_USES = new WeakMap<IConstruct, ImageUse[]>();

/**
 * Records that pods rendered under `scope` run `image`, chosen by `prop` of `owner`, so that
 * `checkPinnedImages` names the prop and its value. Returns the reference a pod spec takes.
 */
export function registerImage(scope: IConstruct, prop: string, image: ContainerImage, owner: string): string {
  const uses = IMAGE_USES.get(scope) ?? [];
  if (!uses.some((u) => u.prop === prop && u.image.reference === image.reference)) uses.push({ prop, image, owner });
  IMAGE_USES.set(scope, uses);
  return image.reference;
}

/** The images registered on `scope` itself (not its children). */
export function registeredImages(scope: IConstruct): ImageUse[] {
  return [...(IMAGE_USES.get(scope) ?? [])];
}

/** How an app treats images without a digest. */
export interface ImagePolicy {
  /** Fail synth when a pod runs an image without a digest. @default false */
  readonly requireDigests?: boolean;
  /** With `requireDigests`, accept mutable tags anyway (an explicit, documented exception, e.g. until digests are recorded). @default false */
  readonly allowMutableTags?: boolean;
}

/** An image of the app that has no digest: the pods that run it, and the prop that chose it when a construct registered it. */
export interface UnpinnedImage {
  /** The reference rendered into the pods. */
  readonly reference: string;
  /** `kind/name` of every pod template running it. */
  readonly pods: string[];
  /** The prop that chose it, when registered (`registerImage`). @default - an image set outside Klaxon's constructs (an escape hatch) */
  readonly use?: ImageUse;
}

/** Every image without a digest in the pod templates of the app of `scope`, with the prop that chose it. */
export function unpinnedImageUses(scope: IConstruct): UnpinnedImage[] {
  const found = new Map<string, { reference: string; pods: Set<string>; use?: ImageUse }>();
  for (const c of scope.node.root.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const json = c.toJson();
    const pod = json?.spec?.template?.spec ?? (json?.kind === 'Pod' ? json.spec : undefined);
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      const reference = container.image;
      if (typeof reference !== 'string' || reference.includes('@sha256:')) continue;
      // the nearest enclosing construct that registered this reference chose it
      const use = [...c.node.scopes].reverse().map((s) => registeredImages(s).find((u) => u.image.reference === reference)).find((u) => u !== undefined);
      const key = JSON.stringify([use?.owner, use?.prop, reference]);
      const entry = found.get(key) ?? { reference, pods: new Set<string>(), ...(use ? { use } : {}) };
      entry.pods.add(`${json.kind}/${json.metadata?.name}`);
      found.set(key, entry);
    }
  }
  return [...found.values()]
    .map((e) => ({ ...e, pods: [...e.pods].sort() }))
    .sort((a, b) => describeUnpinned(a).localeCompare(describeUnpinned(b)));
}

/** The images of every pod template in the app of `scope` that have no digest (`kind/name: image`). */
export function unpinnedImages(scope: IConstruct): string[] {
  return unpinnedImageUses(scope).flatMap((u) => u.pods.map((p) => `${p}: ${u.reference}`)).sort();
}

function describeUnpinned(u: UnpinnedImage): string {
  const where = u.pods.join(', ');
  return u.use ? `${describeProp(u.use.prop, u.reference, u.use.owner)} (${where})` : `${JSON.stringify(u.reference)} (${where})`;
}

/**
 * Adds the synth-time check of `policy` to `scope`: with `requireDigests` and without
 * `allowMutableTags`, synth fails on any pod image of the app without a digest, naming the prop and
 * value that chose it and the pods that run it.
 */
export function checkPinnedImages(scope: IConstruct, policy: ImagePolicy, owner: string): void {
  if (!policy.requireDigests || policy.allowMutableTags) return;
  scope.node.addValidation({
    validate: () => {
      const unpinned = unpinnedImageUses(scope);
      return unpinned.length === 0 ? [] : [
        `${describeProp('images.requireDigests', true, owner)}: these images are mutable tags, which the registry can move to other bytes: ${unpinned.map(describeUnpinned).join('; ')}. ` +
        "Pin each with its digest (e.g. KLAXON_IMAGES.fluentBit.withDigest('sha256:…'); README, Security model) or set 'images.allowMutableTags: true' to accept the risk.",
      ];
    },
  });
}
