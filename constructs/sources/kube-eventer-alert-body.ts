/**
 * The Go text/template that makes kube-eventer's webhook sink post one Alertmanager webhook message
 * per event (the body KubeSphere Notification Manager takes on `POST /api/v2/alerts`).
 *
 * kube-eventer executes the template against the `*v1.Event` with Go's text/template (no extra
 * functions) after dropping every `"` from the message (sinks/webhook/webhook.go). No builtin writes
 * a JSON string for every input: `printf "%q"` writes `\x1b`, `\a`, `\v` and `\U0001xxxx` for control
 * and unprintable characters (JSON rejects them; ANSI colours in probe output are common), `js` writes
 * `\'` (JSON rejects it; "didn't" is in the commonest Warning), `html` and `urlquery` leave `\` and
 * control characters or mangle everything. So the template defines its own escaper, `klaxon.json`:
 *  - a piece that `js` leaves unchanged has no `"`, `\` or control character: written as it is;
 *  - otherwise it is cut into 1024-, then 32-byte pieces, then single bytes; a single byte is written
 *    as `\"`, `\\`, `\u00XX` (below 0x20) or itself. Cutting inside a UTF-8 character is harmless:
 *    the bytes are written back in order.
 * It needs only `js`, `len`, `slice`, `index`, `printf`, `eq`, `lt` and `template` (Go >= 1.13; the
 * default kube-eventer image is built with Go 1.19), never `range` over an integer (Go >= 1.22).
 * Nesting grows by one per 1024 bytes (text/template allows 100000): messages up to ~90 MB.
 * The result is valid JSON for every string; bytes that are not UTF-8 pass through unchanged, which
 * Go's encoding/json (Notification Manager) and Node's JSON.parse read as U+FFFD.
 */
import { checkNonEmpty, describeProp, PropError } from '../validation';

/** Options of KubeEventerWebhookBody.alertmanagerWebhook. */
export interface KubeEventerAlertmanagerWebhookOptions {
  /** Label `alertname` of every alert. @default 'KubernetesWarningEvent' */
  readonly alertName?: string;
  /** Label `severity` of every alert. @default 'warning' */
  readonly severity?: string;
  /** `receiver` of the message (Alertmanager's receiver name; Notification Manager ignores it). @default 'kube-eventer' */
  readonly receiver?: string;
  /** More labels on every alert (Prometheus label names; not the ones the template sets). @default - none */
  readonly extraLabels?: Record<string, string>;
}

/** Labels the template sets from the event; `extraLabels` may not use them. */
export const EVENT_ALERT_LABELS = ['alertname', 'severity', 'namespace', 'kind', 'name', 'reason'] as const;

const OWNER = 'KubeEventerWebhookBody.alertmanagerWebhook';
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RFC3339 = '2006-01-02T15:04:05Z07:00';

/** The escaper: `{{ template "klaxon.json" <string> }}` writes the string's JSON content (no quotes). */
const JSON_ESCAPER = [
  '{{- define "klaxon.json" -}}',
  '{{- if eq (js .) . -}}{{ . }}',
  '{{- else if lt (len .) 2 -}}',
  '{{- if eq . "\\"" -}}\\"{{- else if eq . "\\\\" -}}\\\\{{- else if lt . " " -}}{{ printf "\\\\u%04x" (index . 0) }}{{- else -}}{{ . }}{{- end -}}',
  '{{- else if lt (len .) 33 -}}{{ template "klaxon.json" (slice . 0 1) }}{{ template "klaxon.json" (slice . 1) }}',
  '{{- else if lt (len .) 1025 -}}{{ template "klaxon.json" (slice . 0 32) }}{{ template "klaxon.json" (slice . 32) }}',
  '{{- else -}}{{ template "klaxon.json" (slice . 0 1024) }}{{ template "klaxon.json" (slice . 1024) }}',
  '{{- end -}}',
  '{{- end -}}',
].join('\n');

/** The template for the options (validated). */
export function alertmanagerWebhookTemplate(options: KubeEventerAlertmanagerWebhookOptions = {}): string {
  const alertName = checkNonEmpty('alertName', options.alertName ?? 'KubernetesWarningEvent', OWNER);
  const severity = checkNonEmpty('severity', options.severity ?? 'warning', OWNER);
  const receiver = checkNonEmpty('receiver', options.receiver ?? 'kube-eventer', OWNER);
  const extra = Object.entries(options.extraLabels ?? {});
  for (const [name, value] of extra) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new PropError(`${describeProp('extraLabels', { [name]: value }, OWNER)} has label name ${JSON.stringify(name)}, which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'.`);
    }
    if ((EVENT_ALERT_LABELS as readonly string[]).includes(name)) {
      throw new PropError(`${describeProp('extraLabels', { [name]: value }, OWNER)} sets '${name}', which the template sets itself (${EVENT_ALERT_LABELS.join(', ')}). Use 'alertName'/'severity' or another label name.`);
    }
    if (typeof value !== 'string' || value.length === 0) {
      throw new PropError(`${describeProp('extraLabels', { [name]: value }, OWNER)} has an empty value for '${name}': Alertmanager treats an empty label as absent. Remove it or give it a value.`);
    }
  }
  const fixed = [['alertname', alertName], ['severity', severity], ...extra].map(([k, v]) => `${literal(k)}:${literal(v)}`).join(',');
  // Labels from the event are left out when empty (a cluster-scoped object has no namespace).
  const fromEvent = (label: string, field: string) => `{{ with ${field} }},${literal(label)}:"{{ template "klaxon.json" . }}"{{ end }}`;
  const labels = [
    '{{- define "klaxon.labels" -}}',
    `{${fixed}`,
    fromEvent('namespace', '.InvolvedObject.Namespace'),
    fromEvent('kind', '.InvolvedObject.Kind'),
    fromEvent('name', '.InvolvedObject.Name'),
    fromEvent('reason', '.Reason'),
    '}',
    '{{- end -}}',
  ].join('');
  const annotations = [
    '{{- define "klaxon.annotations" -}}',
    '{"message":"{{ template "klaxon.json" .Message }}"',
    fromEvent('component', '.Source.Component'),
    fromEvent('host', '.Source.Host'),
    '}',
    '{{- end -}}',
  ].join('');
  // startsAt: the last occurrence, else the event time (events.k8s.io events), in RFC 3339 UTC.
  const startsAt = [
    `{{- if not .LastTimestamp.IsZero }},"startsAt":"{{ .LastTimestamp.UTC.Format "${RFC3339}" }}"`,
    `{{- else if not .EventTime.IsZero }},"startsAt":"{{ .EventTime.UTC.Format "${RFC3339}" }}"{{ end }}`,
  ].join('');
  const body = [
    `{"receiver":${literal(receiver)},"status":"firing",`,
    '"alerts":[{"status":"firing","labels":{{ template "klaxon.labels" . }},"annotations":{{ template "klaxon.annotations" . }}',
    startsAt,
    ',"generatorURL":"","fingerprint":"{{ template "klaxon.json" .UID }}"}],',
    `"groupLabels":{${literal('alertname')}:${literal(alertName)}},`,
    '"commonLabels":{{ template "klaxon.labels" . }},"commonAnnotations":{{ template "klaxon.annotations" . }},',
    `"externalURL":"","version":"4","groupKey":${literal(`{}:{alertname=${JSON.stringify(alertName)}}`)}}`,
  ].join('');
  return [JSON_ESCAPER, labels, annotations, body].join('\n') + '\n';
}

/**
 * A JSON string literal that is also plain template text: `{` is written `\u007b` so that no value
 * can open a template action (`{{`).
 */
function literal(value: string): string {
  return JSON.stringify(value).replace(/\{/g, '\\u007b');
}
