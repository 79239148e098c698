/**
 * Where Kubernetes Events come from, as the pipeline binds it: `EventSource.exporter(…)` (Klaxon's
 * own, the default), `EventSource.eventrouter(…)`, `EventSource.kubeEventer(…)`. Each choice builds
 * its constructs in the sources chart from what the pipeline hands it (`EventSourceContext`); a new
 * source is one more static method here and one file in this folder, with no change to the pipeline.
 */
import type { IConstruct } from 'constructs';
import type { KlaxonChart } from '../klaxon-chart';
import type { KafkaCluster } from '../kafka/kafka-cluster';
import type { KafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { describeProp, PropError } from '../validation';
import type { FunctionCode } from '../workloads/function-code';
import { EventExporter, EventExporterProps, EXPORTER_WORKLOAD_NAME } from './event-exporter';
import { Eventrouter, EventrouterProps } from './eventrouter';
import { KubeEventer, KubeEventerProps } from './kube-eventer';

/** What the pipeline gives an event source. */
export interface EventSourceContext {
  /** The chart the source's objects go in. */
  readonly chart: KlaxonChart;
  /** The topic Events are written to (`cluster-events`). */
  readonly topic: KafkaTopic;
  /** The Kafka cluster of `topic`. */
  readonly cluster: KafkaCluster;
  /** The event exporter's bundle, when the pipeline was given one. */
  readonly exporterCode?: FunctionCode;
  /** A KafkaUser named `userName` for a Klaxon workload when the workload listener authenticates, else undefined. */
  workloadUser(id: string, userName: string): KafkaUser | undefined;
}

/** A source of Kubernetes Events for the pipeline. */
export abstract class EventSource {
  /** Klaxon's event exporter (checkpointed, leader-elected) writing `cluster-events`; needs the pipeline's `code.eventExporter`. */
  public static exporter(options: Omit<EventExporterProps, 'topic' | 'code'> = {}): EventSource {
    return new (class extends EventSource {
      public readonly kind = 'exporter';
      public bind(ctx: EventSourceContext): EventExporter {
        if (!ctx.exporterCode) {
          throw new PropError(`${describeProp('code.eventExporter', undefined, 'KlaxonPipeline')} must be set while EventSource.exporter() is a source: FunctionCode.fromBundle(bytes) of functions/event-exporter, or choose other 'eventSources'.`);
        }
        return new EventExporter(ctx.chart, 'EventExporter', {
          ...options,
          user: options.user ?? ctx.workloadUser('EventExporterUser', EXPORTER_WORKLOAD_NAME),
          topic: ctx.topic,
          code: ctx.exporterCode,
        });
      }
    })();
  }

  /** eventrouter writing `cluster-events`; it cannot authenticate, so it needs a listener opened for it (README, Security model). */
  public static eventrouter(options: Omit<EventrouterProps, 'topic'> = {}): EventSource {
    return new (class extends EventSource {
      public readonly kind = 'eventrouter';
      public bind(ctx: EventSourceContext): Eventrouter {
        return new Eventrouter(ctx.chart, 'Eventrouter', { ...options, topic: ctx.topic });
      }
    })();
  }

  /** kube-eventer with its own sinks (its Kafka sink cannot write to Kafka 4; see README). */
  public static kubeEventer(options: KubeEventerProps): EventSource {
    return new (class extends EventSource {
      public readonly kind = 'kube-eventer';
      public bind(ctx: EventSourceContext): KubeEventer {
        return new KubeEventer(ctx.chart, 'KubeEventer', options);
      }
    })();
  }

  /** What it is, for messages; two sources of one kind in a pipeline fail synth. */
  public abstract readonly kind: string;

  /** Builds the source's objects. */
  public abstract bind(ctx: EventSourceContext): IConstruct;
}
