// @kubernetes/client-node loads socks-proxy-agent for a kubeconfig `proxy-url: socks5://...`. The
// exporter runs in-cluster or with a direct kubeconfig; leaving SOCKS out keeps the bundle small
// enough for its ConfigMap. A kubeconfig that asks for it fails with this message instead.
class SocksProxyAgent {
  constructor() {
    throw new Error('event-exporter: SOCKS proxies (kubeconfig proxy-url socks5://...) are not supported by this bundle');
  }
}
exports.SocksProxyAgent = SocksProxyAgent;
