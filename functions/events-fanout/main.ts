/**
 * Entry point of the events-fanout bundle (`node .build/functions/events-fanout/index.js`): runs
 * the workload until SIGTERM. Configuration: the WorkloadEnv and FanoutEnv keys
 * and the runtime's optional RuntimeTuningEnv keys, all in functions/contracts/workload-env.ts.
 */
import { runWorkload } from '../runtime/lifecycle';
import { eventsFanout } from './workload';

void runWorkload(eventsFanout);
