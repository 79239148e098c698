import { ProcessPorts, runWorkload } from '../../../functions/runtime/lifecycle';

describe('the workload process', () => {
  test('an unhandled promise rejection is logged as JSON and stops the workload with exit code 1', async () => {
    // GIVEN a workload started with fake process ports (its broker unreachable: it never joins)
    const lines: Array<Record<string, unknown>> = [];
    const unhandled: Array<(reason: unknown) => void> = [];
    let exited!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (exited = resolve));
    const ports: ProcessPorts = {
      env: { KAFKA_BROKERS: '127.0.0.1:9', HTTP_PORT: '0', LOG_LEVEL: 'info', KLAXON_SHUTDOWN_TIMEOUT_MS: '2000' },
      logSink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      stderr: () => undefined,
      exit: (code) => exited(code),
      onSignal: () => undefined,
      onUnhandledRejection: (listener) => unhandled.push(listener),
    };
    void runWorkload({ defaults: { sourceTopic: 'in', groupId: 'g', clientId: 'c' }, settings: {}, createHandler: () => () => [] }, ports);
    while (!lines.some((l) => l.msg === 'starting')) await new Promise((r) => setTimeout(r, 10));

    // WHEN a promise rejection goes unhandled
    expect(unhandled).toHaveLength(1);
    unhandled[0](new Error('nobody caught me'));

    // THEN the process stops with 1, and says why in a JSON line
    expect(await exitCode).toBe(1);
    expect(lines.find((l) => l.msg === 'unhandled promise rejection')).toMatchObject({ level: 'error', error: { message: 'nobody caught me' } });
    expect(lines.find((l) => l.msg === 'stopping')).toMatchObject({ why: 'unhandled promise rejection' });
  });

  test.each([
    [{}, ['--heap-growing-percent=300']],
    [{ KLAXON_HEAP_GROWING_PERCENT: '150' }, ['--heap-growing-percent=150']],
    [{ KLAXON_HEAP_GROWING_PERCENT: '0' }, []],
  ])("V8's heap growing factor is set from the environment (%j) before the workload starts", async (extra, expected) => {
    const flags: string[] = [];
    const lines: Array<Record<string, unknown>> = [];
    let exited!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (exited = resolve));
    let stop: () => void = () => undefined;
    const ports: ProcessPorts = {
      env: { KAFKA_BROKERS: '127.0.0.1:9', HTTP_PORT: '0', LOG_LEVEL: 'info', KLAXON_SHUTDOWN_TIMEOUT_MS: '2000', ...extra },
      logSink: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      stderr: () => undefined,
      exit: (code) => exited(code),
      onSignal: (signal, listener) => {
        if (signal === 'SIGTERM') stop = listener;
      },
      setV8Flags: (f) => flags.push(f),
    };
    void runWorkload({ defaults: { sourceTopic: 'in', groupId: 'g', clientId: 'c' }, settings: {}, createHandler: () => () => [] }, ports);
    while (!lines.some((l) => l.msg === 'starting')) await new Promise((r) => setTimeout(r, 10));
    expect(flags).toEqual(expected);
    stop();
    expect(await exitCode).toBeGreaterThanOrEqual(0);
  });
});
