/**
 * The workload's Kafka clients, made once from the runtime config: the kafkajs `Kafka` the worker
 * consumes and produces with, and an admin a workload may ask for (`WorkloadContext.admin`),
 * connected on first use and disconnected by the lifecycle on stop.
 */
import { Admin, Kafka, Partitioners, Producer } from 'kafkajs';
import type { RuntimeConfig } from './config';
import type { KafkaClientSecurity } from './kafka-security';
import { KAFKA_LOG_LEVELS, kafkaLogCreator } from './kafka-records';
import type { Logger, LogLevel } from './logger';
import { quietRequestQueueTimers } from './request-queue-timer';

/** What a kafkajs client of a Klaxon process is made from. */
export interface KafkaClientOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly security?: KafkaClientSecurity;
  /** The lowest kafkajs level logged. */
  readonly logLevel: LogLevel;
  readonly logger: Logger;
}

/**
 * A kafkajs client: brokers, client id, TLS/SASL, its log lines in the JSON log, and kafkajs's
 * idle request-queue timers quieted (request-queue-timer.ts). Every Kafka client of the workloads is made here.
 */
export function kafkaClient(options: KafkaClientOptions): Kafka {
  quietRequestQueueTimers();
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...options.security,
    logLevel: KAFKA_LOG_LEVELS[options.logLevel],
    logCreator: kafkaLogCreator(options.logger.child({ component: 'kafkajs' })),
  });
}

/**
 * The producer every Klaxon write goes through: idempotent, one request in flight (order kept), no
 * topic auto-creation, the default partitioner (murmur2, as Kafka's own clients), and finite
 * retries, so a send fails and the caller's own loop (which heartbeats, backs off, stops on SIGTERM
 * and replaces the producer) takes over.
 */
export function reliableProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

/** The kafkajs client of a workload on the shared runtime, from its config. */
export function workloadKafka(config: RuntimeConfig, security: KafkaClientSecurity | undefined, logger: Logger): Kafka {
  return kafkaClient({ clientId: config.clientId, brokers: config.brokers, security, logLevel: config.logLevel, logger });
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
