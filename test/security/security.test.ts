/**
 * Security regressions of the committed manifests (dist/dev, dist/prod): every pod restricted except
 * the log shipper; no secret value in a ConfigMap, argument or env value; no wildcard RBAC; prod with
 * no Kafka super user and no unauthenticated listener; every Klaxon pod selected by a NetworkPolicy,
 * and who may reach whom under the rendered policies (test/security/netpol.ts).
 */
import { distObjects, workloadsOf } from './dist';
import { egressAllows, ingressAllows, mayReach, Pod, selecting } from './netpol';

const ENVS = ['dev', 'prod'];

/**
 * The one pod allowed below Pod Security "restricted": Fluent Bit reads the node's container log
 * files, which only root may read, through hostPath volumes. It still drops every capability, runs
 * without privilege escalation and with a read-only root filesystem.
 */
const LOG_SHIPPER = (name: string): boolean => /^DaemonSet\/klaxon-logging\/.*fluentbit/.test(name);

/** Keys whose string values would be credentials. */
const SECRET_KEY = /(password|passwd|secret|token|api[-_]?key|credential|private[-_]?key)/i;

/** Credential-like values in `objects` (Secrets aside): spec fields, ConfigMap configuration lines, env values and arguments. */
function secretValues(objects: any[]): string[] {
  const problems: string[] = [];
  // A file path (`kube_token_file`, `ssl.ca.location`) or a `${VAR}` reference holds no value.
  const harmless = (key: string, value: string): boolean => /^\$\{[A-Z0-9_]+\}$/.test(value) || /(file|location|path)$/i.test(key) || /^(secretName|name|key|passwordSecret|valueEnv)$/.test(key);
  const walk = (value: unknown, where: string, key: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}[${i}]`, key));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        // A Secret reference names a Secret and a key; it holds no value.
        if (['secretKeyRef', 'secret', 'secretRef', 'valueFrom'].includes(k)) continue;
        walk(v, `${where}.${k}`, k);
      }
    } else if (typeof value === 'string' && SECRET_KEY.test(key) && !harmless(key, value)) {
      problems.push(`${where}: ${JSON.stringify(value)}`);
    }
  };
  for (const o of objects) {
    if (o.kind === 'Secret') continue;
    walk(o.spec ?? {}, `${o.kind}/${o.metadata.name}.spec`, '');
    if (o.kind === 'ConfigMap') {
      for (const [file, text] of Object.entries<string>(o.data ?? {})) {
        // key/value lines of configuration files (Fluent Bit, JSON) with a credential-like key
        for (const line of text.split('\n')) {
          const m = /^\s*"?([\w.-]+)"?\s*[:= ]\s*"?([^"\s,]+)/.exec(line);
          if (m && SECRET_KEY.test(m[1]) && !harmless(m[1], m[2])) problems.push(`ConfigMap/${o.metadata.name} ${file}: ${line.trim()}`);
        }
      }
    }
  }
  for (const w of workloadsOf(objects)) {
    for (const c of [...(w.spec.initContainers ?? []), ...w.spec.containers]) {
      for (const e of c.env ?? []) if (SECRET_KEY.test(e.name) && e.value !== undefined && !harmless(e.name, e.value)) problems.push(`${w.name}/${c.name}: env ${e.name} has a value`);
      for (const a of [...(c.args ?? []), ...(c.command ?? [])]) if (/(password|token|secret)=[^$]/i.test(a)) problems.push(`${w.name}/${c.name}: argument ${a}`);
    }
  }
  return problems;
}

test('the secret detector finds a planted password in a ConfigMap line, a spec field, an env value and an argument', () => {
  const deployment = (container: any): any => ({
    kind: 'Deployment', metadata: { name: 'd', namespace: 'n' },
    spec: { template: { metadata: { labels: {} }, spec: { containers: [{ name: 'c', ...container }] } } },
  });
  expect(secretValues([{ kind: 'ConfigMap', metadata: { name: 'cm' }, data: { 'fluent-bit.conf': '[OUTPUT]\n    rdkafka.sasl.password hunter2\n' } }])).toHaveLength(1);
  expect(secretValues([{ kind: 'ClusterOutput', metadata: { name: 'o' }, spec: { kafka: { rdkafka: { 'sasl.password': 'hunter2' } } } }])).toHaveLength(1);
  expect(secretValues([deployment({ env: [{ name: 'KAFKA_SASL_PASSWORD', value: 'hunter2' }] })])).toHaveLength(1);
  expect(secretValues([deployment({ args: ['--password=hunter2'] })])).toHaveLength(1);
  expect(secretValues([deployment({ env: [{ name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'u', key: 'password' } } }] })])).toEqual([]);
});

describe.each(ENVS)('dist/%s', (env) => {
  const objects = distObjects(env);
  const workloads = workloadsOf(objects);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');

  test('has workloads to check', () => {
    expect(workloads.length).toBeGreaterThanOrEqual(2);
  });

  test('every pod meets Pod Security "restricted" with uid and gid >= 10000, except the log shipper', () => {
    const problems: string[] = [];
    for (const w of workloads) {
      if (LOG_SHIPPER(w.name)) continue;
      const pod = w.spec;
      const sc = pod.securityContext ?? {};
      if (sc.runAsNonRoot !== true) problems.push(`${w.name}: runAsNonRoot is not true`);
      if (!(sc.runAsUser >= 10000)) problems.push(`${w.name}: runAsUser ${sc.runAsUser} < 10000`);
      if (!(sc.runAsGroup >= 10000)) problems.push(`${w.name}: runAsGroup ${sc.runAsGroup} < 10000`);
      if (sc.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${w.name}: seccomp is not RuntimeDefault`);
      if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${w.name}: uses a host namespace`);
      if ((pod.volumes ?? []).some((v: any) => v.hostPath)) problems.push(`${w.name}: mounts a hostPath`);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const csc = c.securityContext ?? {};
        if (csc.allowPrivilegeEscalation !== false) problems.push(`${w.name}/${c.name}: allowPrivilegeEscalation is not false`);
        if (csc.privileged) problems.push(`${w.name}/${c.name}: privileged`);
        if (JSON.stringify(csc.capabilities?.drop) !== '["ALL"]' || (csc.capabilities?.add ?? []).length > 0) problems.push(`${w.name}/${c.name}: capabilities not dropped`);
        if (csc.readOnlyRootFilesystem !== true) problems.push(`${w.name}/${c.name}: root filesystem writable`);
        if (csc.runAsUser !== undefined && csc.runAsUser < 10000) problems.push(`${w.name}/${c.name}: runAsUser ${csc.runAsUser}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the log shipper, the one exception, drops every capability, cannot escalate and has a read-only root filesystem', () => {
    for (const w of workloads.filter((x) => LOG_SHIPPER(x.name))) {
      for (const c of w.spec.containers) {
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
      expect(w.spec.priorityClassName).toBe('klaxon-log-shipper');
      expect((w.spec.volumes ?? []).filter((v: any) => v.hostPath).every((v: any) => ['/var/log', '/var/lib/fluent-bit'].includes(v.hostPath.path))).toBe(true);
    }
  });

  test('no secret value in any ConfigMap, argument or env value: credentials come by Secret reference', () => {
    expect(secretValues(objects)).toEqual([]);
  });

  test('no wildcard RBAC: every rule names its API groups, resources and verbs', () => {
    const rules = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole').flatMap((r) => (r.rules ?? []).map((rule: any) => ({ role: r.metadata.name, rule })));
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.filter(({ rule }) => [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? []), ...(rule.nonResourceURLs ?? [])].includes('*'))).toEqual([]);
    expect(objects.filter((o) => (o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') && o.roleRef.name === 'cluster-admin')).toEqual([]);
  });

  test('every Klaxon pod is selected by a NetworkPolicy (default-deny ingress at least)', () => {
    expect(workloads.filter((w) => selecting(policies, w.pod, 'Ingress').length === 0).map((w) => w.name)).toEqual([]);
  });
});

describe('dist/prod Kafka', () => {
  const objects = distObjects('prod');
  const kafka = objects.find((o) => o.kind === 'Kafka');

  test('has no super user and no listener without authentication', () => {
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.kafka.listeners.filter((l: any) => !l.authentication)).toEqual([]);
    expect(kafka.spec.kafka.listeners.filter((l: any) => !l.tls)).toEqual([]);
  });

  test('every KafkaUser holds only literal topic and group ACLs, none on the cluster and no All', () => {
    const users = objects.filter((o) => o.kind === 'KafkaUser');
    expect(users.map((u) => u.metadata.name).sort()).toEqual(['event-exporter', 'events-fanout', 'klaxon-log-shipper', 'log-alerter']);
    for (const u of users) {
      for (const acl of u.spec.authorization.acls) {
        expect(['topic', 'group']).toContain(acl.resource.type);
        expect(acl.resource.patternType).toBe('literal');
        expect(acl.operations).not.toContain('All');
      }
    }
  });

  test('the entity operator has requests and limits (not BestEffort)', () => {
    for (const op of ['topicOperator', 'userOperator']) {
      expect(kafka.spec.entityOperator[op].resources).toEqual({ requests: expect.any(Object), limits: expect.any(Object) });
    }
  });
});

describe('who may reach whom under the rendered NetworkPolicies', () => {
  const broker: Pod = { namespace: 'klaxon', labels: { 'strimzi.io/cluster': 'klaxon', 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': 'klaxon-kafka' } };
  const stranger: Pod = { namespace: 'default', labels: { app: 'wordpress' } };
  const neighbour: Pod = { namespace: 'klaxon', labels: { app: 'debug' } };
  const monitoring: Pod = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
  const keda: Pod = { namespace: 'keda', labels: { 'app.kubernetes.io/name': 'keda-operator' } };
  const dns: Pod = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
  const nm: Pod = { namespace: 'kubesphere-monitoring-system', labels: { 'app.kubernetes.io/name': 'notification-manager' } };

  describe('prod', () => {
    const objects = distObjects('prod');
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const pod = (name: string): Pod => workloadsOf(objects).find((w) => w.pod.labels['app.kubernetes.io/name'] === name)!.pod;
    const fanout = pod('events-fanout');
    const alerter = pod('log-alerter');
    const fluentBit: Pod = { namespace: 'kubesphere-logging-system', labels: { 'app.kubernetes.io/name': 'fluent-bit' } };

    test('the SCRAM listener (9094) admits the workloads, KEDA and the operator\'s Fluent Bit, and nobody else', () => {
      for (const client of [fanout, alerter, keda, fluentBit]) expect(mayReach(policies, client, broker, 9094)).toBe(true);
      for (const other of [stranger, neighbour, monitoring, { namespace: 'kubesphere-logging-system', labels: { app: 'other' } }]) {
        expect(mayReach(policies, other, broker, 9094)).toBe(false);
      }
    });

    test('the workloads\' metrics port (8080) only from the monitoring namespace', () => {
      for (const w of [fanout, alerter]) {
        expect(mayReach(policies, monitoring, w, 8080)).toBe(true);
        expect(mayReach(policies, stranger, w, 8080)).toBe(false);
        expect(mayReach(policies, neighbour, w, 8080)).toBe(false);
      }
    });

    test('the workloads reach DNS and Kafka; the alerter its Notification Manager sink; nothing else', () => {
      for (const w of [fanout, alerter]) {
        expect(egressAllows(policies, w, dns, 53, 'UDP')).toBe(true);
        expect(egressAllows(policies, w, broker, 9094)).toBe(true);
        expect(egressAllows(policies, w, broker, 9092)).toBe(false);
        expect(egressAllows(policies, w, stranger, 80)).toBe(false);
        expect(egressAllows(policies, w, { ip: '203.0.113.10' }, 443)).toBe(false);
      }
      expect(egressAllows(policies, alerter, nm, 19093)).toBe(true);
      expect(egressAllows(policies, fanout, nm, 19093)).toBe(false);
    });
  });

  describe('dev', () => {
    const objects = distObjects('dev');
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const pods = workloadsOf(objects);
    const pod = (name: string): Pod => pods.find((w) => w.pod.labels['app.kubernetes.io/name'] === name)!.pod;

    test('the plain listener (9092) admits the registered clients only, in Klaxon\'s own policy', () => {
      for (const client of [pod('events-fanout'), pod('log-alerter'), pod('event-alerter'), pod('event-exporter'), pod('fluent-bit'), keda]) {
        expect(ingressAllows(policies, client, broker, 9092)).toBe(true);
      }
      expect(ingressAllows(policies, stranger, broker, 9092)).toBe(false);
      expect(ingressAllows(policies, neighbour, broker, 9092)).toBe(false);
    });

    test('Fluent Bit\'s HTTP server (2020) and the event exporter\'s metrics (8080) only from monitoring', () => {
      expect(ingressAllows(policies, monitoring, pod('fluent-bit'), 2020)).toBe(true);
      expect(ingressAllows(policies, stranger, pod('fluent-bit'), 2020)).toBe(false);
      expect(ingressAllows(policies, monitoring, pod('event-exporter'), 8080)).toBe(true);
      expect(ingressAllows(policies, neighbour, pod('event-exporter'), 8080)).toBe(false);
    });
  });
});
