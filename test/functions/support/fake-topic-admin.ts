/**
 * A fake of the runtime's TopicAdmin (the topic part of a kafkajs admin) for unit tests: `create`
 * decides each createTopics call; metadata shows three partitions with a leader from the start,
 * unless `metadata` says otherwise. Every createTopics request is kept in `calls`.
 */
import type { ITopicConfig, ITopicMetadata } from 'kafkajs';
import type { TopicAdmin } from '../../../functions/runtime/topic-creator';

export function fakeTopicAdmin(
  create: (topic: ITopicConfig) => Promise<boolean> = async () => true,
  metadata?: (topic: string) => Promise<ITopicMetadata[]>,
): { admin: TopicAdmin; calls: ITopicConfig[] } {
  const calls: ITopicConfig[] = [];
  const led = (name: string): ITopicMetadata[] => [
    { name, partitions: [0, 1, 2].map((p) => ({ partitionId: p, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 })) },
  ];
  const admin: TopicAdmin = {
    createTopics: async ({ topics }) => {
      calls.push(...topics);
      return create(topics[0]);
    },
    fetchTopicMetadata: async ({ topics }) => ({ topics: metadata ? await metadata(topics[0]) : led(topics[0]) }),
  };
  return { admin, calls };
}
