// @kubernetes/client-node uses jsonpath-plus only in its `azure` and `gcp` auth-provider plugins,
// which kubectl removed in 1.26 (exec credential plugins replace them). Leaving it out keeps the
// bundle small enough for its ConfigMap; a kubeconfig that still uses them fails with this message.
exports.JSONPath = function JSONPath() {
  throw new Error('event-exporter: the azure/gcp auth-provider plugins are not supported by this bundle; use an exec credential plugin or the in-cluster service account');
};
