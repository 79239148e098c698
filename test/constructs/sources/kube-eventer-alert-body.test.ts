/**
 * KubeEventerWebhookBody.alertmanagerWebhook(): what reaches the manifest, and every validation.
 * That the template renders valid, exact Alertmanager webhook messages with Go's text/template is
 * proven in test/integration/webhook-body-compat.test.ts.
 */
import { Chart } from 'cdk8s';
import { alertmanagerWebhookTemplate } from '../../../constructs/sources/kube-eventer-alert-body';
import { KubeEventer } from '../../../constructs/sources/kube-eventer';
import { KubeEventerSink, KubeEventerWebhookBody } from '../../../constructs/sources/kube-eventer-sinks';
import { fixture, messageOf, objectsOf, oneOf } from './support';

const NM_URL = 'http://notification-manager-svc.kubesphere-monitoring-system.svc:19093/api/v2/alerts';

function bodyConfigMap(chart: Chart): any {
  const found = objectsOf(chart, 'ConfigMap').filter((cm) => cm.data?.content !== undefined);
  if (found.length !== 1) throw new Error(`expected one body ConfigMap, found ${found.length}`);
  return found[0];
}

function sinkArgs(chart: Chart): string[] {
  return oneOf(chart, 'Deployment').spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--sink='));
}

describe('KubeEventerWebhookBody.alertmanagerWebhook', () => {
  test('a webhook sink with the Alertmanager body posts Warning events to Notification Manager with the template from its own ConfigMap', () => {
    // GIVEN
    const { chart } = fixture();
    // WHEN
    new KubeEventer(chart, 'Eventer', {
      sinks: [KubeEventerSink.webhook({ url: NM_URL, method: 'POST', level: 'Warning', body: KubeEventerWebhookBody.alertmanagerWebhook() })],
    });
    // THEN
    const cm = bodyConfigMap(chart);
    expect(cm.metadata.namespace).toBe('klaxon');
    expect(cm.data).toEqual({ content: alertmanagerWebhookTemplate() });
    expect(sinkArgs(chart)).toEqual([
      `--sink=webhook:${NM_URL}?level=Warning&method=POST&custom_body_configmap=${cm.metadata.name}&custom_body_configmap_namespace=klaxon`,
    ]);
    const role = objectsOf(chart, 'Role').find((r) => r.rules?.some((rule: any) => rule.resources?.includes('configmaps')));
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: [cm.metadata.name], verbs: ['get'] }]);
  });

  test('by default every alert is alertname KubernetesWarningEvent, severity warning, receiver kube-eventer', () => {
    const content = alertmanagerWebhookTemplate();
    expect(content).toContain('{{- define "klaxon.labels" -}}{"alertname":"KubernetesWarningEvent","severity":"warning"{{ with .InvolvedObject.Namespace }},"namespace":"{{ template "klaxon.json" . }}"{{ end }}');
    expect(content).toContain('{"receiver":"kube-eventer","status":"firing","alerts":[{"status":"firing","labels":{{ template "klaxon.labels" . }}');
    expect(content).toContain('"groupLabels":{"alertname":"KubernetesWarningEvent"}');
    expect(content).toContain('"groupKey":"\\u007b}:\\u007balertname=\\"KubernetesWarningEvent\\"}"}');
  });

  test('alertName, severity, receiver and extraLabels reach every alert, as JSON string literals', () => {
    const content = alertmanagerWebhookTemplate({ alertName: 'Pod "trouble"', severity: 'critical', receiver: 'ops\\team', extraLabels: { cluster: 'dev', team: 'a\tb' } });
    expect(content).toContain('{"alertname":"Pod \\"trouble\\"","severity":"critical","cluster":"dev","team":"a\\tb"{{ with .InvolvedObject.Namespace }}');
    expect(content).toContain('{"receiver":"ops\\\\team","status":"firing"');
    expect(content).toContain('"groupLabels":{"alertname":"Pod \\"trouble\\""}');
  });

  test('a value with {{ cannot open a template action: { is written \\u007b', () => {
    const content = alertmanagerWebhookTemplate({ alertName: '{{ .Message }}', extraLabels: { x: '{{ printf "%s" . }}' } });
    expect(content).toContain('{"alertname":"\\u007b\\u007b .Message }}","severity":"warning","x":"\\u007b\\u007b printf \\"%s\\" . }}"');
    expect(content).not.toContain('{{ .Message }}');
    expect(content).not.toContain('{{ printf "%s" . }}');
  });

  test('the escaper needs no range over an integer (Go >= 1.22): the default image is built with Go 1.19', () => {
    expect(alertmanagerWebhookTemplate()).not.toMatch(/\{\{-?\s*range/);
  });

  describe('validation', () => {
    const owner = 'KubeEventerWebhookBody.alertmanagerWebhook';

    test('fails if alertName, severity or receiver is empty', () => {
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ alertName: ' ' }))).toBe(`'alertName' (" ") of ${owner} must not be empty.`);
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ severity: '' }))).toBe(`'severity' ("") of ${owner} must not be empty.`);
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ receiver: '' }))).toBe(`'receiver' ("") of ${owner} must not be empty.`);
    });

    test('fails if an extra label name is not a Prometheus label name', () => {
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ extraLabels: { 'team-name': 'ops' } }))).toBe(
        `'extraLabels' ({"team-name":"ops"}) of ${owner} has label name "team-name", which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'.`,
      );
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ extraLabels: { __name__: 'x' } }))).toBe(
        `'extraLabels' ({"__name__":"x"}) of ${owner} has label name "__name__", which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'.`,
      );
    });

    test('fails if an extra label is one the template sets from the event', () => {
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ extraLabels: { namespace: 'ops' } }))).toBe(
        `'extraLabels' ({"namespace":"ops"}) of ${owner} sets 'namespace', which the template sets itself (alertname, severity, namespace, kind, name, reason). Use 'alertName'/'severity' or another label name.`,
      );
    });

    test('fails if an extra label value is empty', () => {
      expect(messageOf(() => KubeEventerWebhookBody.alertmanagerWebhook({ extraLabels: { cluster: '' } }))).toBe(
        `'extraLabels' ({"cluster":""}) of ${owner} has an empty value for 'cluster': Alertmanager treats an empty label as absent. Remove it or give it a value.`,
      );
    });
  });
});
