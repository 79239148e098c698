/**
 * Moved to constructs/pod-support.ts (shared by sources, shipping and workloads). This re-export
 * only keeps constructs/index.ts compiling until it points at '../pod-support'; delete it then.
 */
export * from '../pod-support';
