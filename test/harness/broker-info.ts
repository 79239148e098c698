/**
 * .cache/kafka/broker.json: what the last harness start measured, for the benchmarks to report
 * (`version`, `startupSeconds`, `brokers`, `external`, `startedAt`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './processes';

/** Path of the broker record. */
export const BROKER_INFO_FILE = path.join(REPO_ROOT, '.cache', 'kafka', 'broker.json');

/** What broker the tests (or benchmarks) ran against. */
export interface BrokerInfo {
  /** Apache Kafka version of the started broker; 'unknown' for an external one (KAFKA_BROKERS). */
  readonly version: string;
  /** Seconds from start to serving metadata; absent for an external broker. */
  readonly startupSeconds?: number;
  /** Seconds for the whole harness (broker + Alertmanager, started together). */
  readonly harnessStartupSeconds?: number;
  /** Bootstrap servers. */
  readonly brokers: string;
  /** True when KAFKA_BROKERS named a broker the harness did not start. */
  readonly external: boolean;
  /** ISO time of the start. */
  readonly startedAt: string;
}

export function writeBrokerInfo(info: BrokerInfo): void {
  fs.mkdirSync(path.dirname(BROKER_INFO_FILE), { recursive: true });
  fs.writeFileSync(BROKER_INFO_FILE, `${JSON.stringify(info, null, 2)}\n`);
}

/** The last record, or undefined if no harness ran on this checkout. */
export function readBrokerInfo(): BrokerInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(BROKER_INFO_FILE, 'utf8')) as BrokerInfo;
  } catch {
    return undefined;
  }
}
