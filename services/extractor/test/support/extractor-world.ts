// Small, readable fixtures for the extractor's component tests: each test file gets its own
// database on the real MongoDB-wire server (dropped at the end), calls shaped as the import
// stores them, and a configuration parsed from listing rows as Airtable would send them.

import type { Db } from 'mongodb';
import { parseConfiguration, type Configuration } from '@call-sync/integrations';
import {
  connectMongo,
  createKafka,
  createLogger,
  createPublisher,
  ensureIndexes,
  ensureTopics,
  Topics,
  type MongoConnection,
  type Publisher,
} from '@call-sync/platform';
import {
  SEED_VAN_APPLICATION_NAME,
  startVanSandbox,
  type SeededFixture,
  type VanSandbox,
} from '@call-sync/sandbox';
import { loadExtractorSettings, type ExtractorSettings } from '../../src/settings';
export { makeCall } from '../../../../test/support/calls';
import { serverEnv, uniqueName } from '../../../../test/support/env';
import { dropTestDatabase } from '../../../../test/support/mongo';

export const logger = createLogger('extractor-test', 'silent');

/** The extractor's settings against a VAN sandbox; Airtable is unused (the tests hand it a configuration). */
export function sandboxSettings(vanUrl: string, more: Record<string, string> = {}): ExtractorSettings {
  return loadExtractorSettings({
    AIRTABLE_API_KEY: 'unused',
    AIRTABLE_BASE_ID: 'unused',
    VAN_API_URL: vanUrl,
    VAN_APPLICATION_NAME: SEED_VAN_APPLICATION_NAME,
    VAN_RATE_PER_SECOND: '100',
    ...more,
  });
}

export interface TestDatabase {
  db: Db;
  name: string;
  /** Closes the connection and drops the database (the local server keeps it in memory). */
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  const connection: MongoConnection = await connectMongo(serverEnv().mongoUrl, name);
  await ensureIndexes(connection.db);
  return {
    db: connection.db,
    name,
    drop: async () => {
      await connection.close();
      await dropTestDatabase(serverEnv().mongoUrl, name);
    },
  };
}

/** A configuration with these listing rows (no result tables: the audit needs only the listing). */
export function configurationOf(
  listing: { name: string; district: string; active: boolean }[],
): Configuration {
  return parseConfiguration({
    loadedAt: new Date(),
    listing: listing.map((row, i) => ({
      id: `recList${i}`,
      fields: {
        'Reference Name': row.name,
        'District Abbreviation': row.district,
        System: 'csv',
        Strategy: 'all csv',
        ...(row.active ? { Active: true } : {}),
        'Sync Time (EST)': 21,
      },
    })),
    termCodes: [],
    resultTables: {},
    unreadableTables: [],
  });
}

/** A VAN sandbox answering after a delay, a publisher on the real broker, and databases to drop. */
export interface SlowVanNight {
  readonly van: VanSandbox;
  readonly publisher: Publisher;
  /** A database of the test's own, dropped after the file's tests. */
  database(): Promise<TestDatabase>;
}

/**
 * Sets up (beforeAll) and closes (afterAll) a night whose VAN answers after `latencyMs`, with no
 * limit of its own: what extraction waits for is then VAN, which the tests can time against.
 */
export function slowVanNight(name: string, fixture: SeededFixture, latencyMs: number): SlowVanNight {
  let van: VanSandbox | undefined;
  let publisher: Publisher | undefined;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    van = await startVanSandbox({ fixture: fixture.van, knobs: { rateLimitPerSecond: 0, latencyMs } });
    const { kafka } = createKafka(uniqueName(name), serverEnv().kafkaBrokers, logger);
    await ensureTopics(kafka, Object.values(Topics));
    publisher = await createPublisher(kafka);
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await van?.close();
    await Promise.all(databases.map((d) => d.drop()));
  });
  return {
    get van() {
      if (!van) throw new Error('the VAN sandbox starts in beforeAll');
      return van;
    },
    get publisher() {
      if (!publisher) throw new Error('the publisher starts in beforeAll');
      return publisher;
    },
    async database() {
      const database = await createTestDatabase(name);
      databases.push(database);
      return database;
    },
  };
}
