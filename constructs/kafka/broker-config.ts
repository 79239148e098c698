/**
 * The broker config (`spec.kafka.config`) of a KafkaCluster: the replication keys derived from the
 * broker count, and the tables of keys Klaxon refuses (ZooKeeper-era keys Kafka 4 removed; keys
 * Strimzi manages itself and would silently ignore, with the exceptions it lets through).
 */
import { describeProp, PropError } from '../validation';

/** Broker config keys of the ZooKeeper era that Kafka 4 (KRaft only) removed or ignores. */
export const REMOVED_BROKER_CONFIG_KEYS = ['log.message.format.version', 'inter.broker.protocol.version'] as const;

/**
 * Broker config prefixes Strimzi manages itself (listeners, security, node ids, storage, KRaft
 * roles) and silently ignores in `spec.kafka.config`; Klaxon refuses them instead.
 */
export const STRIMZI_MANAGED_CONFIG_PREFIXES = [
  'advertised.', 'authorizer.', 'broker.', 'controller', 'cruise.control.metrics.reporter.bootstrap.',
  'cruise.control.metrics.topic', 'host.name', 'inter.broker.listener.name', 'listener.', 'listeners', 'log.dir',
  'node.id', 'password.', 'port', 'process.roles', 'sasl.', 'security.', 'servers', 'ssl.', 'super.user',
] as const;

/** Keys under a managed prefix that Strimzi does let through. */
export const STRIMZI_CONFIG_EXCEPTIONS = [
  'controller.quorum.election.backoff.max.ms', 'controller.quorum.election.timeout.ms', 'controller.quorum.fetch.timeout.ms',
  'cruise.control.metrics.topic.num.partitions', 'cruise.control.metrics.topic.replication.factor',
  'cruise.control.metrics.topic.retention.ms', 'cruise.control.metrics.topic.auto.create.retries',
  'cruise.control.metrics.topic.auto.create.timeout.ms', 'cruise.control.metrics.topic.min.insync.replicas',
  'sasl.server.max.receive.size', 'ssl.cipher.suites', 'ssl.protocol', 'ssl.enabled.protocols', 'ssl.secure.random.implementation',
] as const;

/** Broker replication settings that a cluster of `brokers` nodes can satisfy. */
export function derivedBrokerConfig(brokers: number): Record<string, number> {
  const replication = Math.min(3, brokers);
  const minIsr = Math.min(2, brokers);
  return {
    'default.replication.factor': replication,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': minIsr,
  };
}

/** Checks `config` (extra broker config) against Kafka 4 and Strimzi, and its replication keys against `brokers`; returns it. */
export function checkBrokerConfig(config: Record<string, string | number | boolean>, brokers: number, owner: string): Record<string, string | number | boolean> {
  for (const [key, value] of Object.entries(config)) {
    if ((REMOVED_BROKER_CONFIG_KEYS as readonly string[]).includes(key) || key.startsWith('zookeeper.')) {
      throw new PropError(`${describeProp(`config.${key}`, value, owner)} is a ZooKeeper-era setting that Kafka 4 (KRaft) no longer has; remove it.`);
    }
    if (STRIMZI_MANAGED_CONFIG_PREFIXES.some((p) => key.startsWith(p)) && !(STRIMZI_CONFIG_EXCEPTIONS as readonly string[]).includes(key)) {
      throw new PropError(`${describeProp(`config.${key}`, value, owner)} is managed by Strimzi (listeners, security, node ids, storage) and would be ignored; use the KafkaCluster props instead.`);
    }
  }
  for (const key of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) {
    if (config[key] !== undefined && Number(config[key]) > brokers) {
      throw new PropError(`${describeProp(`config.${key}`, config[key], owner)} exceeds the brokers of the cluster (${brokers}).`);
    }
  }
  const merged = { ...derivedBrokerConfig(brokers), ...config };
  for (const [isr, rf] of [['min.insync.replicas', 'default.replication.factor'], ['transaction.state.log.min.isr', 'transaction.state.log.replication.factor']]) {
    if (Number(merged[isr]) > Number(merged[rf])) {
      throw new PropError(`${describeProp(`config.${isr}`, merged[isr], owner)} exceeds '${rf}' (${merged[rf]}); writes with acks=all would always fail.`);
    }
  }
  return config;
}
