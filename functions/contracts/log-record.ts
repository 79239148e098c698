/**
 * The container log record Klaxon's log shippers write to the logs topic: one JSON object per log
 * line, Fluent Bit's `format json` output of tail -> kubernetes filter -> kafka. Types and an
 * example only: pure, safe to import from constructs/, functions/ and tests.
 *
 * Both shipping paths emit the same fields (constructs/shipping/log-shipping.ts renders the same
 * settings into both):
 *  - FluentBit (plain DaemonSet): tail with `multiline.parser docker, cri`, kubernetes filter
 *    (`merge_log on`, `merge_log_key log_processed`, `keep_log on`, labels/annotations off),
 *    kafka output with `timestamp_key @timestamp`, `timestamp_format double`.
 *  - FluentOperatorKafkaOutput with its own ClusterInput/ClusterFilter (tag `klaxon.*`): the same
 *    settings as fluent-operator resources. With `includeInputAndFilter: false` the record is
 *    whatever the cluster's own `kube.*` filters make of it (KubeSphere's, for instance, removes
 *    `stream`), which is how the canonical example below looks.
 *
 * Fields by source:
 *  - `@timestamp`: added by the kafka output (`timestamp_key`), the record's time in seconds as a
 *    double (or an ISO 8601 string with `timestamp_format iso8601`/`iso8601_ns`).
 *  - `time`, `stream`, `log`: from the runtime's log file. Docker json-file lines carry
 *    `log` (with its trailing `\n`), `stream`, `time`; CRI lines (containerd, CRI-O) are parsed by
 *    the built-in `cri` parser into `time`, `stream`, `_p` (`F` full / `P` partial line) and `log`
 *    (without a trailing newline). Partial lines are joined by the multiline parser.
 *  - `log_processed`: present only when `log` is a JSON object (merge_log).
 *  - `kubernetes`: the kubernetes filter's metadata; `docker_id` is the container id whatever the runtime.
 */

/** Kubernetes metadata added by Fluent Bit's kubernetes filter. */
export interface KubernetesLogMetadata {
  readonly pod_name: string;
  readonly namespace_name: string;
  /** Pod UID (from the API). */
  readonly pod_id?: string;
  /** Node name. */
  readonly host?: string;
  /** Pod IP, when the pod has one. */
  readonly pod_ip?: string;
  readonly container_name: string;
  /** Container id (the 64-hex id from the log file name). */
  readonly docker_id?: string;
  /** Image digest reference. */
  readonly container_hash?: string;
  readonly container_image?: string;
  /** Pod labels: only with `podLabels: true`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Pod annotations: only with `podAnnotations: true`. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One container log line as it arrives on the logs topic. */
export interface ContainerLogRecord {
  /** Record time: seconds since the epoch as a double (default), or ISO 8601 text. */
  readonly '@timestamp': number | string;
  /** The runtime's timestamp of the line (RFC 3339 with nanoseconds). */
  readonly time?: string;
  /** Which stream the container wrote. */
  readonly stream?: 'stdout' | 'stderr';
  /** CRI only: `F` full line, `P` partial (already joined when multiline is on). */
  readonly _p?: 'F' | 'P';
  /** The log line. Docker lines keep their trailing newline; CRI lines have none. */
  readonly log: string;
  /** The parsed `log` when it was a JSON object (merge_log). */
  readonly log_processed?: Readonly<Record<string, unknown>>;
  /** Kubernetes metadata. */
  readonly kubernetes: KubernetesLogMetadata;
}

/** The record key the kubernetes filter's merge goes to (LogShippingOptions.mergeLogKey default). */
export const DEFAULT_MERGE_LOG_KEY = 'log_processed';

/** The key the kafka output writes the record time to (LogShippingOptions.timestampKey default). */
export const DEFAULT_TIMESTAMP_KEY = '@timestamp';

/**
 * The canonical 404 record (OpenFunction/KubeSphere log-alerting case, WordPress in namespace
 * `demo-project`): a Docker json-file line as KubeSphere's Fluent Bit ships it. The alerter's
 * 404 rule must match it; the source IP is masked in the original.
 */
export const CANONICAL_404_RECORD: ContainerLogRecord = {
  '@timestamp': 1629856477.226758,
  'log': '*.*.*.* - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"\n',
  'time': '2021-08-25T01:54:37.226757612Z',
  'kubernetes': {
    pod_name: 'wordpress-v1-f54f697c5-hdn2z',
    namespace_name: 'demo-project',
    container_name: 'container-nrdsp1',
    docker_id: 'bb7b48e2883be0c05b22c04b1d1573729dd06223ae0b1676e33a4fac655958a5',
    container_image: 'wordpress:4.8-apache',
  },
};

/**
 * The same 404 line as Klaxon's FluentBit DaemonSet ships it from a containerd (CRI) node: `stream`
 * and `_p` from the cri parser, no trailing newline, and the filter's full metadata.
 */
export const EXAMPLE_CRI_404_RECORD: ContainerLogRecord = {
  '@timestamp': 1629856477.226758,
  'time': '2021-08-25T01:54:37.226757612Z',
  'stream': 'stdout',
  '_p': 'F',
  'log': '10.0.0.7 - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"',
  'kubernetes': {
    pod_name: 'wordpress-v1-f54f697c5-hdn2z',
    namespace_name: 'demo-project',
    pod_id: '5f0f8d6e-2b36-4c8e-9a53-3b3f3c0e8a11',
    host: 'worker-1',
    pod_ip: '10.244.1.17',
    container_name: 'container-nrdsp1',
    docker_id: 'bb7b48e2883be0c05b22c04b1d1573729dd06223ae0b1676e33a4fac655958a5',
    container_hash: 'docker.io/library/wordpress@sha256:6c5f2e8a9f2a6f1c3f1d4a4f0e3b8a9d1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a',
    container_image: 'docker.io/library/wordpress:4.8-apache',
  },
};
