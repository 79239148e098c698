import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ContainerImage } from '../../../constructs/images';
import { KubeEventer, KubeEventerImage } from '../../../constructs/sources/kube-eventer';
import { KubeEventerSink, KubeEventerWebhookBody } from '../../../constructs/sources/kube-eventer-sinks';
import { ExternalCluster, ExternalTopic, fixture, messageOf, objectsOf, oneOf, secretWith, stringsOutsideSecrets } from './support';

/** An image that can write to Kafka 4 (a build that sets sarama's Config.Version). */
const PATCHED = KubeEventerImage.custom(ContainerImage.of('registry.example.com/kube-eventer', '1.2.14-kafka4'), { library: 'Shopify/sarama v1.22.1 (Version 2.1.0 set)', protocol: 'kafka4-compatible' });

const FIXED_ARGS = ['--source=kubernetes:https://kubernetes.default', '--frequency=30s', '--healthz-port=8084'];

function container(chart: Chart): any {
  return oneOf(chart, 'Deployment').spec.template.spec.containers[0];
}

function sinkArgs(chart: Chart): string[] {
  return container(chart).args.filter((a: string) => a.startsWith('--sink='));
}

describe('KubeEventer', () => {
  test('renders the Kafka sink with every broker of the cluster and the topic from the topic object', () => {
    // GIVEN a cluster with three bootstrap servers
    const { chart } = fixture();
    const cluster = new ExternalCluster(chart, 'Ext', 'ext', '4.1.1', 'k-0.kafka.svc:9092,k-1.kafka.svc:9092,k-2.kafka.svc:9092');
    // WHEN
    new KubeEventer(chart, 'Eventer', { image: PATCHED, sinks: [KubeEventerSink.kafka({ topic: new ExternalTopic(chart, 'T', 'cluster-events', cluster), compression: 'snappy' })] });
    // THEN
    expect(container(chart).args).toEqual([
      ...FIXED_ARGS,
      '--sink=kafka:?brokers=k-0.kafka.svc:9092&brokers=k-1.kafka.svc:9092&brokers=k-2.kafka.svc:9092&eventstopic=cluster-events&compression=snappy',
    ]);
    expect(container(chart).command).toEqual(['/kube-eventer']);
  });

  test('Kafka SASL and TLS: password as ${VAR} from a Secret, certificates mounted from Secrets, insecuressl only with TLS on', () => {
    const { chart, cluster } = fixture();
    const tlsTopic = new ExternalTopic(chart, 'T', 'cluster-events', new ExternalCluster(chart, 'Ext', 'ext', '4.1.1', 'kafka.svc:9092'));
    void cluster;
    const creds = secretWith(chart, 'Creds', { password: 'kafka-s3cr3t' });
    const ca = secretWith(chart, 'Ca', { 'ca.crt': '-----BEGIN CERTIFICATE-----ca' });
    const client = secretWith(chart, 'Client', { 'user.crt': '-----BEGIN CERTIFICATE-----client', 'user.key': '-----BEGIN PRIVATE KEY-----key' });
    new KubeEventer(chart, 'Eventer', {
      image: PATCHED,
      sinks: [KubeEventerSink.kafka({
        topic: tlsTopic,
        listener: 'tls',
        compression: 'gzip',
        sasl: { username: 'events-writer', password: { secret: creds, key: 'password' } },
        tls: { caCert: { secret: ca, key: 'ca.crt' }, clientCert: { secret: client, key: 'user.crt' }, clientKey: { secret: client, key: 'user.key' }, insecureSkipVerify: true },
      })],
    });
    const c = container(chart);
    expect(sinkArgs(chart)).toEqual([
      '--sink=kafka:?brokers=kafka.svc:9093&eventstopic=cluster-events&compression=gzip&user=events-writer&password=${KUBE_EVENTER_SINK_0_PASSWORD}'
      + '&cacert=/etc/kube-eventer/sinks/0/sink-0-0/ca.crt&cert=/etc/kube-eventer/sinks/0/sink-0-1/client.crt&key=/etc/kube-eventer/sinks/0/sink-0-1/client.key&insecuressl=true',
    ]);
    expect(c.env).toEqual([{ name: 'KUBE_EVENTER_SINK_0_PASSWORD', valueFrom: { secretKeyRef: { name: creds.name, key: 'password' } } }]);
    const volumes = oneOf(chart, 'Deployment').spec.template.spec.volumes;
    expect(volumes).toContainEqual({ name: 'sink-0-0', secret: { secretName: ca.name, defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(volumes).toContainEqual({ name: 'sink-0-1', secret: { secretName: client.name, defaultMode: 0o440, items: [{ key: 'user.crt', path: 'client.crt' }, { key: 'user.key', path: 'client.key' }] } });
    expect(c.volumeMounts).toContainEqual({ name: 'sink-0-0', mountPath: '/etc/kube-eventer/sinks/0/sink-0-0', readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: 'sink-0-1', mountPath: '/etc/kube-eventer/sinks/0/sink-0-1', readOnly: true });
  });

  test('renders the webhook sink with level, namespace, kind and reason filters, method, headers and a custom body ConfigMap it may read', () => {
    const { chart } = fixture();
    const token = secretWith(chart, 'Token', { bearer: 'Bearer hook-s3cr3t' });
    new KubeEventer(chart, 'Eventer', {
      sinks: [KubeEventerSink.webhook({
        url: 'https://hooks.example.com/k8s?team=ops',
        level: 'Warning',
        namespaces: ['shop', 'payments'],
        kinds: ['Pod', 'Node'],
        reasons: ['BackOff', 'Failed.*'],
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        secretHeaders: { Authorization: { secret: token, key: 'bearer' } },
        body: KubeEventerWebhookBody.template('{"text":"{{ .Reason }}: {{ .Message }}"}'),
      })],
    });
    const body = objectsOf(chart, 'ConfigMap').find((cm) => cm.data?.content)!;
    expect(body.data).toEqual({ content: '{"text":"{{ .Reason }}: {{ .Message }}"}' });
    expect(sinkArgs(chart)).toEqual([
      '--sink=webhook:https://hooks.example.com/k8s?team=ops&level=Warning&namespaces=shop,payments&kinds=Pod,Node&reason=BackOff,Failed.*&method=POST'
      + `&header=Content-Type=application/json&header=Authorization=\${KUBE_EVENTER_SINK_0_HEADER_0}&custom_body_configmap=${body.metadata.name}&custom_body_configmap_namespace=klaxon`,
    ]);
    const role = oneOf(chart, 'Role');
    expect(role.metadata.namespace).toBe('klaxon');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: [body.metadata.name], verbs: ['get'] }]);
    expect(oneOf(chart, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: oneOf(chart, 'ServiceAccount').metadata.name, namespace: 'klaxon' }]);
  });

  test('a webhook body from an existing ConfigMap in another namespace gets a Role there, for that ConfigMap only', () => {
    const { chart } = fixture();
    const cm = kplus.ConfigMap.fromConfigMapName(chart, 'Tpl', 'alert-body');
    new KubeEventer(chart, 'Eventer', { sinks: [KubeEventerSink.webhook({ url: 'http://hook.ops.svc:8080/', body: KubeEventerWebhookBody.fromConfigMap(cm, 'ops') })] });
    expect(sinkArgs(chart)).toEqual(['--sink=webhook:http://hook.ops.svc:8080/?custom_body_configmap=alert-body&custom_body_configmap_namespace=ops']);
    const role = oneOf(chart, 'Role');
    expect(role.metadata.namespace).toBe('ops');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['alert-body'], verbs: ['get'] }]);
    expect(oneOf(chart, 'RoleBinding').metadata.namespace).toBe('ops');
  });

  test('renders the DingTalk, WeChat, Elasticsearch, SLS, InfluxDB, MySQL, Honeycomb and log sinks with kube-eventer\'s option names, several at once', () => {
    // GIVEN
    const { chart } = fixture();
    const s = secretWith(chart, 'Sinks', { token: 't0k3n', sign: 's1gn', corp: 'c0rp', es: 'e5pw', ak: 'ak1d', sk: 'ak5ecret', influx: '1nflux', mysql: 'my5ql', hc: 'h0ney' });
    const ref = (key: string): kplus.SecretValue => ({ secret: s, key });
    // WHEN
    new KubeEventer(chart, 'Eventer', {
      frequency: Duration.seconds(10),
      sinks: [
        KubeEventerSink.dingtalk({ accessToken: ref('token'), signSecret: ref('sign'), level: 'Normal', labels: ['prod', 'eu-1'], msgType: 'markdown', clusterId: 'c123', region: 'cn-hangzhou', namespaces: ['shop'], kinds: ['Pod'] }),
        KubeEventerSink.wechat({ corpId: 'ww123', corpSecret: ref('corp'), agentId: 1000002, toUsers: ['alice', 'bob'], level: 'Warning', labels: ['prod'] }),
        KubeEventerSink.elasticsearch({ nodes: ['http://es-0:9200', 'http://es-1:9200'], version: 7, credentials: { username: 'elastic', password: ref('es') }, index: 'k8s-events', clusterName: 'prod', useNamespace: true, maxRetries: 3, healthCheck: false, startupHealthcheckTimeout: Duration.seconds(5), sniff: false, bulkWorkers: 2, pipeline: 'events' }),
        KubeEventerSink.sls({ project: 'k8s-log', logStore: 'events', topic: 'prod', regionId: 'cn-hangzhou', accessKey: { id: ref('ak'), secret: ref('sk') }, internal: false, labels: { cluster: 'prod' } }),
        KubeEventerSink.influxdb({ url: 'http://influxdb.monitoring:8086', database: 'events', credentials: { username: 'writer', password: ref('influx') }, retentionPolicy: 'week', withFields: true, insecureSkipVerify: false, clusterName: 'prod', disableCounterMetrics: true, concurrency: 2 }),
        KubeEventerSink.mysql({ host: 'mysql.db', database: 'kube_events', username: 'eventer', password: ref('mysql'), table: 'events', allowPasswordInLogs: true }),
        KubeEventerSink.honeycomb({ writeKey: ref('hc'), dataset: 'k8s-events', apiHost: 'https://api.eu1.honeycomb.io/' }),
        KubeEventerSink.log(),
      ],
    });
    // THEN
    expect(container(chart).args).toEqual([
      '--source=kubernetes:https://kubernetes.default',
      '--frequency=10s',
      '--healthz-port=8084',
      '--sink=dingtalk:https://oapi.dingtalk.com/robot/send?access_token=${KUBE_EVENTER_SINK_0_ACCESS_TOKEN}&sign=${KUBE_EVENTER_SINK_0_SIGN}&level=Normal&label=prod&label=eu-1&msg_type=markdown&cluster_id=c123&region=cn-hangzhou&namespaces=shop&kinds=Pod',
      '--sink=wechat:?corp_id=ww123&corp_secret=${KUBE_EVENTER_SINK_1_CORP_SECRET}&agent_id=1000002&to_user=alice,bob&level=Warning&label=prod',
      '--sink=elasticsearch:?nodes=http://es-0:9200&nodes=http://es-1:9200&ver=7&esUserName=elastic&esUserSecret=${KUBE_EVENTER_SINK_2_PASSWORD}&index=k8s-events&cluster_name=prod&use_namespace=true&maxRetries=3&healthCheck=false&startupHealthcheckTimeout=5&sniff=false&bulkWorkers=2&pipeline=events',
      '--sink=sls:https://sls.aliyuncs.com?project=k8s-log&logStore=events&topic=prod&regionId=cn-hangzhou&accessKeyId=${KUBE_EVENTER_SINK_3_ACCESS_KEY_ID}&accessKeySecret=${KUBE_EVENTER_SINK_3_ACCESS_KEY_SECRET}&internal=false&label=cluster,prod',
      '--sink=influxdb:http://influxdb.monitoring:8086?user=writer&pw=${KUBE_EVENTER_SINK_4_PASSWORD}&db=events&retention=week&withfields=true&insecuressl=false&cluster_name=prod&disable_counter_metrics=true&concurrency=2',
      '--sink=mysql:?eventer:${KUBE_EVENTER_SINK_5_PASSWORD}@tcp(mysql.db:3306)/kube_events?charset=utf8&table=events',
      '--sink=honeycomb:?dataset=k8s-events&apihost=https://api.eu1.honeycomb.io/&writekey=${KUBE_EVENTER_SINK_6_WRITE_KEY}',
      '--sink=log',
    ]);
    expect(container(chart).env.map((e: any) => [e.name, e.valueFrom.secretKeyRef.key])).toEqual([
      ['KUBE_EVENTER_SINK_0_ACCESS_TOKEN', 'token'],
      ['KUBE_EVENTER_SINK_0_SIGN', 'sign'],
      ['KUBE_EVENTER_SINK_1_CORP_SECRET', 'corp'],
      ['KUBE_EVENTER_SINK_2_PASSWORD', 'es'],
      ['KUBE_EVENTER_SINK_3_ACCESS_KEY_ID', 'ak'],
      ['KUBE_EVENTER_SINK_3_ACCESS_KEY_SECRET', 'sk'],
      ['KUBE_EVENTER_SINK_4_PASSWORD', 'influx'],
      ['KUBE_EVENTER_SINK_5_PASSWORD', 'mysql'],
      ['KUBE_EVENTER_SINK_6_WRITE_KEY', 'hc'],
    ]);
  });

  test('no Secret value appears in any argument, env value or ConfigMap', () => {
    const { chart } = fixture();
    const values = { token: 'VALUE-token-1', sign: 'VALUE-sign-2', corp: 'VALUE-corp-3', pw: 'VALUE-pw-4', user: 'VALUE-user-5', hdr: 'VALUE-hdr-6' };
    const s = secretWith(chart, 'All', values);
    const ref = (key: string): kplus.SecretValue => ({ secret: s, key });
    new KubeEventer(chart, 'Eventer', {
      image: PATCHED,
      sinks: [
        KubeEventerSink.kafka({ topic: new ExternalTopic(chart, 'T', 'ev', new ExternalCluster(chart, 'C', 'c', '4.1.1', 'k:9092')), sasl: { username: ref('user'), password: ref('pw') } }),
        KubeEventerSink.webhook({ url: 'https://hook.example.com/', secretHeaders: { 'X-Token': ref('hdr') } }),
        KubeEventerSink.dingtalk({ accessToken: ref('token'), signSecret: ref('sign') }),
        KubeEventerSink.wechat({ corpId: 'ww1', corpSecret: ref('corp'), agentId: 1 }),
      ],
    });
    const strings = stringsOutsideSecrets(chart);
    expect(strings.filter((str) => str.includes('VALUE-'))).toEqual([]);
    expect(sinkArgs(chart)[0]).toContain('user=${KUBE_EVENTER_SINK_0_USER}&password=${KUBE_EVENTER_SINK_0_PASSWORD}');
  });

  test('reads Events cluster-wide with list and watch only, and probes /healthz on 8084', () => {
    const { chart } = fixture();
    new KubeEventer(chart, 'Eventer', { sinks: [KubeEventerSink.log()] });
    expect(oneOf(chart, 'ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['list', 'watch'] }]);
    expect(objectsOf(chart, 'Role')).toEqual([]);
    const c = container(chart);
    expect(c.image).toBe('registry.aliyuncs.com/acs/kube-eventer:v1.2.7-ca03be0-aliyun');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'healthz' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'healthz' });
    expect(c.ports).toEqual([{ name: 'healthz', containerPort: 8084 }]);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(oneOf(chart, 'Deployment').spec.replicas).toBe(1);
    expect(oneOf(chart, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: oneOf(chart, 'ServiceAccount').metadata.name, namespace: 'klaxon' }]);
  });

  test('sinks added after construction reach the arguments and the config hash', () => {
    const { chart } = fixture();
    const ke = new KubeEventer(chart, 'Eventer', { sinks: [KubeEventerSink.log()] });
    const before = oneOf(chart, 'Deployment').spec.template.metadata.annotations['klaxon.io/config-hash'];
    ke.addSink(KubeEventerSink.webhook({ url: 'https://hook.example.com/' }));
    expect(sinkArgs(chart)).toEqual(['--sink=log', '--sink=webhook:https://hook.example.com/']);
    expect(oneOf(chart, 'Deployment').spec.template.metadata.annotations['klaxon.io/config-hash']).not.toBe(before);
  });

  describe('validation', () => {
    test('fails if the default image (Shopify/sarama v1.22.1) would write to a Kafka 4 cluster', () => {
      const { chart, topic } = fixture();
      expect(messageOf(() => new KubeEventer(chart, 'Eventer', { sinks: [KubeEventerSink.kafka({ topic })] }))).toBe(
        '\'image\' ("registry.aliyuncs.com/acs/kube-eventer:v1.2.7-ca03be0-aliyun") of KubeEventer \'Eventer\' cannot write to Kafka 4.1.1 of cluster \'klaxon\': '
        + 'it ships Shopify/sarama v1.22.1, which never sets sarama\'s protocol version and so sends Produce v0, which Kafka 4 removed (KIP-896); '
        + 'the broker closes the connection and every event is lost. Ways out: '
        + '(1) send events to Kafka with Eventrouter (EventrouterImage.OPENSHIFT_V0_5_0 ships IBM/sarama v1.46.3) and keep kube-eventer for its other sinks; '
        + '(2) use a kube-eventer build that sets sarama\'s Config.Version (kube-eventer has no option for it), declared with KubeEventerImage.custom(image, { library, protocol: \'kafka4-compatible\' }); '
        + '(3) write to a cluster that runs Kafka 3.x.',
      );
    });

    test('the default image is accepted for a Kafka 3.x cluster', () => {
      const { chart } = fixture();
      const old = new ExternalCluster(chart, 'Old', 'legacy', '3.9.0', 'legacy:9092');
      expect(() => new KubeEventer(chart, 'Eventer', { sinks: [KubeEventerSink.kafka({ topic: new ExternalTopic(chart, 'T', 'ev', old) })] })).not.toThrow();
    });

    test('fails if a Kafka sink\'s cluster lists no brokers', () => {
      const { chart } = fixture();
      const empty = new ExternalCluster(chart, 'Empty', 'empty', '4.1.1', ' ');
      expect(messageOf(() => new KubeEventer(chart, 'Eventer', { image: PATCHED, sinks: [KubeEventerSink.kafka({ topic: new ExternalTopic(chart, 'T', 'ev', empty) })] }))).toBe(
        '\'bootstrapServers\' (" ") of KafkaCluster \'empty\' lists no brokers, so the Kafka sink of KubeEventer \'Eventer\' has nowhere to write topic \'ev\'. Give the cluster a listener.',
      );
    });

    test('fails if a webhook has no URL', () => {
      expect(messageOf(() => KubeEventerSink.webhook({ url: '' }))).toBe('\'url\' ("") of KubeEventerSink.webhook is required: kube-eventer refuses a webhook sink without a host.');
      expect(messageOf(() => KubeEventerSink.webhook({ url: 'hooks.example.com/x' }))).toBe('\'url\' ("hooks.example.com/x") of KubeEventerSink.webhook must be an http:// or https:// URL.');
    });

    test('fails if a TLS client certificate has no key', () => {
      const { chart, topic } = fixture();
      const s = secretWith(chart, 'Tls', { crt: 'c' });
      expect(messageOf(() => KubeEventerSink.kafka({ topic, tls: { clientCert: { secret: s, key: 'crt' } } }))).toBe(
        `'tls.clientCert' ("${s.name}/crt") of KubeEventerSink.kafka needs 'tls.clientKey': kube-eventer loads the client certificate only together with its key.`,
      );
    });

    test('fails if insecureSkipVerify is set without anything that turns TLS on', () => {
      const { topic } = fixture();
      expect(messageOf(() => KubeEventerSink.kafka({ topic, tls: { insecureSkipVerify: true } }))).toBe(
        '\'tls\' ({"insecureSkipVerify":true}) of KubeEventerSink.kafka turns nothing on: kube-eventer enables TLS only with \'caCert\' or \'clientCert\'+\'clientKey\'. Set one of them or remove \'tls\'.',
      );
    });

    test('fails if the compression codec is unknown', () => {
      const { topic } = fixture();
      expect(messageOf(() => KubeEventerSink.kafka({ topic, compression: 'zstd' as any }))).toBe(
        '\'compression\' ("zstd") of KubeEventerSink.kafka must be one of \'none\', \'gzip\', \'snappy\'.',
      );
    });

    test('fails if the compression is lz4, which kube-eventer\'s sarama refuses at start', () => {
      const { topic } = fixture();
      expect(messageOf(() => KubeEventerSink.kafka({ topic, compression: 'lz4' as any }))).toBe(
        '\'compression\' ("lz4") of KubeEventerSink.kafka cannot work: kube-eventer\'s sarama (v1.22.1) refuses lz4 unless a protocol version >= 0.10 is set, which kube-eventer never sets, so the sink would not start. Use \'gzip\' or \'snappy\'.',
      );
    });

    test('fails if a literal option contains $, which kube-eventer would expand', () => {
      expect(messageOf(() => new KubeEventer(fixture().chart, 'Eventer', { sinks: [KubeEventerSink.webhook({ url: 'https://hook.example.com/', namespaces: ['$HOME'] })] }))).toBe(
        '\'namespaces\' ("$HOME") of KubeEventerSink.webhook contains \'$\': kube-eventer expands $VAR in --sink before parsing it, so the value would change. Put it in a Secret and pass it as a secret option.',
      );
    });

    test('fails if a webhook header contains =', () => {
      expect(messageOf(() => KubeEventerSink.webhook({ url: 'https://h.example.com/', headers: { 'X-A': 'b=c' } }))).toBe(
        '\'headers\' ({"X-A":"b=c"}) of KubeEventerSink.webhook cannot be sent: kube-eventer splits \'header\' on \'=\' and drops headers whose name or value contains one.',
      );
    });

    test('fails if the MySQL sink is used without accepting that kube-eventer logs its DSN', () => {
      const { chart } = fixture();
      const s = secretWith(chart, 'Db', { pw: 'x' });
      expect(messageOf(() => KubeEventerSink.mysql({ host: 'db', database: 'ev', username: 'u', password: { secret: s, key: 'pw' } }))).toBe(
        '\'allowPasswordInLogs\' (undefined) of KubeEventerSink.mysql must be true to use the MySQL sink: kube-eventer 1.2.14 logs the whole DSN, password included, when it starts (common/mysql/mysql.go). Set it only if the pod\'s logs are as protected as the Secret.',
      );
    });

    test('fails if a DingTalk markdown message has no cluster id and region', () => {
      const { chart } = fixture();
      const s = secretWith(chart, 'D', { t: 'x' });
      expect(messageOf(() => KubeEventerSink.dingtalk({ accessToken: { secret: s, key: 't' }, msgType: 'markdown' }))).toBe(
        '\'msgType\' ("markdown") of KubeEventerSink.dingtalk needs \'clusterId\' and \'region\' (kube-eventer\'s markdown message is built from them).',
      );
    });

    test('fails if the frequency is outside 5s..3m', () => {
      expect(messageOf(() => new KubeEventer(fixture().chart, 'Eventer', { frequency: Duration.seconds(2) }))).toBe('\'frequency\' (2) of KubeEventer \'Eventer\' must be at least 5.');
    });

    test('fails at synth if no sink was added', () => {
      const { app, chart } = fixture();
      new KubeEventer(chart, 'Eventer');
      expect(() => app.synth()).toThrow('[test/Eventer] \'sinks\' ([]) of KubeEventer \'Eventer\' is empty: kube-eventer without a sink exports nothing. Pass \'sinks\' or call addSink().');
    });

    test('fails if the chart has no namespace', () => {
      expect(messageOf(() => new KubeEventer(new Chart(Testing.app(), 'bare'), 'Eventer'))).toBe(
        'KubeEventer \'Eventer\' needs a namespace for its ServiceAccount (the subject of its ClusterRoleBinding), but chart \'bare\' has none. Give the chart a \'namespace\'.',
      );
    });
  });
});
