import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';
import { fingerprintApiKey, LISTING_API_KEY_FIELD, type AirtableRecord } from '@call-sync/core';
import type { ConfigurationTables, ResultTablesCopy } from '@call-sync/integrations';

// The last configuration Airtable gave the config service, so a restart during an Airtable outage
// still serves it, and the extractor starts a night's candidates without reading every result
// table from Airtable again (see `freshResultTables`).
// Stored as JSON text: Airtable field names ("Used?", "Sync Time (EST)", anything organisers
// type) are not safe Mongo keys. The candidates' VAN keys are never stored: each listing row
// keeps only whether it had a key and the key's fingerprint. The keys live in the process, read
// from Airtable; a start-up from this copy has none until Airtable answers.

/** What the copy says about one listing row's VAN key, in place of the key. */
interface StoredApiKey {
  rowId: string;
  hasApiKey: boolean;
  /** `fingerprintApiKey` of the key: tells keys apart (budgets, metrics) and cannot be reversed. */
  fingerprint: string | null;
}

export interface StoredConfiguration {
  /** The tables as read, without the listing's API Key field. */
  tables: ConfigurationTables;
  apiKeys: StoredApiKey[];
}

interface ConfigSnapshotDocument {
  _id: 'airtable';
  tablesJson: string;
  /** Absent in a copy written before the keys were kept out of Mongo. */
  apiKeys?: StoredApiKey[];
  loadedAt: Date;
  savedAt: Date;
}

export interface ConfigCacheRepository {
  load(): Promise<StoredConfiguration | undefined>;
  /** Stores the tables with every VAN key taken out. */
  save(tables: ConfigurationTables): Promise<void>;
}

// As the listing parser reads the cell: text trimmed, a number as its digits.
function apiKeyText(value: unknown): string | undefined {
  const text = typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
  return text === '' ? undefined : text;
}

/** The tables without any VAN key, and per listing row whether it had one and its fingerprint. */
function withoutApiKeys(tables: ConfigurationTables): StoredConfiguration & { hadKeys: boolean } {
  const apiKeys: StoredApiKey[] = [];
  let hadKeys = false;
  const listing = tables.listing.map((record): AirtableRecord => {
    const { [LISTING_API_KEY_FIELD]: value, ...fields } = record.fields;
    if (value !== undefined) hadKeys = true;
    const key = apiKeyText(value);
    apiKeys.push({
      rowId: record.id,
      hasApiKey: key !== undefined,
      fingerprint: key ? fingerprintApiKey(key) : null,
    });
    return { id: record.id, fields };
  });
  return { tables: { ...tables, listing }, apiKeys, hadKeys };
}

export function createConfigCacheRepository(db: Db): ConfigCacheRepository {
  const snapshots: Collection<ConfigSnapshotDocument> = db.collection(Collections.ConfigCache);
  async function save(tables: ConfigurationTables): Promise<void> {
    const stored = withoutApiKeys(tables);
    await snapshots.replaceOne(
      { _id: 'airtable' },
      {
        tablesJson: JSON.stringify(stored.tables),
        apiKeys: stored.apiKeys,
        loadedAt: tables.loadedAt,
        savedAt: new Date(),
      },
      { upsert: true },
    );
  }
  return {
    async load() {
      const doc = await snapshots.findOne({ _id: 'airtable' });
      if (!doc) return undefined;
      const parsed = JSON.parse(doc.tablesJson) as ConfigurationTables & { loadedAt: string };
      const tables = { ...parsed, loadedAt: new Date(parsed.loadedAt) };
      // A copy written before keys were kept out still holds them: it is read without them and
      // rewritten at once, rather than waiting for Airtable to answer.
      const stored = withoutApiKeys(tables);
      if (stored.hadKeys) await save(tables);
      return { tables: stored.tables, apiKeys: doc.apiKeys ?? stored.apiKeys };
    },
    save,
  };
}

/**
 * The copy's result tables if the config service read them from Airtable at most `maxAgeMs` ago,
 * else undefined (no copy, or config has not refreshed it: the caller reads Airtable). Tables the
 * copy could not read are left out, so their candidates are read from Airtable too.
 */
export async function freshResultTables(
  db: Db,
  options: { maxAgeMs: number; now?: Date },
): Promise<ResultTablesCopy | undefined> {
  if (options.maxAgeMs <= 0) return undefined;
  const now = options.now ?? new Date();
  const doc = await db
    .collection<ConfigSnapshotDocument>(Collections.ConfigCache)
    .findOne({ _id: 'airtable' }, { projection: { tablesJson: 1, loadedAt: 1 } });
  if (!doc || now.getTime() - doc.loadedAt.getTime() > options.maxAgeMs) return undefined;
  const tables = JSON.parse(doc.tablesJson) as Pick<ConfigurationTables, 'resultTables' | 'unreadableTables'>;
  const resultTables = { ...tables.resultTables };
  for (const unreadable of tables.unreadableTables) delete resultTables[unreadable.table];
  return { loadedAt: doc.loadedAt, resultTables };
}
