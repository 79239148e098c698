/**
 * Container images: one typed place for the images Klaxon runs (repository, tag, optional digest),
 * and the check that every pod of an app runs an image pinned by digest.
 *
 * A tag can be moved to other bytes by whoever controls the registry; a digest cannot. Pin an image
 * by giving its digest (`ContainerImage.of(repo, tag, 'sha256:…')`, or `repo:tag@sha256:…` where a
 * construct takes a reference string), read with `crane digest <repo>:<tag>` or
 * `docker buildx imagetools inspect <repo>:<tag>`. `checkPinnedImages` fails synth on any pod image
 * without a digest unless the app explicitly allows mutable tags.
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
} as const;

/** How an app treats images without a digest. */
export interface ImagePolicy {
  /** Fail synth when a pod runs an image without a digest. @default false */
  readonly requireDigests?: boolean;
  /** With `requireDigests`, accept mutable tags anyway (an explicit, documented exception, e.g. until digests are recorded). @default false */
  readonly allowMutableTags?: boolean;
}

/** The images of every pod template in the app of `scope` that have no digest (`kind/name: image`). */
export function unpinnedImages(scope: IConstruct): string[] {
  const found: string[] = [];
  for (const c of scope.node.root.node.findAll()) {
    if (!(c instanceof ApiObject)) continue;
    const json = c.toJson();
    const pod = json?.spec?.template?.spec ?? (json?.kind === 'Pod' ? json.spec : undefined);
    for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      if (typeof container.image === 'string' && !container.image.includes('@sha256:')) found.push(`${json.kind}/${json.metadata?.name}: ${container.image}`);
    }
  }
  return [...new Set(found)].sort();
}

/** Adds the synth-time check of `policy` to `scope`. */
export function checkPinnedImages(scope: IConstruct, policy: ImagePolicy, owner: string): void {
  if (!policy.requireDigests || policy.allowMutableTags) return;
  scope.node.addValidation({
    validate: () => {
      const unpinned = unpinnedImages(scope);
      return unpinned.length === 0 ? [] : [
        `${describeProp('images.requireDigests', true, owner)}: these pods run images by mutable tag, which the registry can move to other bytes: ${unpinned.join('; ')}. ` +
        "Pin each with its digest (repository:tag@sha256:…; README, Security model) or set 'images.allowMutableTags: true' to accept the risk.",
      ];
    },
  });
}
