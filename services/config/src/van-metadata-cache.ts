import type { Db } from 'mongodb';
import type { Registry } from '@call-sync/platform';
import { fingerprintApiKey, type Candidate, type VanMetadata } from '@call-sync/core';
import {
  createCandidateVan,
  vanModeOf,
  type VanConnectionSettings,
  type BulkImportMappingType,
  type VanApiKeyProfile,
  type VanClient,
} from '@call-sync/integrations';
import { createMongoRequestBudget } from '@call-sync/store';

export interface VanView {
  profile: VanApiKeyProfile;
  metadata: VanMetadata;
  /** The Bulk Import mappings the key may use; read only for a `bulk` candidate. */
  bulkImportMappings?: BulkImportMappingType[];
  fetchedAt: Date;
}

export interface VanMetadataCache {
  /** The key's profile (checked first: a wrong key or mode fails here) and its metadata. */
  get(candidate: Candidate): Promise<VanView>;
  /** A client of the candidate's key on the shared daily budget, for a person's re-post. */
  client(candidate: Candidate): VanClient;
}

export interface VanMetadataCacheOptions {
  /** The same VAN settings as the pipeline's: the key's limiter paces these requests too. */
  settings: VanConnectionSettings;
  ttlMs: number;
  /** Where the key's daily budget lives: the same Mongo documents the pipeline counts in. */
  db: Db;
  /** VAN requests per key per Eastern day (VAN_DAILY_BUDGET), shared with the pipeline. */
  dailyBudget: number;
  registry?: Registry;
}

/**
 * Per-candidate VAN metadata, reused for a short time so that opening configure or validate twice
 * costs VAN nothing, and concurrent page loads share one fetch. Keyed by the key's fingerprint too,
 * so a key changed in Airtable is never answered from the old key's metadata. Failures are not
 * cached: the next page load asks again.
 *
 * Every request counts against the key's daily budget in Mongo, the one the extractor and the
 * van-writers share: VAN bills a key's requests whoever sends them, and pages opened all afternoon
 * must not eat the night's posts unseen. A spent budget fails with VanBudgetExhaustedError.
 */
export function createVanMetadataCache(options: VanMetadataCacheOptions): VanMetadataCache {
  const entries = new Map<string, { fetchedAt: number; value: Promise<VanView> }>();
  const clientFor = (candidate: Candidate): VanClient =>
    createCandidateVan({
      settings: options.settings,
      candidate,
      budgetFor: (key) => createMongoRequestBudget(options.db, key, options.dailyBudget),
      ...(options.registry ? { registry: options.registry } : {}),
    }).client;
  return {
    client: clientFor,
    get(candidate) {
      if (!candidate.apiKey) throw new Error(`candidate ${candidate.slug} has no VAN API key`);
      const bulk = candidate.strategy === 'bulk';
      const fingerprint = fingerprintApiKey(candidate.apiKey.reveal());
      const cacheKey = `${candidate.slug}:${fingerprint}:${vanModeOf(candidate.system)}${bulk ? ':bulk' : ''}`;
      const cached = entries.get(cacheKey);
      if (cached && Date.now() - cached.fetchedAt < options.ttlMs) return cached.value;
      // A client is made only for a fetch: a page answered from the cache costs nothing.
      const van = clientFor(candidate);
      const value = (async (): Promise<VanView> => {
        const profile = await van.getApiKeyProfile();
        const metadata = await van.fetchMetadata();
        const bulkImportMappings = bulk ? await van.bulkImportMappingTypes() : undefined;
        return {
          profile,
          metadata,
          ...(bulkImportMappings ? { bulkImportMappings } : {}),
          fetchedAt: new Date(),
        };
      })();
      entries.set(cacheKey, { fetchedAt: Date.now(), value });
      value.catch(() => {
        if (entries.get(cacheKey)?.value === value) entries.delete(cacheKey);
      });
      return value;
    },
  };
}
