/**
 * The rule engine against baseline (d), over one corpus of log records (NDJSON, one Kafka record
 * value a line), in one process on the workloads' Node.js (bundled by bench/ratios.ts):
 *   node rules-loop.js klaxon <corpus> <passes>   the log-alerter's path for the seed's rule: its prefilter
 *                                                 (raw bytes), then parseLogRecord + evaluate
 *   node rules-loop.js js <corpus> <passes>       (d): JSON.parse and the seed's three regexps, compiled once
 * Prints one JSON line: records, matches, seconds, cpuSeconds.
 */
import * as fs from 'fs';
import { EXAMPLE_404_RULE } from '../../functions/contracts/alert-rules';
import { RecordPrefilter } from '../../functions/log-alerter/prefilter';
import { compileRules, evaluate, parseLogRecord } from '../../functions/log-alerter/rules';

const [mode, corpus, passesArg] = process.argv.slice(2);
const text = fs.readFileSync(corpus);
const lines: Buffer[] = [];
for (let start = 0; start < text.length; ) {
  const end = text.indexOf(10, start);
  lines.push(text.subarray(start, end < 0 ? text.length : end));
  start = end < 0 ? text.length : end + 1;
}

function klaxon(): (value: Buffer) => number {
  const rules = compileRules([EXAMPLE_404_RULE]);
  const prefilter = RecordPrefilter.forRules([EXAMPLE_404_RULE]);
  const options = { now: new Date() };
  return (value) => {
    if (prefilter && !prefilter.mayMatch(value)) return 0;
    const record = parseLogRecord(value, 1024 * 1024);
    if (!('log' in record)) return 0;
    return evaluate(record, rules, options).length;
  };
}

function minimal(): (value: Buffer) => number {
  const code = / 404 /;
  const pod = /^wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}$/;
  const request = /([A-Z]+) (\/\S*) HTTP/;
  return (value) => {
    const r = JSON.parse(value.toString());
    const k = r.kubernetes;
    if (k?.namespace_name !== 'demo-project' || !pod.test(k.pod_name) || !code.test(r.log)) return 0;
    const m = request.exec(r.log);
    return m && JSON.stringify({ alertname: '404 Request', pod: k.pod_name, method: m[1], path: m[2] }).length > 0 ? 1 : 0;
  };
}

const handle = mode === 'klaxon' ? klaxon() : minimal();
const passes = Number(passesArg ?? '1');
for (let i = 0; i < Math.min(lines.length, 2000); i++) handle(lines[i]); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let matches = 0;
for (let p = 0; p < passes; p++) for (const line of lines) matches += handle(line);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ mode, records: lines.length * passes, matches, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
