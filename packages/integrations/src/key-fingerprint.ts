import { createHash } from 'node:crypto';

/**
 * A short, non-reversible name for an API key, for maps, logs and metrics that must tell keys
 * apart without ever holding one. Keys are long random strings, so a truncated SHA-256 cannot
 * be walked back to the key.
 */
export function fingerprintApiKey(apiKey: string): string {
  return createHash('sha256').update(`call-sync:${apiKey}`).digest('hex').slice(0, 12);
}
