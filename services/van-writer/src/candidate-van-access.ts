// The van-writer learns each candidate's VAN key from the same Airtable configuration the
// extractor read (keys are never put on Kafka or in Mongo). The configuration is re-read every
// CONFIG_REFRESH_INTERVAL_MS, or sooner when a message names a candidate we do not know yet.
// One client per candidate and key: the key's rate limiter is process-wide and its daily
// budget lives in Mongo, shared by every writer replica.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  createAirtableClient,
  createVanClient,
  fingerprintApiKey,
  getKeyRateLimiter,
  parseConfiguration,
  readConfigurationTables,
  type Configuration,
  type VanClientOptions,
} from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import { createMongoRequestBudget, type SharedRequestBudget } from '@call-sync/store';
import type { CandidateVanAccess } from './post-canvass-responses';
import type { VanWriterSettings } from './settings';

const MIN_RELOAD_INTERVAL_MS = 10_000;

/**
 * A VAN client that spends the key's shared daily budget and counts what this process spent,
 * for the run's "VAN requests used".
 */
export function vanAccessWithBudget(
  options: Omit<VanClientOptions, 'budget'>,
  budget: SharedRequestBudget,
): CandidateVanAccess {
  let used = 0;
  const client = createVanClient({
    ...options,
    budget: {
      tryConsume: async () => {
        const ok = await budget.tryConsume();
        if (ok) used += 1;
        return ok;
      },
      remaining: () => budget.remaining(),
    },
  });
  return { client, requestsUsed: () => used, budgetRemaining: () => budget.remaining() };
}

export function createCandidateVanAccess(
  db: Db,
  logger: Logger,
  settings: VanWriterSettings,
  registry?: Registry,
  loadConfiguration: () => Promise<Configuration> = () => {
    const tables = {
      listingTable: settings.AIRTABLE_LISTING_TABLE,
      termCodesTable: settings.AIRTABLE_TERM_CODES_TABLE,
    };
    const airtable = createAirtableClient({
      apiKey: settings.AIRTABLE_API_KEY,
      baseId: settings.AIRTABLE_BASE_ID,
      endpointUrl: settings.AIRTABLE_ENDPOINT_URL,
    });
    return readConfigurationTables(airtable, tables).then((t) => parseConfiguration(t, tables));
  },
): (candidate: string) => Promise<CandidateVanAccess | undefined> {
  let configuration: Configuration | undefined;
  let loadedAt = 0;
  let loading: Promise<Configuration> | undefined;
  const clients = new Map<string, { fingerprint: string; access: CandidateVanAccess }>();

  const reload = (): Promise<Configuration> => {
    loading ??= loadConfiguration()
      .then((loaded) => {
        configuration = loaded;
        loadedAt = Date.now();
        return loaded;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  return async (slug) => {
    const age = Date.now() - loadedAt;
    if (!configuration || age > settings.CONFIG_REFRESH_INTERVAL_MS) await reload();
    let config = configuration?.candidates.get(slug);
    if (!config && age > MIN_RELOAD_INTERVAL_MS) config = (await reload()).candidates.get(slug);
    const apiKey = config?.candidate.apiKey;
    if (!config || !apiKey) return undefined;
    const fingerprint = fingerprintApiKey(apiKey.reveal());
    const known = clients.get(slug);
    if (known?.fingerprint === fingerprint) return known.access;

    const access = vanAccessWithBudget(
      {
        baseUrl: settings.VAN_API_URL,
        applicationName: settings.VAN_APPLICATION_NAME,
        apiKey: apiKey.reveal(),
        mode: config.candidate.system === 'myc' ? 1 : 0,
        timeoutMs: settings.VAN_TIMEOUT_MS,
        rateLimiter: getKeyRateLimiter(fingerprint, settings.VAN_RATE_PER_SECOND),
        ...(registry ? { metrics: registry } : {}),
      },
      createMongoRequestBudget(db, fingerprint, settings.VAN_DAILY_BUDGET),
    );
    clients.set(slug, { fingerprint, access });
    logger.info({ candidate: slug, key: fingerprint }, 'VAN client ready');
    return access;
  };
}
