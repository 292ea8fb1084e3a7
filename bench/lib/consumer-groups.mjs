// A bench world's consumer groups start at the end of the shared topics: the local Kafka keeps
// every earlier run's messages (tests, demos, other benches), and a new group reading them from
// the beginning spends its first seconds on other worlds' calls before it reaches this one's.

import { createKafka, createLogger } from '@call-sync/platform';
import { startServiceGroupsAtTopicEnds } from '@call-sync/testkit';

/** Each group of a bench world (the services' group ids, from KAFKA_CONSUMER_GROUP), at the topics' ends. */
export async function startGroupsAtTopicEnds(brokers, group) {
  const { kafka } = createKafka('bench', brokers.split(','), createLogger('bench', 'silent'));
  await startServiceGroupsAtTopicEnds(kafka, group);
}
