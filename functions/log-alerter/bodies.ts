/**
 * What each sink type receives for an alert, or several where the sink takes several (pure). Shapes in functions/contracts/alert-sinks.ts.
 */
import { ALERTER_RECEIVER, AlertmanagerAlert, AlertmanagerWebhookMessage, PostableAlert, SlackMessage, ZERO_TIME } from '../contracts/alert-sinks';

/**
 * notification-manager: an Alertmanager webhook message (version 4) holding the alerts, the same
 * shape (and key order) kube-eventer's webhook body renders for Notification Manager. Several alerts
 * go in one message as Alertmanager groups them: the common labels and annotations are those all
 * alerts share, `status` is firing while any alert is.
 */
export function notificationManagerMessage(alert: AlertmanagerAlert, ...more: AlertmanagerAlert[]): AlertmanagerWebhookMessage {
  const alerts = [alert, ...more];
  const commonLabels = common(alerts.map((a) => a.labels));
  const alertname = commonLabels.alertname;
  return {
    receiver: ALERTER_RECEIVER,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: alertname === undefined ? {} : { alertname },
    commonLabels,
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: '',
    version: '4',
    groupKey: alertname === undefined ? '{}:{}' : `{}:{alertname=${JSON.stringify(alertname)}}`,
  };
}

/** The entries every map holds with the same value. */
function common(maps: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const out = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/**
 * alertmanager: the `POST /api/v2/alerts` array of the alerts. endsAt only when an alert has one
 * (threshold rules: in the future while firing, the resolve time once resolved); otherwise
 * Alertmanager's resolve_timeout applies.
 */
export function alertmanagerAlerts(alert: AlertmanagerAlert, ...more: AlertmanagerAlert[]): PostableAlert[] {
  return [alert, ...more].map((a) => ({
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    startsAt: a.startsAt,
    ...(a.endsAt !== ZERO_TIME ? { endsAt: a.endsAt } : {}),
    ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
  }));
}

/** Longest text of one Slack section block (Slack allows 3000 characters). */
const SLACK_SECTION_CHARS = 2900;

/** slack: `text` (notification fallback) and blocks: a title, the labels, the description as code. */
export function slackMessage(alert: AlertmanagerAlert): SlackMessage {
  const { alertname = '', severity = '' } = alert.labels;
  const summary = alert.annotations.summary ?? '';
  const title = `${alert.status === 'resolved' ? '[RESOLVED] ' : ''}[${severity.toUpperCase()}] ${alertname}`;
  const labelText = Object.entries(alert.labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity')
    .map(([k, v]) => `*${slackEscape(k)}*: ${slackEscape(v)}`)
    .join('\n');
  const blocks: Array<Record<string, unknown>> = [
    { type: 'section', text: { type: 'mrkdwn', text: cut(`*${slackEscape(title)}*\n${slackEscape(summary)}`) } },
  ];
  if (labelText) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(labelText) } });
  const description = alert.annotations.description ?? '';
  if (description) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: codeBlock(slackEscape(description.replace(/`/g, "'"))) } });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`started ${alert.startsAt} · fingerprint ${alert.fingerprint}`) }] });
  // `text` is mrkdwn too (the notification and the fallback): escaped, so a log line holding
  // `<!channel>` or `<https://evil|click>` is shown, not turned into a mention or a link.
  return { text: slackEscape(`${title}: ${summary}`), blocks };
}

/** webhook: the alert itself. */
export function webhookBody(alert: AlertmanagerAlert): AlertmanagerAlert {
  return alert;
}

/** Slack's three control characters in mrkdwn. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to a section's length. */
function cut(text: string, max = SLACK_SECTION_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `text` in a code fence, cut to fit a section. */
function codeBlock(text: string): string {
  return `\`\`\`${cut(text, SLACK_SECTION_CHARS - 6)}\`\`\``;
}

/** The most alerts listed in one grouped Slack message (the count says how many there are). */
const SLACK_GROUP_LIST = 20;

/** slack, grouped: one message for a group: `[FIRING:3] <group labels>` and one line per alert. */
export function slackGroupMessage(groupLabels: Readonly<Record<string, string>>, alerts: readonly AlertmanagerAlert[]): SlackMessage {
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const status = firing > 0 ? `FIRING:${firing}` : `RESOLVED:${alerts.length}`;
  const group = Object.entries(groupLabels).map(([k, v]) => `${k}=${v}`).join(', ');
  const title = `[${status}] ${group}`;
  const lines = alerts.slice(0, SLACK_GROUP_LIST).map((a) => `${a.status === 'resolved' ? '[RESOLVED] ' : ''}${a.annotations.summary ?? a.labels.alertname ?? ''}`);
  if (alerts.length > SLACK_GROUP_LIST) lines.push(`… and ${alerts.length - SLACK_GROUP_LIST} more`);
  return {
    text: slackEscape(`${title} (${alerts.length} alert${alerts.length === 1 ? '' : 's'})`),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: cut(`*${slackEscape(title)}*`) } },
      { type: 'section', text: { type: 'mrkdwn', text: cut(lines.map((l) => `• ${slackEscape(l)}`).join('\n')) } },
    ],
  };
}

/** webhook, grouped: an Alertmanager-webhook-like message with the group's labels, count and alerts. */
export function webhookGroupBody(groupLabels: Readonly<Record<string, string>>, alerts: readonly AlertmanagerAlert[]): Record<string, unknown> {
  return {
    receiver: ALERTER_RECEIVER,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    groupLabels: { ...groupLabels },
    count: alerts.length,
    alerts,
  };
}
