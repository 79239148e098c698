import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { ANONYMOUS, KafkaCluster, KafkaClusterProps } from '../../../constructs/kafka/kafka-cluster';
import { allowListenerClient, checkListenerClient } from '../../../constructs/kafka/kafka-client';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { messageOf, namespacedChart, objectNamed, schemaProblems } from './helpers';

/** The prod shape: TLS + SCRAM for Klaxon's workloads, a plain listener restricted to the clients that cannot authenticate. */
const PROD_LISTENERS: KafkaClusterProps = {
  listeners: [
    { name: 'plain', port: 9092, restricted: true },
    { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' },
  ],
  workloadListener: 'scram',
  superUsers: [ANONYMOUS],
  allowAnonymousSuperUser: true,
};

const WHY = 'it has no TLS settings and no credentials';

describe('KafkaCluster listener access', () => {
  test('a restricted listener admits exactly the registered clients: their pod labels in their namespace, as networkPolicyPeers', () => {
    // GIVEN
    const chart = namespacedChart('kafka');
    const cluster = new KafkaCluster(chart, 'Kafka', PROD_LISTENERS);
    new KafkaUser(chart, 'Fanout', { cluster, userName: 'events-fanout' });
    // WHEN
    cluster.allowClients('plain', { namespace: 'klaxon-sources', podLabels: { 'app.kubernetes.io/name': 'eventrouter' } });
    cluster.allowClients('plain', { namespace: 'fluent' });
    cluster.allowClients('plain', { podLabels: { app: 'same-namespace' } });
    // THEN
    const kafka = objectNamed(chart, 'Kafka', 'klaxon').spec.kafka;
    expect(kafka.listeners).toEqual([
      {
        name: 'plain',
        port: 9092,
        type: 'internal',
        tls: false,
        networkPolicyPeers: [
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'eventrouter' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'klaxon-sources' } } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'fluent' } } },
          { podSelector: { matchLabels: { app: 'same-namespace' } } },
        ],
      },
      { name: 'scram', port: 9094, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } },
    ]);
    expect(kafka.authorization).toEqual({ type: 'simple', superUsers: ['ANONYMOUS'] });
    expect(cluster.bootstrapServers).toBe('klaxon-kafka-bootstrap.kafka.svc:9094');
    expect(cluster.bootstrapServersFor('plain')).toBe('klaxon-kafka-bootstrap.kafka.svc:9092');
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('clients allowed after the cluster was built still reach the manifest, and the same client twice is rendered once', () => {
    // GIVEN a cluster already synthesized once with one client
    const chart = namespacedChart('kafka');
    const cluster = new KafkaCluster(chart, 'Kafka', PROD_LISTENERS);
    new KafkaUser(chart, 'Fanout', { cluster, userName: 'events-fanout' });
    cluster.allowClients('plain', { namespace: 'a' });
    expect(objectNamed(chart, 'Kafka', 'klaxon').spec.kafka.listeners[0].networkPolicyPeers).toHaveLength(1);
    // WHEN
    cluster.allowClients('plain', { namespace: 'b', podLabels: { x: 'y' } });
    cluster.allowClients('plain', { podLabels: { x: 'y' }, namespace: 'b' });
    // THEN
    expect(objectNamed(chart, 'Kafka', 'klaxon').spec.kafka.listeners[0].networkPolicyPeers).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } } },
      { podSelector: { matchLabels: { x: 'y' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } } },
    ]);
    expect(cluster.clientsOf('plain')).toEqual([{ namespace: 'a' }, { namespace: 'b', podLabels: { x: 'y' } }]);
  });

  test('super users are rendered as given: Strimzi adds the User: prefix itself', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', { authorization: true, superUsers: ['CN=ops,O=example', 'admin'], config: { 'allow.everyone.if.no.acl.found': true } });
    expect(objectNamed(chart, 'Kafka', 'klaxon').spec.kafka.authorization).toEqual({ type: 'simple', superUsers: ['CN=ops,O=example', 'admin'] });
    expect(cluster.superUsers).toEqual(['CN=ops,O=example', 'admin']);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('listeners are unrestricted and there are no super users by default (manifest unchanged)', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const kafka = objectNamed(chart, 'Kafka', 'klaxon').spec.kafka;
    expect(kafka.listeners.map((l: any) => l.networkPolicyPeers)).toEqual([undefined, undefined]);
    expect(kafka.authorization).toBeUndefined();
    expect(cluster.listeners.map((l) => l.restricted)).toEqual([false, false]);
    expect(cluster.superUsers).toEqual([]);
  });

  describe('checkListenerClient', () => {
    test('returns the listener a client without TLS or credentials may use', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', PROD_LISTENERS);
      expect(checkListenerClient(cluster, 'plain', "Thing 'x'", WHY)).toEqual({ name: 'plain', port: 9092, tls: false, authentication: 'none', restricted: true });
    });

    test('accepts a listener whose TLS and authentication the client says it can give', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', PROD_LISTENERS);
      expect(checkListenerClient(cluster, 'scram', "Thing 'x'", WHY, { tls: true, authentication: ['scram-sha-512'] })?.name).toBe('scram');
    });

    test('fails if the chosen listener needs TLS and authentication the client cannot give', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', PROD_LISTENERS);
      expect(messageOf(() => checkListenerClient(cluster, 'scram', "Thing 'x'", WHY))).toBe(
        "'listener' (\"scram\") of Thing 'x' needs TLS and scram-sha-512 authentication, which Thing 'x' cannot give: it has no TLS settings and no credentials. " +
        "Point 'listener' at a listener with 'tls: false' and authentication 'none'.",
      );
    });

    test('fails if the workload listener (no listener chosen) needs authentication the client cannot give', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', PROD_LISTENERS);
      expect(messageOf(() => checkListenerClient(cluster, undefined, "Thing 'x'", WHY, { tls: true }))).toBe(
        "'workloadListener' (\"scram\") of KafkaCluster 'klaxon' needs scram-sha-512 authentication, which Thing 'x' cannot give: it has no TLS settings and no credentials. " +
        "Point 'workloadListener' at a listener with 'tls: false' and authentication 'none' (the default 'plain').",
      );
    });

    test('fails if authorization is on, the listener does not authenticate and ANONYMOUS is not a super user', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', { ...PROD_LISTENERS, superUsers: ['admin'] });
      expect(messageOf(() => checkListenerClient(cluster, 'plain', "Thing 'x'", WHY))).toBe(
        "'listener' (\"plain\") of Thing 'x' does not authenticate, so Thing 'x' connects as ANONYMOUS, and 'superUsers' ([\"admin\"]) of KafkaCluster 'klaxon' do not include ANONYMOUS: " +
        "with 'authorization' on, the broker would deny its every request. Give Thing 'x' a KafkaUser on an authenticated listener, or (accepting the risk) add 'ANONYMOUS' to 'superUsers' with 'allowAnonymousSuperUser: true' and set 'restricted: true' on listener 'plain'.",
      );
    });

    test('an unauthenticated listener is usable under authorization when the cluster allows everyone without ACLs', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', { ...PROD_LISTENERS, superUsers: undefined, config: { 'allow.everyone.if.no.acl.found': true } });
      expect(checkListenerClient(cluster, 'plain', "Thing 'x'", WHY)?.name).toBe('plain');
    });

    test('fails if the chosen listener does not exist', () => {
      const cluster = new KafkaCluster(namespacedChart(), 'Kafka', PROD_LISTENERS);
      expect(messageOf(() => checkListenerClient(cluster, 'nope', "Thing 'x'", WHY))).toBe(
        "'listenerName' (\"nope\") of KafkaCluster 'klaxon' names no listener; listeners are 'plain', 'scram'.",
      );
    });
  });

  describe('allowListenerClient', () => {
    test('allows a client\'s pods in its chart\'s namespace on a restricted listener, and does nothing on an open one', () => {
      const app = Testing.app();
      const cluster = new KafkaCluster(new Chart(app, 'kafka', { namespace: 'kafka' }), 'Kafka', PROD_LISTENERS);
      const client = new Construct(new Chart(app, 'sources', { namespace: 'sources' }), 'Client');
      allowListenerClient(cluster, cluster.listener('plain'), client, "Thing 'x'", { app: 'x' });
      allowListenerClient(cluster, cluster.listener('scram'), client, "Thing 'x'", { app: 'x' });
      expect(cluster.clientsOf('plain')).toEqual([{ namespace: 'sources', podLabels: { app: 'x' } }]);
      expect(cluster.clientsOf('scram')).toEqual([]);
    });

    test('a client and a cluster both without namespace are in the same namespace: the peer is the pod labels alone', () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka', PROD_LISTENERS);
      allowListenerClient(cluster, cluster.listener('plain'), new Construct(chart, 'Client'), "Thing 'x'", { app: 'x' });
      expect(cluster.clientsOf('plain')).toEqual([{ podLabels: { app: 'x' } }]);
    });

    test('fails if the client has no namespace while the cluster has one', () => {
      const app = Testing.app();
      const cluster = new KafkaCluster(new Chart(app, 'kafka', { namespace: 'kafka' }), 'Kafka', PROD_LISTENERS);
      const client = new Construct(new Chart(app, 'bare'), 'Client');
      expect(messageOf(() => allowListenerClient(cluster, cluster.listener('plain'), client, "Thing 'x'", { app: 'x' }))).toBe(
        "Thing 'x' has no namespace (its chart has none), so listener 'plain' of KafkaCluster 'klaxon', restricted to its clients, cannot name where its pods run; give the chart a namespace.",
      );
    });
  });

  describe('fails', () => {
    test('fails if a restricted listener has no client at synth, since nobody could connect', () => {
      const chart = namespacedChart('kafka');
      const cluster = new KafkaCluster(chart, 'Kafka', PROD_LISTENERS);
      new KafkaUser(chart, 'Fanout', { cluster, userName: 'events-fanout' });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka] ' +
        "'restricted' (true) of listener 'plain' of KafkaCluster 'klaxon' lets only registered clients connect, and none is registered, so nobody could connect. " +
        "Connect a client to it (e.g. Eventrouter or FluentBit with 'listener: \"plain\"'), call allowClients('plain', peer), or set 'restricted' to false.",
      );
    });

    test('fails if a client peer names neither a namespace nor pod labels, since it would allow everyone', () => {
      const cluster = new KafkaCluster(namespacedChart('kafka'), 'Kafka', PROD_LISTENERS);
      const expected =
        "'peer' ({}) of a client of listener 'plain' of KafkaCluster 'klaxon' names neither a 'namespace' nor 'podLabels', so it would let every pod connect; say where the client pods run and which labels they carry.";
      expect(messageOf(() => cluster.allowClients('plain', {}))).toBe(expected);
      expect(messageOf(() => cluster.allowClients('plain', { podLabels: {} }))).toBe(expected.replace("'peer' ({})", '\'peer\' ({"podLabels":{}})'));
    });

    test('fails if clients are allowed on a listener that is not restricted', () => {
      const cluster = new KafkaCluster(namespacedChart('kafka'), 'Kafka', PROD_LISTENERS);
      expect(messageOf(() => cluster.allowClients('scram', { namespace: 'x' }))).toBe(
        "'listenerName' (\"scram\") of KafkaCluster 'klaxon' is not restricted, so every pod may connect to it already; set the listener's 'restricted: true' to limit it to the clients allowed here.",
      );
    });

    test('fails if a client peer has an invalid namespace or label', () => {
      const cluster = new KafkaCluster(namespacedChart('kafka'), 'Kafka', PROD_LISTENERS);
      expect(messageOf(() => cluster.allowClients('plain', { namespace: 'Bad_NS' }))).toMatch(/^'namespace' \("Bad_NS"\) of a client of listener 'plain' of KafkaCluster 'klaxon' is not a valid namespace: /);
      expect(messageOf(() => cluster.allowClients('plain', { podLabels: { app: 'has space' } }))).toBe(
        "'podLabels.app' (\"has space\") of a client of listener 'plain' of KafkaCluster 'klaxon' must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty).",
      );
    });

    test('fails if super users are given without authorization', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { superUsers: [ANONYMOUS] }))).toBe(
        "'superUsers' ([\"ANONYMOUS\"]) of KafkaCluster 'klaxon' needs 'authorization': without an authorizer every client may do everything and super users mean nothing. Set 'authorization: true' or remove 'superUsers'.",
      );
    });

    test('fails if a super user carries the User: prefix Strimzi adds itself', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { ...PROD_LISTENERS, superUsers: ['User:ANONYMOUS'] }))).toBe(
        "'superUsers' (\"User:ANONYMOUS\") of KafkaCluster 'klaxon' starts with 'User:', which Strimzi adds itself (it would become 'User:User:ANONYMOUS'); give \"ANONYMOUS\".",
      );
    });

    test('fails if a super user holds the super.users separator', () => {
      expect(messageOf(() => new KafkaCluster(Testing.chart(), 'Kafka', { ...PROD_LISTENERS, superUsers: ['a;b'] }))).toBe(
        "'superUsers' (\"a;b\") of KafkaCluster 'klaxon' must be one principal name without ';' (the separator of Kafka's 'super.users'), line breaks or surrounding spaces.",
      );
    });

    test('fails if ANONYMOUS is a super user while an unauthenticated listener is open to every pod', () => {
      const chart = namespacedChart('kafka');
      const cluster = new KafkaCluster(chart, 'Kafka', {
        ...PROD_LISTENERS,
        listeners: [...PROD_LISTENERS.listeners!, { name: 'tls', port: 9093, tls: true }],
      });
      new KafkaUser(chart, 'Fanout', { cluster, userName: 'events-fanout' });
      cluster.allowClients('plain', { namespace: 'klaxon-sources' });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka] ' +
        "'superUsers' ([\"ANONYMOUS\"]) of KafkaCluster 'klaxon' include ANONYMOUS, and listener 'tls' has no authentication and is not restricted: every pod that reaches port 9093 would be a super user. " +
        "Set 'restricted: true' on listener 'tls' (only its registered clients may connect), give it authentication, or remove it.",
      );
    });
  });
});
