/**
 * Where a KafkaCluster's node pools keep their data: `KafkaStorage.ephemeral()` (emptyDir, for dev
 * and tests) or `KafkaStorage.persistentClaim({ size })`, rendered as a KafkaNodePool `spec.storage`
 * with the KRaft metadata log on the same volume.
 */
import { Size } from 'cdk8s';
import {
  KafkaNodePoolSpecStorage,
  KafkaNodePoolSpecStorageKraftMetadata,
  KafkaNodePoolSpecStorageType,
} from '../../imports/strimzi-kafkanodepool-kafka.strimzi.io';
import { quantity } from '../pod-support';
import { checkNonEmpty, describeProp, PropError } from '../validation';

/** Options of ephemeral (emptyDir) storage. */
export interface EphemeralStorageOptions {
  /** Upper bound of the emptyDir. @default - no limit */
  readonly sizeLimit?: Size;
}

/** Options of persistent-claim storage. */
export interface PersistentClaimStorageOptions {
  /** Size of each node's volume. Required. */
  readonly size: Size;
  /** StorageClass of the claims. @default - the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Delete the claims when the cluster is deleted. @default false */
  readonly deleteClaim?: boolean;
}

/** Where a node pool keeps its log dirs and the KRaft metadata log (always on the same volume). */
export class KafkaStorage {
  /** An emptyDir: data is lost when a pod goes. For dev and tests. */
  public static ephemeral(options: EphemeralStorageOptions = {}): KafkaStorage {
    return new KafkaStorage('ephemeral', undefined, undefined, false, options.sizeLimit);
  }

  /** One PersistentVolumeClaim per node. */
  public static persistentClaim(options: PersistentClaimStorageOptions): KafkaStorage {
    if (!options || options.size === undefined) {
      throw new PropError(`${describeProp('size', undefined)} of persistent-claim storage must be set: a claim needs a size, e.g. Size.gibibytes(100).`);
    }
    if (options.storageClass !== undefined) checkNonEmpty('storageClass', options.storageClass, 'persistent-claim storage');
    return new KafkaStorage('persistent-claim', options.size, options.storageClass, options.deleteClaim ?? false, undefined);
  }

  private constructor(
    /** 'ephemeral' or 'persistent-claim'. */
    public readonly type: 'ephemeral' | 'persistent-claim',
    /** Volume size (persistent-claim). */
    public readonly size: Size | undefined,
    /** StorageClass (persistent-claim). */
    public readonly storageClass: string | undefined,
    /** Whether claims are deleted with the cluster. */
    public readonly deleteClaim: boolean,
    /** emptyDir size limit (ephemeral). */
    public readonly sizeLimit: Size | undefined,
  ) {}

  /** @internal the KafkaNodePool `spec.storage`. */
  public _toKube(): KafkaNodePoolSpecStorage {
    if (this.type === 'ephemeral') {
      return {
        type: KafkaNodePoolSpecStorageType.EPHEMERAL,
        ...(this.sizeLimit ? { sizeLimit: quantity(this.sizeLimit) } : {}),
        kraftMetadata: KafkaNodePoolSpecStorageKraftMetadata.SHARED,
      };
    }
    return {
      type: KafkaNodePoolSpecStorageType.PERSISTENT_HYPHEN_CLAIM,
      size: quantity(this.size!),
      ...(this.storageClass ? { class: this.storageClass } : {}),
      deleteClaim: this.deleteClaim,
      kraftMetadata: KafkaNodePoolSpecStorageKraftMetadata.SHARED,
    };
  }
}
