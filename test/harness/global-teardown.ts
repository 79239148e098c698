/** Jest global teardown of the `integration` project: stops what global-setup.ts started. */
import { HARNESS_STATE, HarnessState, stopHarness } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>)[HARNESS_STATE] as HarnessState | undefined;
  if (!state) return;
  await stopHarness(state);
}
