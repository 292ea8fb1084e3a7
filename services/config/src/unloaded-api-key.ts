import { fingerprintApiKey, Secret } from '@call-sync/core';

// The Mongo copy of the configuration never holds a VAN key, only whether the listing had one and
// its fingerprint. After a start-up with Airtable down, the candidates come from that copy: their
// key exists in Airtable but is not in this process yet. It stands in as an UnloadedApiKey, so the
// candidate still "has a key" (pages, metrics, runs) while anything that would send it to VAN
// fails with ApiKeyNotLoadedError, which the HTTP layer answers as a clear 503.

export class ApiKeyNotLoadedError extends Error {
  constructor(readonly slug: string) {
    super(
      `The VAN API key of "${slug}" is not loaded yet: Airtable has not answered since this service ` +
        'started, and the stored copy of the configuration never holds keys. This works again as soon ' +
        'as Airtable answers (POST /config/refresh tries now).',
    );
    this.name = 'ApiKeyNotLoadedError';
  }
}

export class UnloadedApiKey extends Secret {
  constructor(
    readonly slug: string,
    readonly fingerprint: string,
  ) {
    super('');
  }

  override reveal(): string {
    throw new ApiKeyNotLoadedError(this.slug);
  }
}

/** The key's fingerprint, whether the key itself is in this process or only its stored fingerprint. */
export function apiKeyFingerprint(apiKey: Secret): string {
  return apiKey instanceof UnloadedApiKey ? apiKey.fingerprint : fingerprintApiKey(apiKey.reveal());
}

export const isApiKeyLoaded = (apiKey: Secret | undefined): boolean =>
  apiKey !== undefined && !(apiKey instanceof UnloadedApiKey);
