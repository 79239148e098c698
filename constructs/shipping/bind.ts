/**
 * How container logs reach the `logs` topic, as the pipeline binds it: `LogShipping.fluentBit(…)`,
 * `LogShipping.fluentOperator(…)`, `LogShipping.none()`. Each choice builds its own constructs in
 * the logging chart from what the pipeline hands it (`LogShippingContext`); a new shipper is one
 * more static method here and one file in this folder, with no change to the pipeline.
 */
import type { KlaxonChart } from '../klaxon-chart';
import type { KafkaCluster } from '../kafka/kafka-cluster';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { FluentBit, FluentBitProps } from './fluent-bit';
import { FluentOperatorKafkaOutput, FluentOperatorKafkaOutputProps } from './fluent-operator-output';
import type { ILogShipper } from './log-shipping';

/** What the pipeline gives a log-shipping choice. */
export interface LogShippingContext {
  /** The chart the shipper's objects go in. */
  readonly chart: KlaxonChart;
  /** The topic the shipper writes. */
  readonly topic: IKafkaTopic;
  /** The Kafka cluster of `topic`. */
  readonly cluster: KafkaCluster;
  /**
   * The KafkaUser the shipper logs in as on `listener` (its workload listener when undefined): made
   * on the first call when that listener authenticates with SCRAM-SHA-512, undefined otherwise.
   */
  shipperUser(listener: string | undefined): KafkaUser | undefined;
  /** Adds the chart's Namespace with the Pod Security level its pods need (host paths: 'privileged'). */
  addNamespace(podSecurity: 'privileged' | 'baseline' | 'restricted'): void;
}

/** How container logs reach the `logs` topic. */
export abstract class LogShipping {
  /** Klaxon's own Fluent Bit DaemonSet, in the logging namespace (Pod Security `privileged`: it reads host paths). */
  public static fluentBit(options: Omit<FluentBitProps, 'topic'> = {}): LogShipping {
    return new (class extends LogShipping {
      public bind(ctx: LogShippingContext): ILogShipper {
        ctx.addNamespace('privileged');
        const user = options.user ?? ctx.shipperUser(options.listener);
        return new FluentBit(ctx.chart, 'FluentBit', { ...options, ...(user ? { user } : {}), topic: ctx.topic });
      }
    })();
  }

  /** ClusterInput/ClusterFilter/ClusterOutput for a cluster that already runs fluent-operator. */
  public static fluentOperator(options: Omit<FluentOperatorKafkaOutputProps, 'topic'> = {}): LogShipping {
    return new (class extends LogShipping {
      public bind(ctx: LogShippingContext): ILogShipper {
        const user = options.user ?? ctx.shipperUser(options.listener);
        return new FluentOperatorKafkaOutput(ctx.chart, 'FluentOperator', { ...options, ...(user ? { user } : {}), topic: ctx.topic });
      }
    })();
  }

  /** No shipper: something outside Klaxon writes container logs to the topic. */
  public static none(): LogShipping {
    return new (class extends LogShipping {
      public bind(): undefined {
        return undefined;
      }
    })();
  }

  /** Builds the shipper's objects; undefined when there is none. */
  public abstract bind(ctx: LogShippingContext): ILogShipper | undefined;
}
