import {
  connectMongo,
  createKafka,
  createLogger,
  ensureTopics,
  indexes,
  reconcileTopics,
  withAdmin,
  type Kafka,
  type MongoConnection,
  type TopicName,
} from '@call-sync/platform';
import { runExtractor } from '../../../test/e2e/pipeline-world';
import { serverEnv, standaloneServiceEnv, uniqueName } from '../../../test/support/env';

// The migration the chart runs as a Helm hook, on the real Kafka and MongoDB-wire servers. The
// shared topics already have this version's layout, so the command leaves them as they are; a
// partition count grown is shown on topics of the test's own.

const logger = createLogger('migrate-test', 'silent');
let kafka: Kafka;
let mongo: MongoConnection;

beforeAll(async () => {
  kafka = createKafka(uniqueName('migrate'), serverEnv().kafkaBrokers, logger).kafka;
  mongo = await connectMongo(serverEnv().mongoUrl, 'admin');
});

afterAll(async () => {
  await mongo.close();
});

const indexNames = async (database: string, collection: string): Promise<string[]> => {
  const db = mongo.client.db(database);
  const exists = (await db.listCollections({ name: collection }).toArray()).length > 0;
  return exists
    ? (await db.collection(collection).listIndexes().toArray()).map((i) => String(i.name)).sort()
    : [];
};

test('an existing topic gets the partitions it lacks, a missing one is created, and a second pass changes nothing', async () => {
  const existing = uniqueName('grow') as TopicName;
  const missing = uniqueName('new') as TopicName;
  const settings = { replicationFactor: 1, minInsyncReplicas: 1 };
  await ensureTopics(kafka, [existing], { ...settings, partitions: 2 });

  const changes = await reconcileTopics(kafka, [existing, missing], { ...settings, partitions: 5 });
  expect(changes).toEqual({
    created: [missing],
    grown: [{ topic: existing, from: 2, to: 5 }],
    minInsyncReplicasSet: [],
  });
  const { topics } = await withAdmin(kafka, (admin) => admin.metadata({ topics: [existing, missing] }));
  expect([existing, missing].map((t) => [t, topics.get(t)?.partitionsCount])).toEqual([
    [existing, 5],
    [missing, 5],
  ]);
  // Fewer partitions than the topic has are not taken away (Kafka cannot).
  expect(await reconcileTopics(kafka, [existing, missing], { ...settings, partitions: 3 })).toEqual({
    created: [],
    grown: [],
    minInsyncReplicasSet: [],
  });
});

test('`extractor migrate` adds the missing indexes and drops a retired one; a service told not to creates none', async () => {
  const env = standaloneServiceEnv('migrate');
  const database = env.MONGODB_DATABASE!;
  try {
    // A database of an earlier version: runs has an index this version no longer lists.
    await mongo.client.db(database).collection('runs').createIndex({ retired: 1 }, { name: 'retired_field' });

    // The services, as the chart starts them: the hook has the rights, they do not.
    const archive = await runExtractor({ ...env, ENSURE_SCHEMA_AT_START: 'false' }, ['archive']);
    expect(archive.code).toBe(0);
    expect(await indexNames(database, 'calls')).not.toContain('id_unique');
    expect(await indexNames(database, 'runs')).toEqual(['_id_', 'retired_field']);

    const migrated = await runExtractor(env, ['migrate']);
    expect(migrated.code).toBe(0);
    for (const [collection, specs] of Object.entries(indexes))
      expect(await indexNames(database, collection)).toEqual(['_id_', ...specs.map((s) => s.name!)].sort());
    expect(migrated.output).toContain('runs.retired_field');
  } finally {
    await mongo.client.db(database).dropDatabase();
  }
});
