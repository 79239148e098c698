/**
 * The workload's Kafka clients, made once from the runtime config: the kafkajs `Kafka` the worker
 * consumes and produces with, and an admin a workload may ask for (`WorkloadContext.admin`),
 * connected on first use and disconnected by the lifecycle on stop.
 */
import { Admin, Kafka } from 'kafkajs';
import type { RuntimeConfig } from './config';
import type { KafkaClientSecurity } from './kafka-security';
import { KAFKA_LOG_LEVELS, kafkaLogCreator } from './kafka-records';
import type { Logger } from './logger';

/** A kafkajs client for the workload: its brokers, client id, TLS/SASL, and its log lines in the JSON log. */
export function workloadKafka(config: RuntimeConfig, security: KafkaClientSecurity | undefined, logger: Logger): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ...security,
    logLevel: KAFKA_LOG_LEVELS[config.logLevel],
    logCreator: kafkaLogCreator(logger.child({ component: 'kafkajs' })),
  });
}

/** An admin client connected on first use; a failed connect is tried again on the next use. */
export class AdminConnection {
  private connecting: Promise<Admin> | undefined;
  private closed = false;

  constructor(private readonly kafka: Kafka) {}

  /** The connected admin. */
  get(): Promise<Admin> {
    if (this.closed) return Promise.reject(new Error('the admin client is closed (the workload is stopping)'));
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (e) {
        this.connecting = undefined;
        throw e;
      }
      return admin;
    })();
    return this.connecting;
  }

  /** Disconnects, if it ever connected. Never rejects. */
  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    if (!connecting) return;
    try {
      await (await connecting).disconnect();
    } catch {
      // never connected, or already gone
    }
  }
}
