/**
 * A Notification Manager Slack Receiver (notification.kubesphere.io/v2beta2 `Receiver` with
 * `spec.slack`, id 'Resource', cluster-scoped): the channels NM posts alerts to, optionally only
 * the alerts an `alertSelector` takes. It is a global receiver (labels `type: global` with NM's helm
 * chart), and it selects its token Config by object:
 *
 *   const slack = new NotificationManagerSlackConfig(chart, 'SlackConfig', { token: { name: 'slack-token', key: 'token' } });
 *   new NotificationManagerSlackReceiver(chart, 'SlackAlerts', {
 *     config: slack,
 *     channels: ['#klaxon-alerts'],
 *     alertSelector: { matchLabels: { severity: 'critical' } },
 *   });
 */
import { Construct } from 'constructs';
import { Receiver, ReceiverSpec } from '../../../imports/nm-receiver-notification.kubesphere.io';
import { checkNonEmptyList, describeProp, PropError } from '../../validation';
import { NotificationManagerSlackConfig } from './slack-config';
import { NmAlertSelector, receiverCommon } from './support';

/** Props of a NotificationManagerSlackReceiver. */
export interface NotificationManagerSlackReceiverProps {
  /** Slack channels (`#alerts`, `alerts`) or channel/user ids to post to, at least one. */
  readonly channels: string[];
  /** The Config holding the token; the receiver selects exactly it. @default - any default Slack Config NM knows (the one with the lowest priority) */
  readonly config?: NotificationManagerSlackConfig;
  /** Which alerts this receiver takes, by alert labels. @default - every alert */
  readonly alertSelector?: NmAlertSelector;
  /** Labels matching the NotificationManager's `globalReceiverSelector`. @default NM_GLOBAL_RECEIVER_LABELS ({ type: 'global' }, NM's helm chart) */
  readonly globalReceiverLabels?: Record<string, string>;
  /** Whether NM sends to this receiver. @default true */
  readonly enabled?: boolean;
}

/** A global Slack Receiver of Notification Manager ('Resource'). */
export class NotificationManagerSlackReceiver extends Construct {
  /** The channels. */
  public readonly channels: readonly string[];
  /** The token Config, if one is selected. */
  public readonly config?: NotificationManagerSlackConfig;
  /** Every label of the Receiver. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Receiver. */
  public readonly resource: Receiver;

  constructor(scope: Construct, id: string, props: NotificationManagerSlackReceiverProps) {
    super(scope, id);
    const owner = `NotificationManagerSlackReceiver '${id}'`;
    const channels = [...checkNonEmptyList('channels', props.channels, owner)];
    for (const [i, channel] of channels.entries()) {
      if (typeof channel !== 'string' || channel.trim() === '' || /\s/.test(channel)) {
        throw new PropError(`${describeProp(`channels[${i}]`, channel, owner)} must be a Slack channel name or id without spaces, e.g. '#klaxon-alerts'.`);
      }
    }
    if (new Set(channels).size !== channels.length) {
      throw new PropError(`${describeProp('channels', channels, owner)} lists a channel twice; NM would post every alert there twice.`);
    }
    this.channels = channels;
    this.config = props.config;
    const { alertSelector, labels, enabled } = receiverCommon(props, owner);
    this.labels = labels;
    const spec: ReceiverSpec = {
      slack: {
        channels: [...channels],
        ...enabled,
        ...(alertSelector ? { alertSelector } : {}),
        ...(props.config ? { slackConfigSelector: { matchLabels: { ...props.config.selectorLabels } } } : {}),
      },
    };
    this.resource = new Receiver(this, 'Resource', { metadata: { labels: { ...this.labels } }, spec });
  }
}
