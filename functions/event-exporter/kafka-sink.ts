/**
 * The exporter's Kafka producer: idempotent, acks=all, one request in flight, no topic
 * auto-creation. `send` resolves only once every record is acknowledged; on failure it throws and
 * the scope retries the same batch (at least once: a retried batch may already be stored).
 */
import { Kafka, Producer } from 'kafkajs';
import { kafkaClient, reliableProducer } from '../runtime/kafka-admin';
import { KafkaClientSecurity } from '../runtime/kafka-security';
import { Logger } from '../runtime/logger';
import { ExporterRecord } from './record';
import { RecordSink } from './scope';

export class KafkaRecordSink implements RecordSink {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;

  constructor(
    private readonly topic: string,
    brokers: readonly string[],
    clientId: string,
    security: KafkaClientSecurity,
    private readonly logger: Logger,
  ) {
    this.kafka = kafkaClient({ clientId, brokers, security, logLevel: 'warn', logger });
  }

  async send(records: readonly ExporterRecord[]): Promise<void> {
    const producer = await this.connect();
    try {
      await producer.send({ topic: this.topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })) });
    } catch (e) {
      // A fresh producer (and producer id) for the next try, as the runtime's worker does.
      await this.disconnect();
      throw e;
    }
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((e: unknown) => this.logger.debug('producer disconnect failed', { error: e }));
  }

  private async connect(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = reliableProducer(this.kafka);
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => undefined);
      throw e;
    }
    this.producer = producer;
    return producer;
  }
}
