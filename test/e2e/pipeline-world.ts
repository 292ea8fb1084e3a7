// A whole pipeline world for the end-to-end tests: real Kafka, MongoDB-wire and S3 (from the
// global set-up), the three sandboxes seeded from one generated fixture, the calls of that
// fixture in Mongo (plus calls outside the window and of another district that no run may
// touch), and the built services started as processes.

import { decideCall, planForStrategy, SyncStatus, type Call, type VanMetadata } from '@call-sync/core';
import {
  createAirtableClient,
  createVanClient,
  parseConfiguration,
  vanModeOf,
  readConfigurationTables,
  type Configuration,
} from '@call-sync/integrations';
import { connectMongo, Collections, ensureIndexes, type MongoConnection } from '@call-sync/platform';
import {
  generateSeed,
  SEED_AIRTABLE_BASE_ID,
  SEED_AIRTABLE_TOKEN,
  SEED_VAN_APPLICATION_NAME,
  SEED_LIVEVOX_USER,
  startAirtableSandbox,
  startLivevoxSandbox,
  startVanSandbox,
  type AirtableSandbox,
  type LivevoxSandbox,
  type SeededFixture,
  type SeedOptions,
  type VanSandbox,
} from '@call-sync/sandbox';
import type { RunDocument } from '@call-sync/store';
import { serverEnv, uniqueName } from '../support/env';
import { IMAGE_PRELOAD, runServiceCommand, seedCalls, waitForValue } from '@call-sync/testkit';

export const DAY = '2026-10-20';
/** 23:30 Eastern on DAY: both sync hours of the seed (21 and 22 Eastern) have come. */
export const NOW = '2026-10-21T03:30:00.000Z';

export interface World {
  fixture: SeededFixture;
  van: VanSandbox;
  airtable: AirtableSandbox;
  /** With `callsFrom: 'livevox'`: the dialer the extractor pulls the calls from. */
  livevox?: LivevoxSandbox;
  mongo: MongoConnection;
  database: string;
  configuration: Configuration;
  metadata: Map<string, VanMetadata>;
  /** Calls no run may touch: outside the window, or of a district no candidate has. */
  untouchableIds: string[];
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function createWorld(options: {
  callsPerCandidate: number;
  candidates: number;
  seed: number;
  /** Strategies by candidate position (generateSeed's `strategies`). */
  strategies?: SeedOptions['strategies'];
  syncModes?: SeedOptions['syncModes'];
  /**
   * `mongo` (default): the calls are stored as the import would, with calls no run may touch.
   * `livevox`: MongoDB starts empty and the extractor pulls the calls from the Livevox sandbox.
   */
  callsFrom?: 'mongo' | 'livevox';
}): Promise<World> {
  const servers = serverEnv();
  const fixture = generateSeed({
    candidates: options.candidates,
    callsPerCandidate: options.callsPerCandidate,
    seed: options.seed,
    day: DAY,
    misconfiguredRow: true,
    ...(options.strategies ? { strategies: options.strategies } : {}),
    ...(options.syncModes ? { syncModes: options.syncModes } : {}),
  });
  // The test is about correctness, not VAN's limits: the writer's own limiter sets the pace.
  const van = await startVanSandbox({ fixture: fixture.van, knobs: { rateLimitPerSecond: 0 } });
  const airtable = await startAirtableSandbox({
    fixture: fixture.airtable,
    knobs: { ratePerSecondPerBase: 0 },
  });
  const database = uniqueName('e2e');
  const mongo = await connectMongo(servers.mongoUrl, database);
  await ensureIndexes(mongo.db);

  const configuration = parseConfiguration(
    await readConfigurationTables(
      createAirtableClient({
        apiKey: SEED_AIRTABLE_TOKEN,
        baseId: SEED_AIRTABLE_BASE_ID,
        endpointUrl: airtable.url,
      }),
    ),
  );
  const metadata = new Map<string, VanMetadata>();
  for (const { candidate } of configuration.candidates.values()) {
    if (!candidate.apiKey) continue;
    const client = createVanClient({
      baseUrl: van.url,
      applicationName: SEED_VAN_APPLICATION_NAME,
      apiKey: candidate.apiKey.reveal(),
      mode: vanModeOf(candidate.system),
    });
    metadata.set(candidate.slug, await client.fetchMetadata());
  }

  // The calls, as the config service's import would store them.
  const calls = seedCalls(fixture, configuration);
  const untouchable: Call[] = [];
  calls.slice(0, 60).forEach((call, i) => {
    const shift = i % 3 === 0 ? -26 * 3_600_000 : i % 3 === 1 ? 5 * 3_600_000 : 0;
    const timestamp = new Date(call.timestamp.getTime() + shift);
    const district = i % 3 === 2 ? 'zz99' : call.district;
    untouchable.push({
      ...call,
      id: `${call.id}-x${i}`,
      district,
      account_number: `${district}-${call.system_id}-${call.voter_id}`,
      timestamp,
      start_time: timestamp,
    });
  });
  const livevox =
    options.callsFrom === 'livevox' ? await startLivevoxSandbox({ fixture: fixture.livevox }) : undefined;
  if (!livevox)
    await mongo.db
      .collection(Collections.Calls)
      .insertMany([...calls, ...untouchable].map((c) => ({ ...c })));

  const env: Record<string, string> = {
    MONGODB_URL: servers.mongoUrl,
    MONGODB_DATABASE: database,
    KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    S3_ENDPOINT: servers.s3.endpoint,
    S3_REGION: servers.s3.region,
    S3_ACCESS_KEY_ID: servers.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: servers.s3.secretAccessKey,
    S3_BUCKET: 'callsync-e2e',
    AIRTABLE_API_KEY: SEED_AIRTABLE_TOKEN,
    AIRTABLE_BASE_ID: SEED_AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL: airtable.url,
    VAN_API_URL: van.url,
    VAN_APPLICATION_NAME: SEED_VAN_APPLICATION_NAME,
    VAN_RATE_PER_SECOND: '400',
    VAN_DAILY_BUDGET: '1000000',
    VAN_WRITER_CONCURRENCY: '16',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    ...(livevox
      ? {
          LIVEVOX_API_URL: livevox.url,
          LIVEVOX_USER_NAME: SEED_LIVEVOX_USER.userName,
          LIVEVOX_PASSWORD: SEED_LIVEVOX_USER.password,
          LIVEVOX_CLIENT_NAME: SEED_LIVEVOX_USER.clientName,
        }
      : {}),
  };
  return {
    fixture,
    van,
    airtable,
    ...(livevox ? { livevox } : {}),
    mongo,
    database,
    configuration,
    metadata,
    untouchableIds: livevox ? [] : untouchable.map((c) => c.id),
    env,
    close: async () => {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
      await van.close();
      await airtable.close();
      await livevox?.close();
    },
  };
}

/** Runs the extractor once (as the CronJob does) and resolves with its exit code and output. */
export function runExtractor(
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  return runServiceCommand('extractor', env, args, { preload: IMAGE_PRELOAD }).done;
}

export async function waitForRuns(
  world: World,
  count: number,
  timeoutMs: number,
  onTick?: (runs: RunDocument[]) => Promise<void>,
): Promise<RunDocument[]> {
  let runs: RunDocument[] = [];
  return waitForValue(
    async () => {
      runs = await world.mongo.db.collection<RunDocument>(Collections.Runs).find().toArray();
      if (runs.length >= count && runs.every((r) => r.state === 'completed' || r.state === 'failed'))
        return runs;
      if (onTick) await onTick(runs);
      return undefined;
    },
    {
      timeoutMs,
      intervalMs: 500,
      what: () => `runs finished (${JSON.stringify(runs.map((r) => [r.candidate, r.state, r.counts]))})`,
    },
  );
}

export type ExpectedStatus = SyncStatus;

/**
 * What the decision says each call of the window should end as, with VAN's known answer for
 * VAN ids it does not have (the seed makes a few: 404, `attempted_error`).
 */
export function expectedOutcome(world: World, call: Call): { status: SyncStatus; route: string } | undefined {
  const config = [...world.configuration.candidates.values()].find(
    (c) => c.candidate.district === call.district,
  );
  if (!config) return undefined;
  const decision = decideCall(
    call,
    config.candidate,
    config.index,
    world.metadata.get(config.candidate.slug),
  );
  const plan = planForStrategy(decision, config.candidate);
  switch (plan.route) {
    case 'van':
      return {
        status:
          decision.kind === 'post' && decision.vanId > 99_999_999
            ? SyncStatus.AttemptedError
            : SyncStatus.Finished,
        route: 'van',
      };
    case 'csv':
    case 'csv-after-van':
      return { status: SyncStatus.Finished, route: plan.route };
    default:
      return { status: plan.status, route: 'none' };
  }
}
