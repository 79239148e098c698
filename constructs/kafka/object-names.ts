/**
 * What Klaxon's Kafka constructs register so rules across objects can be checked at synth: the
 * app-wide registry of rendered object names (two constructs rendering the same kind, namespace and
 * name fail synth), and each cluster's registry of its topics and users.
 */
import { IConstruct } from 'constructs';

/** What a KafkaTopic or KafkaUser registers on its cluster so cross-object rules can be checked. */
export interface ClusterRegistry {
  readonly topics: Map<string, { readonly topicName: string; readonly path: string }>;
  readonly users: { readonly authentication: string; readonly path: string }[];
}

const REGISTRIES = new WeakMap<IConstruct, ClusterRegistry>();

/** @internal the per-cluster registry of topics and users (one per cluster object, an IKafkaCluster). */
export function _clusterRegistry(cluster: IConstruct): ClusterRegistry {
  let registry = REGISTRIES.get(cluster);
  if (!registry) {
    registry = { topics: new Map(), users: [] };
    REGISTRIES.set(cluster, registry);
  }
  return registry;
}

const OBJECT_NAMES = new WeakMap<IConstruct, Map<string, string[]>>();

/**
 * @internal Records that the construct `owner` renders `kind`/`namespace`/`name`, and adds a
 * validation that fails synth when another construct of the app renders the same object: two
 * clusters in one namespace would otherwise both render node pool 'dual-role' or topic 'logs', and
 * `kubectl apply` would silently keep only one. (A validation, not a throw, so that constructs may
 * be built side by side in tests that never synthesize.)
 */
export function _claimObjectName(owner: IConstruct, kind: string, namespace: string | undefined, name: string): void {
  const root = owner.node.root;
  let names = OBJECT_NAMES.get(root);
  if (!names) {
    names = new Map();
    OBJECT_NAMES.set(root, names);
  }
  const key = `${kind}/${namespace ?? ''}/${name}`;
  const owners = names.get(key) ?? [];
  owners.push(owner.node.path);
  names.set(key, owners);
  owner.node.addValidation({
    validate: () => {
      const first = owners[0];
      if (first === owner.node.path) return [];
      const where = namespace ? `namespace '${namespace}'` : 'the default namespace';
      return [`${kind} '${name}' of '${owner.node.path}' is already rendered in ${where} by '${first}'; Kubernetes names are unique per kind and namespace. Give each Kafka cluster its own namespace.`];
    },
  });
}
