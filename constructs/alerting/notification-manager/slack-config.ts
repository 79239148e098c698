/**
 * A Notification Manager Slack Config (notification.kubesphere.io/v2beta2 `Config`, id 'Resource',
 * cluster-scoped): where NM reads the Slack bot token, as a reference to a Secret key. Klaxon never
 * holds the token; create the Secret out of band (sealed-secrets, external-secrets, kubectl):
 *
 *   kubectl -n kubesphere-monitoring-system create secret generic slack-token --from-literal=token=xoxb-...
 *   const slack = new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { name: 'slack-token', key: 'token' } });
 *   new NotificationManagerSlackReceiver(chart, 'SlackAlerts', { config: slack, channels: ['#klaxon-alerts'] });
 *
 * The Config carries the default-config labels (`type: default` with NM's helm chart), since NM
 * matches a global receiver only with default configs, and a Klaxon selection label that its
 * receivers select it by, so each receiver uses exactly this token.
 */
import { Construct } from 'constructs';
import { Config, ConfigSpec } from '../../../imports/nm-config-notification.kubesphere.io';
import { checkSelectionLabels, configSelectionValue, NM_CONFIG_SELECTION_LABEL, NM_DEFAULT_CONFIG_LABELS, NM_KLAXON_LABELS, NmSecretKeyRef, renderCredential } from './support';

/** Props of a NotificationManagerSlackConfig. */
export interface NotificationManagerSlackConfigProps {
  /** The Secret key holding the Slack bot token (`xoxb-…`, scope chat:write). */
  readonly token: NmSecretKeyRef;
  /** Labels matching the NotificationManager's `defaultConfigSelector`. @default NM_DEFAULT_CONFIG_LABELS ({ type: 'default' }, NM's helm chart) */
  readonly defaultConfigLabels?: Record<string, string>;
}

/** A Slack Config of Notification Manager ('Resource'). */
export class NotificationManagerSlackConfig extends Construct {
  /** The token reference. */
  public readonly token: NmSecretKeyRef;
  /** Labels a receiver's `slackConfigSelector` selects exactly this Config by. */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Every label of the Config. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Config. */
  public readonly resource: Config;

  constructor(scope: Construct, id: string, props: NotificationManagerSlackConfigProps) {
    super(scope, id);
    const owner = `NotificationManagerSlackConfig '${id}'`;
    const slackTokenSecret = renderCredential('token', props.token, owner);
    this.token = { ...props.token };
    const defaults = checkSelectionLabels('defaultConfigLabels', props.defaultConfigLabels ?? { ...NM_DEFAULT_CONFIG_LABELS }, owner);
    this.selectorLabels = { [NM_CONFIG_SELECTION_LABEL]: configSelectionValue(this) };
    this.labels = { ...NM_KLAXON_LABELS, ...defaults, ...this.selectorLabels };
    const spec: ConfigSpec = { slack: { slackTokenSecret } };
    this.resource = new Config(this, 'Resource', { metadata: { labels: { ...this.labels } }, spec });
  }
}
