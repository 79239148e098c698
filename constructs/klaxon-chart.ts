/**
 * A Chart whose namespace applies to namespaced objects only. cdk8s stamps a chart's namespace on
 * every object; the API server rejects or ignores it on cluster-scoped kinds, and GitOps tools then
 * report a permanent diff. KlaxonChart removes it from the kinds below at synthesis.
 */
import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';

/** `group/kind` of every cluster-scoped kind Klaxon may render (core group written as ''). */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  '/Namespace',
  '/PersistentVolume',
  '/Node',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass',
  'scheduling.k8s.io/PriorityClass',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'keda.sh/ClusterTriggerAuthentication',
  'notification.kubesphere.io/NotificationManager',
  'notification.kubesphere.io/Config',
  'notification.kubesphere.io/Receiver',
  'notification.kubesphere.io/Router',
  'notification.kubesphere.io/Silence',
  'fluentbit.fluent.io/ClusterInput',
  'fluentbit.fluent.io/ClusterFilter',
  'fluentbit.fluent.io/ClusterOutput',
  'fluentbit.fluent.io/ClusterParser',
  'fluentbit.fluent.io/ClusterMultilineParser',
  'fluentbit.fluent.io/ClusterFluentBitConfig',
]);

/** Whether `apiVersion`/`kind` names a cluster-scoped kind. */
export function isClusterScoped(apiVersion: string, kind: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return CLUSTER_SCOPED_KINDS.has(`${group}/${kind}`);
}

/** A cdk8s Chart that never puts a namespace on a cluster-scoped object. */
export class KlaxonChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, props);
  }

  public toJson(): any[] {
    return super.toJson().map((obj) => {
      if (obj?.metadata?.namespace !== undefined && isClusterScoped(obj.apiVersion, obj.kind)) {
        const { namespace: _dropped, ...metadata } = obj.metadata;
        return { ...obj, metadata };
      }
      return obj;
    });
  }
}
