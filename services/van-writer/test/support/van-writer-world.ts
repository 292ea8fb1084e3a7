import type { Db } from 'mongodb';
import { fingerprintApiKey, type VanCanvassRequest } from '@call-sync/core';
import { createTokenBucket } from '@call-sync/integrations';
import {
  connectMongo,
  createKafka,
  createLogger,
  createPublisher,
  ensureIndexes,
  type Publisher,
} from '@call-sync/platform';
import { createMongoRequestBudget } from '@call-sync/store';
import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startVanSandbox,
  type VanSandbox,
  type VanSandboxOptions,
} from '@call-sync/sandbox';
import { serverEnv, uniqueName } from '../../../../test/support/env';
import { dropTestDatabase } from '../../../../test/support/mongo';
import { vanAccessWithBudget } from '../../src/candidate-van-access';
import type { CandidateVanAccess } from '../../src/post-canvass-responses';

/** What the van-writer's tests run against: the VAN sandbox, a database of their own, a publisher. */
export interface VanWriterWorld {
  van: VanSandbox;
  db: Db;
  /** The contract fixture's first VAN key. */
  key: ReturnType<typeof loadFixture>['van']['keys'][number];
  publisher: Publisher;
  /**
   * The van-writer's own access for the key: a client whose budget is the key's day in Mongo
   * (`timeoutMs` for a test that makes VAN answer too late).
   */
  vanAccess(dailyBudget: number, now?: () => Date, client?: { timeoutMs?: number }): CandidateVanAccess;
  close(): Promise<void>;
}

/**
 * Starts the VAN sandbox (with `sandbox` knobs) and a fresh database named after `name`. The
 * publisher is a real Kafka one unless the test passes its own (in memory, when run events are not
 * what it is about).
 */
export async function startVanWriterWorld(
  name: string,
  options: { sandbox?: Omit<VanSandboxOptions, 'fixture'>; publisher?: Publisher } = {},
): Promise<VanWriterWorld> {
  const fixture = loadFixture(CONTRACT_FIXTURE_PATH).van;
  const key = fixture.keys[0]!;
  const van = await startVanSandbox({ ...options.sandbox, fixture });
  const database = uniqueName(name);
  const connection = await connectMongo(serverEnv().mongoUrl, database);
  const db = connection.db;
  await ensureIndexes(db);
  const publisher =
    options.publisher ??
    (await createPublisher(
      createKafka(uniqueName(name), serverEnv().kafkaBrokers, createLogger(name, 'silent')).kafka,
    ));
  return {
    van,
    db,
    key,
    publisher,
    vanAccess: (dailyBudget, now = () => new Date(), client = {}) =>
      vanAccessWithBudget(
        {
          baseUrl: van.url,
          applicationName: key.applicationName,
          apiKey: key.apiKey,
          mode: 0,
          rateLimiter: createTokenBucket(1000, 50),
          ...client,
        },
        createMongoRequestBudget(db, fingerprintApiKey(key.apiKey), dailyBudget, { now }),
      ),
    async close() {
      await publisher.disconnect();
      await connection.close();
      await dropTestDatabase(serverEnv().mongoUrl, database);
      await van.close();
    },
  };
}

/** A "not home" canvass response for a call of `day` (YYYY-MM-DD). */
export function notHome(day = '2026-10-20'): VanCanvassRequest {
  return {
    canvassContext: {
      contactTypeId: 1,
      inputTypeId: 11,
      dateCanvassed: `${day}T18:00:00-04:00`,
      phone: { dialingPrefix: '1', phoneNumber: '9195550101' },
      skipMatching: true,
    },
    resultCodeId: 1,
  };
}
