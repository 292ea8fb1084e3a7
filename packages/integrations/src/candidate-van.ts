// The one way a service reaches a candidate's VAN: the key from the candidate's listing row, its
// mode from the row's System, the key's process-wide rate limiter, and the key's daily budget
// (which the caller brings: it lives in MongoDB). The extractor, the van-writer and the config
// service each build their clients here, so pacing, mode and budget cannot drift between them.

import type { Registry } from 'prom-client';
import { fingerprintApiKey, type Candidate, type CandidateSystem } from '@call-sync/core';
import { getKeyRateLimiter, type KeyRateLimiter } from './key-rate-limiter';
import { countingBudget, type RequestBudget } from './request-budget';
import { createVanClient, type VanClient } from './van-client';

/** VAN's mode for a candidate's key: 0 for the voter file (System van), 1 for MyCampaign. */
export const vanModeOf = (system: CandidateSystem): 0 | 1 => (system === 'myc' ? 1 : 0);

/** The VAN settings every service reads the same way (envGroups.van). */
export interface VanConnectionSettings {
  VAN_API_URL: string;
  VAN_APPLICATION_NAME: string;
  VAN_TIMEOUT_MS: number;
  VAN_RATE_PER_SECOND: number;
}

export interface CandidateVan {
  client: VanClient;
  /** The key's fingerprint: its budget's and its limiter's name, never the key. */
  fingerprint: string;
  /** The key's limiter, shared by every client of the key in this process. */
  limiter: KeyRateLimiter;
  /** Requests this client spent from the budget, for a run's "VAN requests used". */
  requestsUsed(): number;
}

/**
 * A client of the candidate's key. `budgetFor` gives the key's shared daily budget by fingerprint;
 * `pace` may wrap the key's limiter (the van-writer notes when each token was granted).
 */
export function createCandidateVan(options: {
  settings: VanConnectionSettings;
  candidate: Pick<Candidate, 'slug' | 'system' | 'apiKey'>;
  budgetFor(fingerprint: string): RequestBudget;
  registry?: Registry;
  pace?: (limiter: KeyRateLimiter) => KeyRateLimiter;
  /** Requests the key's limiter lets leave at once after a quiet spell (see getKeyRateLimiter). */
  burst?: number;
}): CandidateVan {
  const { settings, candidate } = options;
  if (!candidate.apiKey) throw new Error(`candidate ${candidate.slug} has no VAN API key`);
  const apiKey = candidate.apiKey.reveal();
  const fingerprint = fingerprintApiKey(apiKey);
  const limiter = getKeyRateLimiter(fingerprint, settings.VAN_RATE_PER_SECOND, {
    ...(options.burst ? { burst: options.burst } : {}),
  });
  const counted = countingBudget(options.budgetFor(fingerprint));
  const client = createVanClient({
    baseUrl: settings.VAN_API_URL,
    applicationName: settings.VAN_APPLICATION_NAME,
    apiKey,
    mode: vanModeOf(candidate.system),
    timeoutMs: settings.VAN_TIMEOUT_MS,
    rateLimiter: options.pace ? options.pace(limiter) : limiter,
    // Every request is billed to the key's day, whoever sends it.
    budget: counted.budget,
    ...(options.registry ? { metrics: options.registry } : {}),
  });
  return { client, fingerprint, limiter, requestsUsed: counted.used };
}
