/**
 * Entry point of the events-fanout bundle (`node .build/functions/events-fanout/index.js`): runs
 * the workload until SIGTERM. Configuration: the WorkloadEnv and FanoutEnv keys
 * (functions/contracts/workload-env.ts) and the runtime's tuning keys (functions/runtime/config.ts).
 */
import { runWorkload } from '../runtime/lifecycle';
import { eventsFanout } from './workload';

void runWorkload(eventsFanout);
