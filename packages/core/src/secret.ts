// A VAN key (or any credential) travels through config caches, error objects and log lines.
// Wrapping it means the accidental paths (string interpolation, JSON.stringify, console/pino
// inspection) print a placeholder; only an explicit `reveal()` at the HTTP edge sees the value.

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
