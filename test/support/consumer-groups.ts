import { createKafka, createLogger, type TopicName } from '@call-sync/platform';
import { startGroupAtTopicEnds, startServiceGroupsAtTopicEnds } from '@call-sync/testkit';
import { serverEnv, uniqueName } from './env';

// The topics are shared by every suite on the broker, and a new group starts at their beginning:
// late in a run it would first read (and dead-letter, or skip as unknown runs) every earlier
// suite's messages, which on a slow machine takes longer than a test waits. A test's group starts
// at the topics' ends instead, so it reads only what the test publishes.

const admin = (brokers: string[]) =>
  createKafka(uniqueName('groups'), brokers, createLogger('groups', 'silent')).kafka;

/** A new consumer group, named after `prefix`, that reads `topics` from now on. */
export async function freshGroup(prefix: string, topics: TopicName[]): Promise<string> {
  const group = uniqueName(prefix);
  await startGroupAtTopicEnds(admin(serverEnv().kafkaBrokers), group, topics);
  return group;
}

/**
 * A new `KAFKA_CONSUMER_GROUP` for started services: each group they derive from it reads from now
 * on, on the shared broker or on `brokers` (a world of its own).
 */
export async function freshServiceGroup(
  prefix: string,
  brokers: string[] = serverEnv().kafkaBrokers,
): Promise<string> {
  const group = uniqueName(prefix);
  await startServiceGroupsAtTopicEnds(admin(brokers), group);
  return group;
}
