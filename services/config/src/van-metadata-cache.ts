import type { Registry } from '@call-sync/platform';
import type { Candidate, VanMetadata } from '@call-sync/core';
import { createVanClient, fingerprintApiKey, type VanApiKeyProfile } from '@call-sync/integrations';

export interface VanView {
  profile: VanApiKeyProfile;
  metadata: VanMetadata;
  fetchedAt: Date;
}

export interface VanMetadataCache {
  /** The key's profile (checked first: a wrong key or mode fails here) and its metadata. */
  get(candidate: Candidate): Promise<VanView>;
}

export interface VanMetadataCacheOptions {
  baseUrl: string;
  applicationName: string;
  timeoutMs: number;
  ttlMs: number;
  registry?: Registry;
}

/** VAN mode of a candidate's key: 0 for the voter file (System van), 1 for MyCampaign. */
export const vanModeFor = (candidate: Pick<Candidate, 'system'>): 0 | 1 =>
  candidate.system === 'myc' ? 1 : 0;

/**
 * Per-candidate VAN metadata, reused for a short time so that opening configure or validate twice
 * costs VAN nothing, and concurrent page loads share one fetch. Keyed by the key's fingerprint too,
 * so a key changed in Airtable is never answered from the old key's metadata. Failures are not
 * cached: the next page load asks again.
 */
export function createVanMetadataCache(options: VanMetadataCacheOptions): VanMetadataCache {
  const entries = new Map<string, { fetchedAt: number; value: Promise<VanView> }>();
  return {
    get(candidate) {
      if (!candidate.apiKey) throw new Error(`candidate ${candidate.slug} has no VAN API key`);
      const apiKey = candidate.apiKey.reveal();
      const mode = vanModeFor(candidate);
      const cacheKey = `${candidate.slug}:${fingerprintApiKey(apiKey)}:${mode}`;
      const cached = entries.get(cacheKey);
      if (cached && Date.now() - cached.fetchedAt < options.ttlMs) return cached.value;
      const van = createVanClient({
        baseUrl: options.baseUrl,
        applicationName: options.applicationName,
        apiKey,
        mode,
        timeoutMs: options.timeoutMs,
        ...(options.registry ? { metrics: options.registry } : {}),
      });
      const value = (async (): Promise<VanView> => {
        const profile = await van.getApiKeyProfile();
        const metadata = await van.fetchMetadata();
        return { profile, metadata, fetchedAt: new Date() };
      })();
      entries.set(cacheKey, { fetchedAt: Date.now(), value });
      value.catch(() => {
        if (entries.get(cacheKey)?.value === value) entries.delete(cacheKey);
      });
      return value;
    },
  };
}
