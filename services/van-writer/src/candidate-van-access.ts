// The van-writer learns each candidate's VAN key from the same Airtable configuration the
// extractor read (keys are never put on Kafka or in Mongo). The configuration is re-read every
// CONFIG_REFRESH_INTERVAL_MS, or sooner when a message names a candidate we do not know yet.
// One client per candidate and key: the key's rate limiter is process-wide and its daily
// budget lives in Mongo, shared by every writer replica.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { fingerprintApiKey } from '@call-sync/core';
import {
  countingBudget,
  createAirtableClient,
  createCandidateVan,
  createVanClient,
  readConfigurationInStages,
  type ConfigurationListing,
  type VanClientOptions,
} from '@call-sync/integrations';
import { Gauge, type Logger } from '@call-sync/platform';
import { createMongoRequestBudget, type SharedRequestBudget } from '@call-sync/store';
import { observedLimiter, type CandidateVanAccess } from './posting-window';
import type { VanWriterSettings } from './settings';

const MIN_RELOAD_INTERVAL_MS = 10_000;
/**
 * The key's daily budget is taken from Mongo four seconds of posts at a time instead of one write
 * per post or two: the day's document is otherwise the writer's busiest command (a second at a
 * time, it was still a sixth of the writer's commands; bench/README.md). The next block
 * is taken while half of the last is still in hand, so posts do not wait for it. Units held when
 * a writer dies are lost to the day, so a block never exceeds a hundredth of the daily budget;
 * what a writer still holds at shutdown is given back.
 */
const BUDGET_RESERVED_SECONDS = 4;
const BUDGET_MOST_RESERVED_SHARE = 0.01;

/** Units of the day's budget a writer takes at once for a key posting at `ratePerSecond`. */
export function budgetBlock(ratePerSecond: number, dailyBudget: number): number {
  const seconds = Math.ceil(ratePerSecond * BUDGET_RESERVED_SECONDS);
  return Math.max(1, Math.min(seconds, Math.floor(dailyBudget * BUDGET_MOST_RESERVED_SHARE)));
}

/** What the budget gauge shows: what the last block saw, read from Mongo only before the first. */
const budgetGauge = (budget: SharedRequestBudget) => async (): Promise<number> =>
  budget.remainingAsLastSeen() ?? budget.remaining();

/** The VAN access of a candidate by slug; releaseBudgets gives back unspent budget at shutdown. */
export type CandidateVanAccessLookup = ((candidate: string) => Promise<CandidateVanAccess | undefined>) & {
  releaseBudgets(): Promise<void>;
};

/**
 * A VAN client that spends the key's shared daily budget and counts what this process spent,
 * for the run's "VAN requests used".
 */
export function vanAccessWithBudget(
  options: Omit<VanClientOptions, 'budget'>,
  budget: SharedRequestBudget,
): CandidateVanAccess {
  const counted = countingBudget(budget);
  const client = createVanClient({
    ...options,
    ...(options.rateLimiter ? { rateLimiter: observedLimiter(options.rateLimiter) } : {}),
    budget: counted.budget,
  });
  return {
    client,
    requestsUsed: counted.used,
    budgetRemaining: budgetGauge(budget),
    ...(options.rateLimiter ? { limiter: options.rateLimiter } : {}),
  };
}

/** Whether the writer posts with a configuration Airtable could not refresh, and how old it is. */
function configurationMetrics(registry: Registry, loadedAt: () => number, refreshIntervalMs: number): void {
  new Gauge({
    name: 'callsync_configuration_age_seconds',
    help: 'Age of the candidate configuration this process works with (last successful Airtable read)',
    registers: [registry],
    collect() {
      if (loadedAt() > 0) this.set((Date.now() - loadedAt()) / 1000);
    },
  });
  new Gauge({
    name: 'callsync_configuration_stale',
    help: '1 while the configuration is older than its refresh interval (Airtable not answering), else 0',
    registers: [registry],
    collect() {
      // Two intervals of slack: one refresh may be under way.
      this.set(loadedAt() > 0 && Date.now() - loadedAt() > 2 * refreshIntervalMs ? 1 : 0);
    },
  });
}

export function createCandidateVanAccess(
  db: Db,
  logger: Logger,
  settings: VanWriterSettings,
  registry?: Registry,
  // The writer needs each candidate's key and System only: the listing and the term codes, never
  // the result tables (two Airtable requests for the night instead of one more per candidate, on
  // a base that answers five a second to the extractor and the writer together).
  loadConfiguration: () => Promise<ConfigurationListing> = () => {
    const airtable = createAirtableClient({
      apiKey: settings.AIRTABLE_API_KEY,
      baseId: settings.AIRTABLE_BASE_ID,
      endpointUrl: settings.AIRTABLE_ENDPOINT_URL,
    });
    return readConfigurationInStages(airtable, {
      listingTable: settings.AIRTABLE_LISTING_TABLE,
      termCodesTable: settings.AIRTABLE_TERM_CODES_TABLE,
    }).then((staged) => staged.listing);
  },
): CandidateVanAccessLookup {
  let configuration: ConfigurationListing | undefined;
  let loadedAt = 0;
  let lastAttemptAt = 0;
  let loading: Promise<ConfigurationListing | undefined> | undefined;
  const clients = new Map<
    string,
    { fingerprint: string; access: CandidateVanAccess; budget: SharedRequestBudget }
  >();
  if (registry) configurationMetrics(registry, () => loadedAt, settings.CONFIG_REFRESH_INTERVAL_MS);
  // How soon Airtable is asked again after an attempt (a message naming an unknown candidate, or
  // an outage): never more often than every 10 s, nor less often than the refresh interval.
  const retryGap = Math.min(MIN_RELOAD_INTERVAL_MS, settings.CONFIG_REFRESH_INTERVAL_MS);

  /**
   * Reads Airtable again. When that fails and a configuration is already in hand, posting goes
   * on with it (as the config service serves its last good copy): an Airtable outage must not
   * stop a night's sync. Only a writer that never loaded a configuration has to wait.
   */
  const reload = (): Promise<ConfigurationListing | undefined> => {
    lastAttemptAt = Date.now();
    loading ??= loadConfiguration()
      .then((loaded) => {
        configuration = loaded;
        loadedAt = Date.now();
        return loaded;
      })
      .catch((error: unknown) => {
        if (!configuration) throw error;
        logger.warn(
          { err: (error as Error).message, ageSeconds: Math.round((Date.now() - loadedAt) / 1000) },
          'Airtable unreachable; posting with the last good configuration',
        );
        return configuration;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  const lookup = async (slug: string): Promise<CandidateVanAccess | undefined> => {
    const sinceAttempt = Date.now() - lastAttemptAt;
    const stale = Date.now() - loadedAt > settings.CONFIG_REFRESH_INTERVAL_MS;
    if (!configuration) await reload();
    // A due refresh runs beside the posts: Airtable's retries during an outage must not hold
    // them up, and until it answers the configuration in hand is the best there is.
    else if (stale && sinceAttempt > retryGap) void reload();
    let config = configuration?.candidates.get(slug);
    if (!config && Date.now() - lastAttemptAt > retryGap) config = (await reload())?.candidates.get(slug);
    const apiKey = config?.candidate.apiKey;
    if (!config || !apiKey) return undefined;
    const fingerprint = fingerprintApiKey(apiKey.reveal());
    const known = clients.get(slug);
    if (known?.fingerprint === fingerprint) return known.access;

    // A key that changed in Airtable: what the old one holds goes back to its day.
    if (known) void known.budget.release().catch(() => undefined);
    const block = budgetBlock(settings.VAN_RATE_PER_SECOND, settings.VAN_DAILY_BUDGET);
    const budget = createMongoRequestBudget(db, fingerprint, settings.VAN_DAILY_BUDGET, {
      reserveAhead: block,
      refillAt: Math.floor(block / 2),
    });
    const van = createCandidateVan({
      settings,
      candidate: config.candidate,
      budgetFor: () => budget,
      pace: observedLimiter,
      ...(registry ? { registry } : {}),
    });
    const access: CandidateVanAccess = {
      client: van.client,
      requestsUsed: van.requestsUsed,
      budgetRemaining: budgetGauge(budget),
      limiter: van.limiter,
    };
    clients.set(slug, { fingerprint, access, budget });
    logger.info({ candidate: slug, key: fingerprint }, 'VAN client ready');
    return access;
  };
  return Object.assign(lookup, {
    releaseBudgets: async () => {
      await Promise.all([...clients.values()].map((c) => c.budget.release()));
    },
  });
}
