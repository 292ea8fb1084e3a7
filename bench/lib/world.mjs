// A benchmark world: the VAN and Airtable sandboxes seeded from one generated fixture, and in a
// fresh MongoDB database only calls that the decision sends to VAN (so every call posts), `calls`
// of them for each of `candidates` candidates. The services run as processes against it.

import { randomUUID } from 'node:crypto';
import { decideCall, planForStrategy } from '@call-sync/core';
import {
  createAirtableClient,
  createVanClient,
  parseConfiguration,
  readConfigurationTables,
} from '@call-sync/integrations';
import { Collections, connectMongo, ensureIndexes } from '@call-sync/platform';
import { createConfigCacheRepository } from '@call-sync/store';
import {
  generateSeed,
  SEED_AIRTABLE_BASE_ID,
  SEED_AIRTABLE_TOKEN,
  SEED_LIVEVOX_USER,
  SEED_VAN_APPLICATION_NAME,
  startAirtableSandbox,
  startLivevoxSandbox,
  startVanSandbox,
} from '@call-sync/sandbox';
import { seedCalls, serverVariables, waitForValue } from '@call-sync/testkit';
import { startGroupsAtTopicEnds } from './consumer-groups.mjs';

export const DAY = '2026-10-20';
/** 23:30 Eastern on DAY: both sync hours of the seed have come. */
export const NOW = '2026-10-21T03:30:00.000Z';

/** Where the local servers are. */
export function serverEnv() {
  return serverVariables('run with the variables of `bash scripts/infra/infra.sh env`');
}

async function startSandboxes(fixture, knobs) {
  const van = await startVanSandbox({ fixture: fixture.van, knobs });
  const airtable = await startAirtableSandbox({
    fixture: fixture.airtable,
    knobs: { ratePerSecondPerBase: 0 },
  });
  const tables = await readConfigurationTables(
    createAirtableClient({
      apiKey: SEED_AIRTABLE_TOKEN,
      baseId: SEED_AIRTABLE_BASE_ID,
      endpointUrl: airtable.url,
    }),
  );
  const configuration = parseConfiguration(tables);
  const metadata = new Map();
  for (const { candidate } of configuration.candidates.values()) {
    if (!candidate.apiKey) continue;
    const client = createVanClient({
      baseUrl: van.url,
      applicationName: SEED_VAN_APPLICATION_NAME,
      apiKey: candidate.apiKey.reveal(),
      mode: candidate.system === 'myc' ? 1 : 0,
    });
    metadata.set(candidate.slug, await client.fetchMetadata());
  }
  return { van, airtable, tables, configuration, metadata };
}

async function insertInBatches(db, docs) {
  for (let i = 0; i < docs.length; i += 5_000) {
    await db.collection(Collections.Calls).insertMany(docs.slice(i, i + 5_000).map((d) => ({ ...d })));
  }
}

/** Drops the world's database and stops its sandboxes. */
async function closeWorld(mongo, van, airtable, livevox) {
  await mongo.db.dropDatabase().catch(() => undefined);
  await mongo.close();
  await van.close();
  await airtable.close();
  await livevox?.close();
}

/** Waits until the run that `query` finds has ended (completed or failed), failing when a service exits. */
export async function waitForRun(world, query, timeoutMs, services) {
  let run;
  return waitForValue(
    async () => {
      const dead = services.find((s) => s.child.exitCode !== null);
      if (dead) throw new Error(`a service exited with ${dead.child.exitCode}:\n${dead.output()}`);
      run = await world.mongo.db.collection(Collections.Runs).findOne(query);
      return run && (run.state === 'completed' || run.state === 'failed') ? run : undefined;
    },
    {
      timeoutMs,
      intervalMs: 250,
      what: () => `the run ${JSON.stringify(query)} (still ${run?.state}) ended`,
    },
  );
}

/** An operator's token for the config service's API (API_TOKENS of every bench world). */
export const BENCH_API_TOKEN = 'bench-operator-token-0123456789';

/**
 * A fresh database for the world. With `tables`, it holds the config service's copy of them, as a
 * night finds it with config running: the extractor reads the result tables from there.
 */
async function databaseFor(servers, airtable, van, ratePerSecond, tables) {
  const database = `bench-${randomUUID().slice(0, 8)}`;
  const mongo = await connectMongo(servers.MONGODB_URL, database);
  await ensureIndexes(mongo.db);
  if (tables) await createConfigCacheRepository(mongo.db).save(tables);
  const group = `bench-${randomUUID().slice(0, 8)}`;
  await startGroupsAtTopicEnds(servers.KAFKA_BROKERS, group);
  const env = {
    ...servers,
    MONGODB_DATABASE: database,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET: 'callsync-bench',
    AIRTABLE_API_KEY: SEED_AIRTABLE_TOKEN,
    AIRTABLE_BASE_ID: SEED_AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL: airtable.url,
    VAN_API_URL: van.url,
    VAN_APPLICATION_NAME: SEED_VAN_APPLICATION_NAME,
    // The key's limit as VAN states it; everything else at its default.
    VAN_RATE_PER_SECOND: String(ratePerSecond),
    VAN_DAILY_BUDGET: '10000000',
    KAFKA_CONSUMER_GROUP: group,
    API_TOKENS: `bench:operator:${BENCH_API_TOKEN}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LOG_LEVEL: 'warn',
  };
  return { mongo, env };
}

/**
 * Extraction: `calls` calls of one candidate among `total` calls across `districts` districts in
 * the same window (the others are what the extractor's query must pass over).
 * @param {{ calls: number, total: number, districts: number }} opts
 */
export async function createExtractionWorld(opts) {
  const servers = serverEnv();
  const fixture = generateSeed({ candidates: 1, callsPerCandidate: opts.calls, seed: 11, day: DAY });
  const { van, airtable, tables, configuration } = await startSandboxes(fixture, {
    latencyMs: 0,
    rateLimitPerSecond: 0,
  });
  const calls = seedCalls(fixture, configuration);
  const { mongo, env } = await databaseFor(servers, airtable, van, 15, tables);
  await insertInBatches(mongo.db, calls);
  const others = opts.total - calls.length;
  const template = calls[0];
  for (let done = 0; done < others; done += 20_000) {
    const batch = [];
    for (let i = done; i < Math.min(others, done + 20_000); i += 1) {
      const district = `zz${String(i % (opts.districts - 1)).padStart(3, '0')}`;
      // Lean: only what the extractor's query looks at, so a million fit the shared local server.
      batch.push({ id: `other-${i}`, district, timestamp: template.timestamp, client: `other-${district}` });
    }
    await insertInBatches(mongo.db, batch);
  }
  return {
    mongo,
    env,
    calls: calls.length,
    close: () => closeWorld(mongo, van, airtable),
  };
}

export async function createVanWorld(opts) {
  const servers = serverEnv();
  // Profiles cycle full, hybrid, all-csv, …: generate enough candidates and calls to pick from.
  const fixture = generateSeed({
    candidates: opts.candidates * 2 + 2,
    callsPerCandidate: Math.ceil(opts.calls * 4),
    seed: opts.seed ?? 7,
    day: DAY,
  });
  const { van, airtable, tables, configuration, metadata } = await startSandboxes(fixture, {
    latencyMs: opts.latencyMs,
    rateLimitPerSecond: opts.ratePerSecond,
  });

  const vanCalls = new Map();
  for (const call of seedCalls(fixture, configuration)) {
    const config = [...configuration.candidates.values()].find((c) => c.candidate.district === call.district);
    if (!config?.candidate.apiKey) continue;
    const decision = decideCall(call, config.candidate, config.index, metadata.get(config.candidate.slug));
    const plan = planForStrategy(decision, config.candidate);
    if (plan.route !== 'van' || decision.kind !== 'post' || decision.vanId > 99_999_999) continue;
    const list = vanCalls.get(config.candidate.slug) ?? [];
    list.push({ call, vanRequest: { vanId: decision.vanId, body: decision.body }, config });
    vanCalls.set(config.candidate.slug, list);
  }
  const chosen = [...vanCalls.entries()]
    .filter(([, list]) => list.length >= opts.calls)
    .slice(0, opts.candidates);
  if (chosen.length < opts.candidates)
    throw new Error(`only ${chosen.length} candidates have ${opts.calls} VAN calls`);
  const calls = chosen.flatMap(([, list]) => list.slice(0, opts.calls));

  const { mongo, env } = await databaseFor(
    servers,
    airtable,
    van,
    opts.ratePerSecond,
    opts.configCopy === false ? undefined : tables,
  );
  await insertInBatches(
    mongo.db,
    calls.map((c) => c.call),
  );
  van.reset();

  return {
    van,
    airtable,
    mongo,
    env,
    calls,
    candidates: chosen.map(([slug]) => slug),
    close: () => closeWorld(mongo, van, airtable),
  };
}

/**
 * A night as the seed makes it: every dialer call of `candidates` candidates (all routes: VAN,
 * CSV, nothing), with the candidates' strategies set by position. With `store: false` the calls
 * are only returned (an import benchmark sends them itself), with their dialer rows. With
 * `livevox: true` the calls are the Livevox sandbox's, for the extractor to pull (nothing stored).
 * @param {{ candidates?: number, callsPerCandidate: number, strategies?: string[], syncModes?: string[],
 *   latencyMs?: number, ratePerSecond?: number, seed?: number, store?: boolean, livevox?: boolean }} opts
 */
export async function createPipelineWorld(opts) {
  const servers = serverEnv();
  const fixture = generateSeed({
    candidates: opts.candidates ?? 1,
    callsPerCandidate: opts.callsPerCandidate,
    seed: opts.seed ?? 7,
    day: DAY,
    ...(opts.strategies ? { strategies: opts.strategies } : {}),
    ...(opts.syncModes ? { syncModes: opts.syncModes } : {}),
  });
  const ratePerSecond = opts.ratePerSecond ?? 200;
  const { van, airtable, tables, configuration } = await startSandboxes(fixture, {
    latencyMs: opts.latencyMs ?? 0,
    rateLimitPerSecond: ratePerSecond,
  });
  const calls = seedCalls(fixture, configuration);
  const { mongo, env } = await databaseFor(servers, airtable, van, ratePerSecond, tables);
  const livevox = opts.livevox ? await startLivevoxSandbox({ fixture: fixture.livevox }) : undefined;
  if (livevox)
    Object.assign(env, {
      LIVEVOX_API_URL: livevox.url,
      LIVEVOX_USER_NAME: SEED_LIVEVOX_USER.userName,
      LIVEVOX_PASSWORD: SEED_LIVEVOX_USER.password,
      LIVEVOX_CLIENT_NAME: SEED_LIVEVOX_USER.clientName,
    });
  else if (opts.store !== false) await insertInBatches(mongo.db, calls);
  van.reset();
  return {
    van,
    airtable,
    livevox,
    mongo,
    env,
    calls,
    fixture,
    rows: fixture.livevox.calls.map((c) => c.row),
    candidates: fixture.meta.candidates.map((c) => c.slug),
    close: () => closeWorld(mongo, van, airtable, livevox),
  };
}
