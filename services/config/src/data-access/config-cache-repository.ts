import type { Collection, Db } from 'mongodb';
import { Collections } from '@call-sync/platform';
import type { ConfigurationTables } from '@call-sync/integrations';

// The last configuration Airtable gave us, so a restart during an Airtable outage still serves it.
// Stored as JSON text: Airtable field names ("Used?", "Sync Time (EST)", anything organisers
// type) are not safe Mongo keys. It holds the candidates' VAN keys, as Airtable does; Mongo is
// already where the pipeline's secrets of record live.

interface ConfigSnapshotDocument {
  _id: 'airtable';
  tablesJson: string;
  loadedAt: Date;
  savedAt: Date;
}

export interface ConfigCacheRepository {
  load(): Promise<ConfigurationTables | undefined>;
  save(tables: ConfigurationTables): Promise<void>;
}

export function createConfigCacheRepository(db: Db): ConfigCacheRepository {
  const snapshots: Collection<ConfigSnapshotDocument> = db.collection(Collections.ConfigCache);
  return {
    async load() {
      const doc = await snapshots.findOne({ _id: 'airtable' });
      if (!doc) return undefined;
      const tables = JSON.parse(doc.tablesJson) as ConfigurationTables & { loadedAt: string };
      return { ...tables, loadedAt: new Date(tables.loadedAt) };
    },
    async save(tables) {
      await snapshots.updateOne(
        { _id: 'airtable' },
        { $set: { tablesJson: JSON.stringify(tables), loadedAt: tables.loadedAt, savedAt: new Date() } },
        { upsert: true },
      );
    },
  };
}
