// A VAN key (or any credential) travels through config caches, error objects and log lines.
// Wrapping it means the accidental paths (string interpolation, JSON.stringify, console/pino
// inspection) print a placeholder; only an explicit `reveal()` at the HTTP edge sees the value.
// Where keys must be told apart (limiters, budgets, metrics, the Mongo copy of the configuration),
// a fingerprint stands in for the key, so none of those ever holds one.

import { createHash } from 'node:crypto';

const REDACTED = '[secret]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value: call this only where the credential is put on the wire. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/**
 * A short, non-reversible name for an API key, for maps, logs and metrics that must tell keys
 * apart without ever holding one. Keys are long random strings, so a truncated SHA-256 cannot
 * be walked back to the key.
 */
export function fingerprintApiKey(apiKey: string): string {
  return createHash('sha256').update(`call-sync:${apiKey}`).digest('hex').slice(0, 12);
}
