import { DEFAULT_HTTP_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS, RuntimeTuningEnv } from '../../../functions/contracts/workload-env';
import { ConfigError, describeSettings, loadConfig, runtimeSettings } from '../../../functions/runtime/config';

const defaults = { sourceTopic: 'cluster-events', groupId: 'klaxon-events-fanout', clientId: 'events-fanout' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, defaults);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('runtime configuration', () => {
  test('an empty environment gives every default, frozen', () => {
    // WHEN
    const config = loadConfig({}, defaults);
    // THEN
    expect(config).toEqual({
      brokers: ['localhost:9092'],
      sourceTopic: 'cluster-events',
      groupId: 'klaxon-events-fanout',
      deadLetterTopic: 'klaxon.dead-letter',
      clientId: 'events-fanout',
      httpPort: DEFAULT_HTTP_PORT,
      logLevel: 'info',
      shutdownTimeoutMs: 8000,
      retryInitialMs: 200,
      retryMaxMs: 30000,
      maxAttempts: 5,
      deadLetterMaxValueBytes: 524288,
      produceChunkBytes: 921600,
      produceChunkRecords: 10000,
      fetchMaxBytes: 2 * 1024 * 1024,
      fetchMaxPartitionBytes: 1024 * 1024,
      sessionTimeoutMs: 30000,
      heartbeatIntervalMs: 3000,
      readyStaleMs: 30000,
      heapGrowingPercent: 300,
      maxRestarts: 10,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('the contract keys of workload-env.ts are read', () => {
    // GIVEN
    const env = {
      KAFKA_BROKERS: 'kafka-0:9092, kafka-1:9092',
      KAFKA_SOURCE_TOPIC: 'events.in',
      KAFKA_GROUP_ID: 'g1',
      KAFKA_DEAD_LETTER_TOPIC: 'dlt',
      KAFKA_CLIENT_ID: 'fanout-a',
      HTTP_PORT: '9000',
      LOG_LEVEL: 'debug',
      [RuntimeTuningEnv.MAX_ATTEMPTS]: '3',
    };
    // WHEN
    const config = loadConfig(env, defaults);
    // THEN
    expect(config).toMatchObject({
      brokers: ['kafka-0:9092', 'kafka-1:9092'],
      sourceTopic: 'events.in',
      groupId: 'g1',
      deadLetterTopic: 'dlt',
      clientId: 'fanout-a',
      httpPort: 9000,
      logLevel: 'debug',
      maxAttempts: 3,
    });
  });

  test('every problem is reported together, each naming the key, the value and what is allowed', () => {
    // GIVEN
    const env = {
      KAFKA_BROKERS: 'kafka-0:9092,nope',
      HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
      KAFKA_SOURCE_TOPIC: 'bad topic',
      [RuntimeTuningEnv.RETRY_INITIAL_MS]: '1.5',
    };
    // THEN
    expect(problemsOf(env)).toEqual([
      "KAFKA_BROKERS=\"kafka-0:9092,nope\": 'nope' must be host:port (comma-separated host:port list of Kafka bootstrap servers)",
      "KAFKA_SOURCE_TOPIC=\"bad topic\": a topic name may contain only ASCII letters, digits, '.', '_' and '-' (the topic this workload consumes)",
      'HTTP_PORT="70000": must be between 0 and 65535 (port of the /livez, /readyz and /metrics server (0: any free port))',
      'LOG_LEVEL="loud": must be one of debug, info, warn, error (least severe level logged)',
      'KLAXON_RETRY_INITIAL_MS="1.5": must be a whole number (first backoff delay before retrying a failed produce or handler call)',
    ]);
  });

  test('fails if the heartbeat interval is more than a third of the session timeout', () => {
    expect(problemsOf({ [RuntimeTuningEnv.HEARTBEAT_INTERVAL_MS]: '20000', [RuntimeTuningEnv.SESSION_TIMEOUT_MS]: '30000' })).toEqual([
      'KLAXON_HEARTBEAT_INTERVAL_MS (20000) must be at most a third of KLAXON_SESSION_TIMEOUT_MS (30000)',
    ]);
  });

  test('fails if the backoff cap is below its first delay', () => {
    expect(problemsOf({ [RuntimeTuningEnv.RETRY_INITIAL_MS]: '500', [RuntimeTuningEnv.RETRY_MAX_MS]: '100' })).toEqual([
      'KLAXON_RETRY_MAX_MS (100) must be at least KLAXON_RETRY_INITIAL_MS (500)',
    ]);
  });

  test('fails if a partition may take more of a fetch than the whole fetch', () => {
    expect(problemsOf({ [RuntimeTuningEnv.FETCH_MAX_BYTES]: '1048576', [RuntimeTuningEnv.FETCH_MAX_PARTITION_BYTES]: '2097152' })).toEqual([
      'KLAXON_FETCH_MAX_PARTITION_BYTES (2097152) must be at most KLAXON_FETCH_MAX_BYTES (1048576)',
    ]);
  });

  test('the default stop bound is the one the constructs are told about', () => {
    expect(loadConfig({}, defaults).shutdownTimeoutMs).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
  });

  test('every tuning key of the contract is a setting of the runtime', () => {
    const read = new Set(Object.values(runtimeSettings(defaults)).map((s) => s.env));
    expect(Object.values(RuntimeTuningEnv).filter((key) => !read.has(key))).toEqual([]);
  });

  test('fails if the dead-letter topic is the source topic', () => {
    expect(problemsOf({ KAFKA_SOURCE_TOPIC: 'x', KAFKA_DEAD_LETTER_TOPIC: 'x' })).toEqual([
      "KAFKA_DEAD_LETTER_TOPIC must differ from KAFKA_SOURCE_TOPIC ('x'): a dead letter would be consumed again",
    ]);
  });

  test('a blank value means the default', () => {
    expect(loadConfig({ HTTP_PORT: '  ', LOG_LEVEL: '' }, defaults)).toMatchObject({ httpPort: DEFAULT_HTTP_PORT, logLevel: 'info' });
  });

  test('every setting has an env key, a description and a default', () => {
    const lines = describeSettings(runtimeSettings(defaults));
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe('KAFKA_BROKERS (default ["localhost:9092"]): comma-separated host:port list of Kafka bootstrap servers');
    for (const s of Object.values(runtimeSettings(defaults))) {
      expect(s.env).toMatch(/^[A-Z_]+$/);
      expect(s.description.length).toBeGreaterThan(10);
      expect(s.default).toBeDefined();
    }
  });
});
