/**
 * A secured single-node Kafka broker for the tests of authentication and ACLs (the shared harness
 * broker runs without either): same jars and process rules as kafka-broker.ts, with
 *
 * - `superUser`: a PLAINTEXT listener whose principal (ANONYMOUS) is a super user, for setup;
 * - `scram`: SASL_PLAINTEXT with SCRAM-SHA-512, what Strimzi's `scram-sha-512` listener without TLS is;
 * - `scramTls`: SASL_SSL with SCRAM-SHA-512 (Strimzi's `tls: true` + `scram-sha-512`), its certificate
 *   signed by a CA made for this broker (`caFile`, PEM), as Strimzi's cluster CA signs the brokers';
 *
 * the StandardAuthorizer, and SCRAM credentials for the given users (one shared password).
 * `applyKafkaUser` does to it what Strimzi's User Operator does with a synthesized KafkaUser.
 */
import { ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, ResourcePatternTypes } from 'kafkajs';
import { DEFAULT_KAFKA_LIBS, ensureKafkaLibs } from './kafka-broker';
import { canConnect, exited, freePort, ownedTempDir, removeDir, runOrThrow, sleep, spawnOwned, stopChild, tail } from './processes';

/** What startSecuredBroker started. */
export interface SecuredBroker {
  /** PLAINTEXT `host:port`; its principal (ANONYMOUS) is a super user. */
  readonly superUser: string;
  /** SASL_PLAINTEXT SCRAM-SHA-512 `host:port`. */
  readonly scram: string;
  /** SASL_SSL SCRAM-SHA-512 `host:port` (certificate for 127.0.0.1, signed by `caFile`). */
  readonly scramTls: string;
  /** PEM file of the CA that signed the broker's certificate. */
  readonly caFile: string;
  /** The SCRAM password of every user. */
  readonly password: string;
  stop(): Promise<void>;
}

/** A self-signed CA and a broker certificate for 127.0.0.1 it signs, as PEM files in `dir`. */
function makeCertificates(dir: string): { caFile: string; keystoreFile: string } {
  const at = (f: string): string => path.join(dir, f);
  const days = ['-days', '2'];
  runOrThrow('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.crt'), ...days, '-subj', '/CN=klaxon-test-cluster-ca']);
  runOrThrow('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('broker.key'), '-out', at('broker.csr'), '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(at('broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  runOrThrow('openssl', ['x509', '-req', '-in', at('broker.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('broker.crt'), ...days, '-extfile', at('broker.ext')]);
  // Kafka's PEM key store: the unencrypted PKCS#8 key followed by the certificate chain.
  const keystoreFile = at('broker.pem');
  fs.writeFileSync(keystoreFile, fs.readFileSync(at('broker.key'), 'utf8') + fs.readFileSync(at('broker.crt'), 'utf8') + fs.readFileSync(at('ca.crt'), 'utf8'));
  return { caFile: at('ca.crt'), keystoreFile };
}

/** Starts a secured broker with SCRAM-SHA-512 credentials for `users`. */
export async function startSecuredBroker(users: readonly string[]): Promise<SecuredBroker> {
  ensureKafkaLibs();
  const dir = ownedTempDir('kafka-secured');
  const logFile = path.join(dir, 'broker.log');
  const password = randomBytes(12).toString('hex');
  const [plain, scram, scramTls, controller] = [await freePort(), await freePort(), await freePort(), await freePort()];
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 15_000);
    removeDir(dir);
  };
  try {
    const { caFile, keystoreFile } = makeCertificates(dir);
    const jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
    const config: Record<string, string | number> = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controller}`,
      'listeners': `PLAINTEXT://127.0.0.1:${plain},SCRAM://127.0.0.1:${scram},SCRAMTLS://127.0.0.1:${scramTls},CONTROLLER://127.0.0.1:${controller}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${plain},SCRAM://127.0.0.1:${scram},SCRAMTLS://127.0.0.1:${scramTls}`,
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SCRAM:SASL_PLAINTEXT,SCRAMTLS:SASL_SSL,CONTROLLER:PLAINTEXT',
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.scram.scram-sha-512.sasl.jaas.config': jaas,
      'listener.name.scramtls.scram-sha-512.sasl.jaas.config': jaas,
      'listener.name.scramtls.ssl.keystore.type': 'PEM',
      'listener.name.scramtls.ssl.keystore.location': keystoreFile,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:ANONYMOUS',
      'log.dirs': path.join(dir, 'data'),
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': 0,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 3,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
    };
    const configFile = path.join(dir, 'server.properties');
    fs.writeFileSync(configFile, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const common = ['-Djava.awt.headless=true', '-cp', path.join(DEFAULT_KAFKA_LIBS, '*')];
    const scramArgs = users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u},password=${password}]`]);
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    const format = spawnOwned('java', ['-Xmx256m', ...common, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, ...scramArgs], { dir, kind: 'kafka-secured-format', logFile });
    await exited(format);
    if (format.exitCode !== 0) throw new Error(`storage format failed:\n${tail(logFile)}`);
    child = spawnOwned('java', ['-Xms384m', '-Xmx384m', '-XX:+UseG1GC', ...common, 'kafka.Kafka', configFile], { dir, kind: 'kafka-secured', logFile });
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(scram)) || !(await canConnect(plain)) || !(await canConnect(scramTls))) {
      if (child.exitCode !== null) throw new Error(`broker exited:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`broker did not open its ports:\n${tail(logFile)}`);
      await sleep(100);
    }
    const at = (port: number): string => `127.0.0.1:${port}`;
    return { superUser: at(plain), scram: at(scram), scramTls: at(scramTls), caFile, password, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The KafkaUser ACL `operations` of Strimzi's v1 API, as kafkajs operation codes. */
const OPERATION: Record<string, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  Create: AclOperationTypes.CREATE,
  Delete: AclOperationTypes.DELETE,
  Alter: AclOperationTypes.ALTER,
  ClusterAction: AclOperationTypes.CLUSTER_ACTION,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
  All: AclOperationTypes.ALL,
};
const RESOURCE: Record<string, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
};

/** What Strimzi's user operator does with a synthesized KafkaUser: one allow ACL per operation for `User:<name>`. */
export async function applyKafkaUser(admin: Admin, user: any): Promise<void> {
  const acl = (user.spec.authorization?.acls ?? []).flatMap((rule: any) =>
    rule.operations.map((op: string) => ({
      resourceType: RESOURCE[rule.resource.type],
      resourceName: rule.resource.type === 'cluster' ? 'kafka-cluster' : rule.resource.name,
      resourcePatternType: rule.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${user.metadata.name}`,
      host: '*',
      operation: OPERATION[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  if (acl.length > 0) await admin.createAcls({ acl });
}
