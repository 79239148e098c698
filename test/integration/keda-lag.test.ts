/**
 * KafkaLagScaler on the real broker: the ScaledObject synthesized for events-fanout watches exactly
 * the topic and group the synthesized Deployment consumes and commits. The lag is computed the way
 * KEDA's kafka scaler does (test/integration/keda-lag-support.ts) from the trigger metadata of the
 * manifest; it is above the activation threshold while events wait, and 0 once the real bundle, run
 * with the env of the manifest, has handled them.
 */
import * as fs from 'fs';
import { Testing } from 'cdk8s';
import { ConsumerGroup } from '../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { KafkaLagScaler } from '../../constructs/scaling/kafka-lag-scaler';
import { EventsFanout } from '../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../constructs/workloads/function-code';
import { brokers, kcatProduce, KcatMessage } from '../harness';
import { createFanoutTopics, eventBytes, FanoutNames, fanoutBundle, fanoutSuite, pod, waitForRecords } from '../functions/support/fanout';
import { kedaLag, KafkaTriggerMetadata } from './keda-lag-support';

jest.setTimeout(180_000);

const PARTITIONS = 3;
const PER_PARTITION = 10;

/** The ScaledObject's trigger metadata and the Deployment's env, as synthesized for `names`. */
async function synthesize(names: FanoutNames): Promise<{ trigger: KafkaTriggerMetadata & Record<string, string>; env: Record<string, string>; scaleTarget: string; deployment: string }> {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics', {
    namespaces: ['shop'],
    namespacePrefix: names.prefix,
    clusterEventsTopicName: names.source,
    deadLetterTopicName: names.deadLetter,
    clusterScopedTopicName: names.clusterScoped,
    unroutedTopicName: names.unrouted,
    eventsPartitions: PARTITIONS,
  });
  const group = new ConsumerGroup(cluster, 'Group', { groupId: names.groupId });
  const fanout = new EventsFanout(chart, 'Fanout', { topics, group, code: FunctionCode.fromBundle(fs.readFileSync(await fanoutBundle())) });
  new KafkaLagScaler(chart, 'FanoutScaler', { function: fanout.function, lagThreshold: 5, activationLagThreshold: PARTITIONS });

  const objects = Testing.synth(chart);
  const [so] = objects.filter((o) => o.kind === 'ScaledObject');
  const [deployment] = objects.filter((o) => o.kind === 'Deployment');
  expect(so.spec.maxReplicaCount).toBe(PARTITIONS);
  const env: Record<string, string> = {};
  for (const e of deployment.spec.template.spec.containers[0].env as Array<{ name: string; value: string }>) env[e.name] = e.value;
  return { trigger: so.spec.triggers[0].metadata, env, scaleTarget: so.spec.scaleTargetRef.name, deployment: deployment.metadata.name };
}

describe('KafkaLagScaler on the real broker', () => {
  const { names, kafka, start } = fanoutSuite('keda-lag');

  test('the group the ScaledObject watches is the group events-fanout commits: lag above activation before it runs, 0 after', async () => {
    // GIVEN the synthesized ScaledObject and Deployment, and their topics on the broker
    const { trigger, env, scaleTarget, deployment } = await synthesize(names);
    expect(scaleTarget).toBe(deployment);
    expect(trigger).toMatchObject({ topic: names.source, consumerGroup: names.groupId, lagThreshold: '5', activationLagThreshold: String(PARTITIONS), offsetResetPolicy: 'earliest' });
    await createFanoutTopics(names, ['shop'], { partitions: PARTITIONS });

    // AND 30 events waiting on the source topic, 10 per partition, produced by kcat
    const messages: KcatMessage[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (let i = 0; i < PER_PARTITION; i++) {
        const seq = 5000 + p * PER_PARTITION + i;
        messages.push({ partition: p, value: eventBytes('eventrouter', pod('shop', seq % 7), seq) });
      }
    }
    await kcatProduce(trigger.topic, messages);
    const total = PARTITIONS * PER_PARTITION;

    const admin = kafka.admin();
    await admin.connect();
    try {
      // WHEN nothing has consumed yet
      const before = await kedaLag(admin, trigger);
      // THEN KEDA counts every waiting record (earliest: the group has no committed offset) and wakes the workload
      expect([...before.committed.values()]).toEqual([-1, -1, -1]);
      expect(before.total).toBe(total);
      expect(before.active).toBe(true);
      expect(before.metric).toBe(Math.min(total, PARTITIONS * Number(trigger.lagThreshold)));
      // (with KEDA's default 'latest' the same backlog counts 1 per partition: 3, not above the threshold of 3)
      const withLatest = await kedaLag(admin, { ...trigger, offsetResetPolicy: 'latest' });
      expect(withLatest.total).toBe(PARTITIONS);
      expect(withLatest.active).toBe(false);

      // WHEN the real bundle runs with the env of the synthesized Deployment (brokers: the test broker)
      expect(env.KAFKA_GROUP_ID).toBe(trigger.consumerGroup);
      expect(env.KAFKA_SOURCE_TOPIC).toBe(trigger.topic);
      const fanout = await start({ ...env, KAFKA_BROKERS: brokers().join(','), HTTP_PORT: '0' });
      await waitForRecords(kafka, [names.topic('shop')], total, 60_000);

      // THEN the lag KEDA reads for that group drops to 0, with an offset committed on every partition
      const deadline = Date.now() + 60_000;
      let after = await kedaLag(admin, trigger);
      while (after.total !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        after = await kedaLag(admin, trigger);
      }
      expect(after.total).toBe(0);
      expect(after.active).toBe(false);
      expect([...after.committed.values()]).toEqual([PER_PARTITION, PER_PARTITION, PER_PARTITION]);

      fanout.kill('SIGTERM');
      expect((await fanout.exit).code).toBe(0);

      // AND new events below the activation threshold leave a scaled-to-zero workload asleep
      await kcatProduce(trigger.topic, [{ partition: 0, value: eventBytes('eventrouter', pod('shop', 1), 9001) }, { partition: 1, value: eventBytes('eventrouter', pod('shop', 2), 9002) }]);
      const small = await kedaLag(admin, trigger);
      expect(small.total).toBe(2);
      expect(small.active).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });
});
