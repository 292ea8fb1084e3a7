import type { Logger } from '@call-sync/platform';
import {
  parseConfiguration,
  readConfigurationTables,
  type AirtableClient,
  type CandidateConfiguration,
  type Configuration,
  type ConfigurationTables,
} from '@call-sync/integrations';
import { LISTING_API_KEY_FIELD } from '@call-sync/core';
import type { ConfigCacheRepository, StoredConfiguration } from '@call-sync/store';
import { UnloadedApiKey } from './unloaded-api-key';

interface ConfigCacheStatus {
  /** Where the configuration in memory came from: Airtable now, or the Mongo copy of an earlier read. */
  source: 'airtable' | 'mongo' | 'none';
  loadedAt: Date | undefined;
  lastRefreshAt: Date | undefined;
  /** Why the last refresh failed, if it did; the previous configuration is still served. */
  lastRefreshError: string | undefined;
}

export interface ConfigCache {
  /** The configuration, waiting for the first load (Mongo copy, then Airtable) on start-up. */
  current(): Promise<Configuration>;
  candidate(slug: string): Promise<CandidateConfiguration | undefined>;
  refresh(): Promise<Configuration>;
  status(): ConfigCacheStatus;
  start(intervalMs: number): void;
  stop(): void;
}

export interface ConfigCacheOptions {
  airtable: AirtableClient;
  repository: ConfigCacheRepository;
  logger: Logger;
  listingTable: string;
  termCodesTable: string;
}

const emptyConfiguration = (): Configuration => ({
  loadedAt: new Date(0),
  candidates: new Map(),
  termCodes: new Map(),
  errors: [],
});

const UNLOADED_KEY_MARK = 'unloaded-api-key:';

/**
 * The configuration of the Mongo copy, which holds no VAN keys: a listing row that had one gets
 * an UnloadedApiKey, so the candidate is read as Airtable has it (a van candidate without a key
 * would be a broken row) while its key waits for Airtable.
 */
function parseStoredConfiguration(
  stored: StoredConfiguration,
  tableNames: { listingTable: string; termCodesTable: string },
): Configuration {
  const keys = new Map(stored.apiKeys.map((key) => [key.rowId, key]));
  const listing = stored.tables.listing.map((record) => {
    const key = keys.get(record.id);
    if (!key?.hasApiKey) return record;
    const mark = `${UNLOADED_KEY_MARK}${key.fingerprint ?? ''}`;
    return { ...record, fields: { ...record.fields, [LISTING_API_KEY_FIELD]: mark } };
  });
  const parsed = parseConfiguration({ ...stored.tables, listing }, tableNames);
  for (const { candidate } of parsed.candidates.values()) {
    const mark = candidate.apiKey?.reveal();
    if (mark?.startsWith(UNLOADED_KEY_MARK)) {
      candidate.apiKey = new UnloadedApiKey(candidate.slug, mark.slice(UNLOADED_KEY_MARK.length));
    }
  }
  return parsed;
}

/**
 * Candidate configuration, held in memory and copied to Mongo without the VAN keys. Airtable is read every few minutes
 * and on demand; when it fails the last good configuration stays in service (docs/behaviour.md#configuration), and a
 * result table that cannot be read this time keeps its last good copy, unless Airtable says it no
 * longer exists: then its candidate carries the error instead of running on a mapping nobody can see.
 */
export function createConfigCache(options: ConfigCacheOptions): ConfigCache {
  const { airtable, repository, logger } = options;
  const tableNames = { listingTable: options.listingTable, termCodesTable: options.termCodesTable };
  let tables: ConfigurationTables | undefined;
  let configuration: Configuration = emptyConfiguration();
  let source: ConfigCacheStatus['source'] = 'none';
  let lastRefreshAt: Date | undefined;
  let lastRefreshError: string | undefined;
  let inFlight: Promise<Configuration> | undefined;
  let timer: NodeJS.Timeout | undefined;

  function keepLastGoodTables(fresh: ConfigurationTables): ConfigurationTables {
    if (!tables || fresh.unreadableTables.length === 0) return fresh;
    const resultTables = { ...fresh.resultTables };
    const stillUnreadable = fresh.unreadableTables.filter((unreadable) => {
      const previous = tables?.resultTables[unreadable.table];
      if (!previous || unreadable.missing) return true;
      resultTables[unreadable.table] = previous;
      logger.warn({ table: unreadable.table }, 'result table unreadable; serving its last good copy');
      return false;
    });
    return { ...fresh, resultTables, unreadableTables: stillUnreadable };
  }

  async function refreshFromAirtable(): Promise<Configuration> {
    lastRefreshAt = new Date();
    try {
      const fresh = keepLastGoodTables(await readConfigurationTables(airtable, tableNames));
      const parsed = parseConfiguration(fresh, tableNames);
      tables = fresh;
      configuration = parsed;
      source = 'airtable';
      lastRefreshError = undefined;
      await repository.save(fresh).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not store the configuration copy in Mongo');
      });
      logger.info({ candidates: parsed.candidates.size }, 'configuration refreshed from Airtable');
      return parsed;
    } catch (error) {
      lastRefreshError = (error as Error).message;
      logger.warn({ err: error }, 'Airtable refresh failed; serving the last good configuration');
      throw error;
    }
  }

  function refresh(): Promise<Configuration> {
    inFlight ??= refreshFromAirtable().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const firstLoad: Promise<void> = (async () => {
    try {
      const stored = await repository.load();
      if (stored) {
        tables = stored.tables;
        configuration = parseStoredConfiguration(stored, tableNames);
        source = 'mongo';
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not read the stored configuration copy');
    }
    await refresh().catch(() => undefined);
  })();

  return {
    async current() {
      await firstLoad;
      return configuration;
    },
    async candidate(slug) {
      await firstLoad;
      return configuration.candidates.get(slug);
    },
    refresh,
    status: () => ({
      source,
      loadedAt: source === 'none' ? undefined : configuration.loadedAt,
      lastRefreshAt,
      lastRefreshError,
    }),
    start(intervalMs) {
      timer = setInterval(() => void refresh().catch(() => undefined), intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
