/**
 * What every KubeSphere Notification Manager (notification.kubesphere.io/v2beta2, NM 2.6) construct
 * shares: the labels NM picks global receivers and default configs by, Secret references, and
 * alert selectors.
 *
 * How NM 2.6 picks its CRs (pkg/controller/controller.go, read at tag v2.6.0): a Receiver counts
 * as global when one of the `matchLabels` of the NotificationManager's
 * `spec.receivers.globalReceiverSelector` is among its labels, and a Config as a default config
 * when its labels match `spec.defaultConfigSelector`. A Receiver that matches neither (nor the
 * tenant selector plus the tenant key) is ignored with "Ignore receiver because of empty tenantID".
 * The labels are therefore whatever the installed NotificationManager says; the helm chart
 * (helm/values.yaml) installs `type: global`, `type: default` and `type: tenant` with tenant key
 * `user`, which are the defaults here. A global receiver picks its config among the default
 * configs, filtered by its `<type>ConfigSelector`.
 */
import { Names } from 'cdk8s';
import { IConstruct } from 'constructs';
import { checkDnsLabel, checkLabels, checkNonEmpty, describeProp, DNS_SUBDOMAIN, PropError } from '../../validation';

/** Labels the NM helm chart's NotificationManager selects global receivers by (`globalReceiverSelector.matchLabels`). */
export const NM_GLOBAL_RECEIVER_LABELS: Readonly<Record<string, string>> = Object.freeze({ type: 'global' });

/** Labels the NM helm chart's NotificationManager selects default configs by (`defaultConfigSelector.matchLabels`). */
export const NM_DEFAULT_CONFIG_LABELS: Readonly<Record<string, string>> = Object.freeze({ type: 'default' });

/** The namespace NM runs in when installed by its helm chart or KubeSphere; Secrets without a namespace are read from there (or from `defaultSecretNamespace`). */
export const NM_NAMESPACE = 'kubesphere-monitoring-system';

/** Label that lets a receiver select exactly one Klaxon Config (`<type>ConfigSelector`). */
export const NM_CONFIG_SELECTION_LABEL = 'notification.klaxon.io/config';

/** Labels on every NM object Klaxon renders, besides the selection labels. */
export const NM_KLAXON_LABELS: Readonly<Record<string, string>> = Object.freeze({ 'app.kubernetes.io/part-of': 'klaxon' });

/** A key of a Kubernetes Secret that NM reads (Klaxon renders the reference, never the value). */
export interface NmSecretKeyRef {
  /** Secret name. */
  readonly name: string;
  /** Key in the Secret's data. */
  readonly key: string;
  /** Namespace of the Secret. @default - NM's `defaultSecretNamespace`, else the namespace NM runs in (NM_NAMESPACE with the helm chart) */
  readonly namespace?: string;
}

/** A Secret key: letters, digits, '-', '_', '.' (Kubernetes' rule for data keys). */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks `ref` and renders NM's Credential (`valueFrom.secretKeyRef`). */
export function renderCredential(prop: string, ref: NmSecretKeyRef | undefined, owner: string): { valueFrom: { secretKeyRef: { name: string; key: string; namespace?: string } } } {
  if (!ref || typeof ref !== 'object') {
    throw new PropError(`${describeProp(prop, ref, owner)} must be a Secret reference { name, key } (Klaxon renders the reference, never the value).`);
  }
  if (typeof ref.name !== 'string' || ref.name.length > 253 || !DNS_SUBDOMAIN.test(ref.name)) {
    throw new PropError(`${describeProp(`${prop}.name`, ref.name, owner)} must be a Secret name: lowercase letters, digits, '-' and '.', at most 253 characters.`);
  }
  if (typeof ref.key !== 'string' || ref.key.length > 253 || !SECRET_KEY.test(ref.key)) {
    throw new PropError(`${describeProp(`${prop}.key`, ref.key, owner)} must name a key of Secret '${ref.name}': letters, digits, '-', '_' and '.'.`);
  }
  if (ref.namespace !== undefined) checkDnsLabel(`${prop}.namespace`, ref.namespace, owner);
  return { valueFrom: { secretKeyRef: { name: ref.name, key: ref.key, ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}) } } };
}

/** Operators of an NM selector requirement: Kubernetes' four, and NM's regular-expression `Match`. */
export type NmSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Match';

const OPERATORS: readonly NmSelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Match'];

/** One requirement on an alert's labels. */
export interface NmSelectorRequirement {
  /** Alert label. */
  readonly key: string;
  /** How the label is compared. */
  readonly operator: NmSelectorOperator;
  /** Values for In and NotIn (non-empty); none for the others. @default - none */
  readonly values?: string[];
  /** Regular expression (Go RE2) the label must match, for Match only. @default - none */
  readonly regexValue?: string;
}

/** Which alerts a receiver takes, by their labels (all requirements ANDed). */
export interface NmAlertSelector {
  /** Labels an alert must carry with these values. @default - none */
  readonly matchLabels?: Record<string, string>;
  /** Further requirements. @default - none */
  readonly matchExpressions?: NmSelectorRequirement[];
}

/** Checks `selector` and renders it (a copy); undefined stays undefined. */
export function renderAlertSelector(prop: string, selector: NmAlertSelector | undefined, owner: string): NmAlertSelector | undefined {
  if (selector === undefined) return undefined;
  const labels = selector.matchLabels ?? {};
  for (const [key, value] of Object.entries(labels)) {
    checkNonEmpty(`${prop}.matchLabels`, key, owner);
    if (typeof value !== 'string') throw new PropError(`${describeProp(`${prop}.matchLabels.${key}`, value, owner)} must be a string.`);
  }
  const expressions = (selector.matchExpressions ?? []).map((e, i) => {
    const where = `${prop}.matchExpressions[${i}]`;
    checkNonEmpty(`${where}.key`, e.key, owner);
    if (!OPERATORS.includes(e.operator)) {
      throw new PropError(`${describeProp(`${where}.operator`, e.operator, owner)} must be one of ${OPERATORS.map((o) => `'${o}'`).join(', ')}.`);
    }
    const values = e.values ?? [];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) {
      throw new PropError(`${describeProp(`${where}.values`, values, owner)} must list at least one value for operator '${e.operator}'.`);
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist' || e.operator === 'Match') && values.length > 0) {
      throw new PropError(`${describeProp(`${where}.values`, values, owner)} must be empty for operator '${e.operator}'${e.operator === 'Match' ? "; put the pattern in 'regexValue'" : ''}.`);
    }
    if (e.operator === 'Match') {
      if (!e.regexValue) throw new PropError(`${describeProp(`${where}.regexValue`, e.regexValue, owner)} must be set for operator 'Match'.`);
      try {
        new RegExp(e.regexValue);
      } catch {
        throw new PropError(`${describeProp(`${where}.regexValue`, e.regexValue, owner)} is not a regular expression.`);
      }
      const unsupported = re2Unsupported(e.regexValue);
      if (unsupported) {
        throw new PropError(
          `${describeProp(`${where}.regexValue`, e.regexValue, owner)} uses ${unsupported}, which Go's RE2 (Notification Manager compiles the pattern with it) does not support; NM would reject the Receiver's selector.`,
        );
      }
    } else if (e.regexValue !== undefined) {
      throw new PropError(`${describeProp(`${where}.regexValue`, e.regexValue, owner)} is only read for operator 'Match', not '${e.operator}'.`);
    }
    return { key: e.key, operator: e.operator, ...(values.length > 0 ? { values: [...values] } : {}), ...(e.regexValue !== undefined ? { regexValue: e.regexValue } : {}) };
  });
  if (Object.keys(labels).length === 0 && expressions.length === 0) {
    throw new PropError(`${describeProp(prop, selector, owner)} selects every alert; give 'matchLabels' or 'matchExpressions', or leave '${prop}' out.`);
  }
  return {
    ...(Object.keys(labels).length > 0 ? { matchLabels: { ...labels } } : {}),
    ...(expressions.length > 0 ? { matchExpressions: expressions } : {}),
  };
}

/** The JavaScript regular-expression feature Go's RE2 lacks that `pattern` uses (lookaround, backreference), or undefined. */
function re2Unsupported(pattern: string): string | undefined {
  // Drop escaped backslashes and character classes first: `\\1` and `[(?=]` are plain characters.
  const bare = pattern.replace(/\\\\/g, '').replace(/\[(?:\\.|[^\]\\])*\]/g, '[]');
  if (/\(\?<?[=!]/.test(bare)) return 'a lookahead or lookbehind ((?=, (?!, (?<=, (?<!)';
  if (/\\[1-9]|\\k</.test(bare)) return 'a backreference (\\1, \\k<name>)';
  return undefined;
}

/** Checks a set of selection labels (non-empty; Kubernetes label keys and values). */
export function checkSelectionLabels(prop: string, labels: Record<string, string>, owner: string): Record<string, string> {
  if (!labels || typeof labels !== 'object' || Object.keys(labels).length === 0) {
    throw new PropError(`${describeProp(prop, labels, owner)} must hold at least one label, or NM selects nothing by it.`);
  }
  return checkLabels(prop, labels, owner);
}

/** The value of NM_CONFIG_SELECTION_LABEL for `config`: unique in the app, a valid label value. */
export function configSelectionValue(config: IConstruct): string {
  return Names.toLabelValue(config);
}

/** The props every global Receiver shares. */
export interface NmReceiverCommonProps {
  readonly alertSelector?: NmAlertSelector;
  readonly globalReceiverLabels?: Record<string, string>;
  readonly enabled?: boolean;
}

/** Checks and renders what every global Receiver shares: its alert selector, its labels, `enabled: false` when off. */
export function receiverCommon(props: NmReceiverCommonProps, owner: string): {
  alertSelector?: NmAlertSelector;
  labels: Record<string, string>;
  enabled: { enabled?: false };
} {
  const alertSelector = renderAlertSelector('alertSelector', props.alertSelector, owner);
  const global = checkSelectionLabels('globalReceiverLabels', props.globalReceiverLabels ?? { ...NM_GLOBAL_RECEIVER_LABELS }, owner);
  if (props.enabled !== undefined && typeof props.enabled !== 'boolean') {
    throw new PropError(`${describeProp('enabled', props.enabled, owner)} must be true or false.`);
  }
  return { alertSelector, labels: { ...NM_KLAXON_LABELS, ...global }, enabled: props.enabled === false ? { enabled: false } : {} };
}
