/**
 * Runs a workload in-process through `runWorkload` (the code the bundles run), with fake process
 * ports: log lines are collected, exit is a promise, SIGTERM is a call. For the runtime's
 * integration tests (test/integration/fanout-runtime-*.test.ts).
 */
import { ProcessPorts, WorkloadDefinition, runWorkload } from '../../../functions/runtime/lifecycle';

export interface InProcessWorkload {
  /** Every log line so far, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the exit code the runtime asked for. */
  readonly exitCode: Promise<number>;
  /** Delivers SIGTERM to the runtime's listener. */
  sigterm(): void;
  /** Resolves once a log line matching `predicate` appears (polls every 100 ms). */
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function runInProcess(definition: WorkloadDefinition<{}>, env: Record<string, string>): InProcessWorkload {
  const lines: Array<Record<string, unknown>> = [];
  const listeners: Array<() => void> = [];
  let exited!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (exited = resolve));
  const ports: ProcessPorts = {
    env,
    logSink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
    stderr: () => undefined,
    exit: (code) => exited(code),
    onSignal: (signal, listener) => {
      if (signal === 'SIGTERM') listeners.push(listener);
    },
  };
  void runWorkload(definition, ports);
  const waitForLine = async (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { lines, exitCode, sigterm: () => listeners.forEach((l) => l()), waitForLine };
}
