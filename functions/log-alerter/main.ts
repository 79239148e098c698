/**
 * Entry point of the log-alerter bundle (`node .build/functions/log-alerter/index.js`): runs the
 * workload until SIGTERM. Configuration: the WorkloadEnv and AlerterEnv keys, the variables the
 * sinks JSON names (filled from Secrets), and the runtime's optional RuntimeTuningEnv keys, all in
 * functions/contracts/workload-env.ts.
 */
import { runWorkload } from '../runtime/lifecycle';
import { logAlerter } from './workload';

void runWorkload(logAlerter);
