// Kafka messages a van-writer cannot use — not JSON, a version it does not know, a van-sync with
// no calls — go to the dead-letter topic with the reason, and the started writer keeps serving
// /healthz and syncs the next good run. (Not JSON and schema failures of any consumer are
// covered in packages/platform/test/kafka.test.ts; this is the van-writer process itself.)
// Build first: `npx tsc -b`.

import {
  createKafka,
  type Kafka,
  createLogger,
  createPublisher,
  Topics,
  type Publisher,
  type RunningConsumer,
} from '@call-sync/platform';
import { sendRaw } from '../support/raw-messages';
import { freshServiceGroup } from '../support/consumer-groups';
import { readDeadLetters } from '../support/dead-letters';
import { serverEnv, uniqueName } from '../support/env';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitUntil } from '@call-sync/testkit';
import { createWorld, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(120_000);

const logger = createLogger('bad-messages-test', 'silent');
let world: World;
let kafka: Kafka;
let publisher: Publisher;
let dlqReader: RunningConsumer | undefined;
let writer: ServiceProcess | undefined;
let csvWriter: ServiceProcess | undefined;

beforeAll(async () => {
  world = await createWorld({ candidates: 1, callsPerCandidate: 30, seed: 41 });
  kafka = createKafka(uniqueName('bad-messages'), serverEnv().kafkaBrokers, logger).kafka;
  publisher = await createPublisher(kafka);
});

afterAll(async () => {
  await writer?.stop();
  await csvWriter?.stop();
  await dlqReader?.stop();
  await publisher?.disconnect();
  await world?.close();
});

test('bad van-sync messages are dead-lettered with their reason; the writer keeps serving and syncs the next run', async () => {
  const key = uniqueName('bad-van-sync');
  const deadLetters = await readDeadLetters({ kafka, publisher, logger }, key);
  dlqReader = deadLetters.consumer;
  const { letters } = deadLetters;
  const writerGroup = await freshServiceGroup('bad-messages-writer');
  writer = await startServiceProcess(
    'van-writer',
    { ...world.env, KAFKA_CONSUMER_GROUP: writerGroup },
    TEST_LAUNCH,
  );

  const notJson = '{"v":1,"runId":"run-x","candidate":';
  const wrongVersion = '{"v":2,"runId":"run-x","candidate":"c","callIds":["a"]}';
  const noCalls = '{"v":1,"runId":"run-x","candidate":"c","callIds":[]}';
  await sendRaw(
    kafka,
    Topics.VanSync,
    [notJson, wrongVersion, noCalls].map((value) => ({ key, value })),
  );

  // Only the writer's letters: another suite's consumer of the shared topic may park the same
  // messages too, under its own schema.
  const reasons = (original: string) =>
    letters
      .filter((l) => l.original === original && l.topic === Topics.VanSync && l.group === writerGroup)
      .map((l) => l.error);
  await waitUntil(() => [notJson, wrongVersion, noCalls].every((m) => reasons(m).length > 0), {
    timeoutMs: 60_000,
    what: 'the three bad messages dead-lettered',
  });
  expect(reasons(notJson)[0]).toMatch(/^invalid message: [\s\S]*JSON/i);
  expect(reasons(wrongVersion)[0]).toMatch(/^invalid message: [\s\S]*expected 1[\s\S]*at v$/);
  expect(reasons(noCalls)[0]).toMatch(/^invalid message: [\s\S]*at callIds$/);

  expect((await fetch(`${writer.url}/healthz`)).status).toBe(200);

  // A run ends with its caller file, which the csv-writer writes.
  csvWriter = await startServiceProcess(
    'csv-writer',
    {
      ...world.env,
      KAFKA_CONSUMER_GROUP: await freshServiceGroup('bad-messages-csv'),
    },
    TEST_LAUNCH,
  );
  const extraction = await runExtractor(world.env, ['extract', '--now', NOW]);
  expect(extraction.code).toBe(0);
  const [run] = await waitForRuns(world, 1, 90_000);
  expect(run!.state).toBe('completed');
  expect(run!.counts.finished).toBeGreaterThan(0);
  expect(world.van.journal().length).toBeGreaterThan(0);
  expect((await fetch(`${writer.url}/healthz`)).status).toBe(200);
});
