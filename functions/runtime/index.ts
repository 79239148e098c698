/**
 * The Klaxon function runtime: typed config, the Kafka batch loop, dead letters, retries, health,
 * metrics, logs and the process lifecycle, written once for every workload.
 *
 * A workload's main.ts is `void runWorkload({ defaults, settings, createHandler })`; see
 * functions/events-fanout/main.ts.
 */
export * from './config';
export * from './dead-letter';
export * from './handler';
export * from './health';
export * from './lifecycle';
export * from './logger';
export * from './metrics';
export * from './retry';
export * from './secret-files';
export * from './worker';
export * from './topic-creator';
export * from './retry-topics';
