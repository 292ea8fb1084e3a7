import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values are secrets wherever they appear in a logged object. pino replaces them
 * before serialisation, so a careless `log.info({ candidate })` cannot leak an API key.
 */
const redactedPaths = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["lv-session"]',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionId',
  '*.sessionId',
  // Airtable's listing rows carry the VAN key in a field named as organisers see it.
  '["API Key"]',
  '*["API Key"]',
  '*.fields["API Key"]',
  '*.*.fields["API Key"]',
];

/**
 * What an HTTP client's error carries about the request and the response: axios keeps the request
 * config (headers with `Authorization` — VAN's basic auth holds the key — and `auth` itself), the
 * request with its raw header text, and the response with its config again. None of it is needed
 * to understand a failure; the status is.
 */
const TRANSPORT_FIELDS = new Set(['config', 'request', 'headers']);
const MAX_NESTED_ERRORS = 3;

function withoutTransport(serialized: Record<string, unknown>, depth: number): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(serialized)) {
    if (TRANSPORT_FIELDS.has(key)) continue;
    if (key === 'response' && value && typeof value === 'object') {
      const { status, statusText } = value as { status?: unknown; statusText?: unknown };
      kept.response = { status, statusText };
    } else if (isSerializedError(value)) {
      kept[key] = depth < MAX_NESTED_ERRORS ? withoutTransport(value, depth + 1) : value.message;
    } else {
      kept[key] = value;
    }
  }
  return kept;
}

const isSerializedError = (value: unknown): value is Record<string, unknown> & { message: string } =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { message?: unknown }).message === 'string' &&
  typeof (value as { stack?: unknown }).stack === 'string';

/**
 * pino's error serializer (type, message, stack with the causes', own fields), without what an
 * HTTP client's error carries about the request: an unexpected failure keeps its stack in the log
 * and no credential goes with it.
 */
function serializeError(error: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(error as Error);
  if (typeof serialized !== 'object' || serialized === null || serialized === error) return serialized;
  return withoutTransport(serialized as Record<string, unknown>, 0);
}

/** The options every service's logger is made with (exported so a test can log to its own sink). */
export function loggerOptions(service: string, level = 'info'): pino.LoggerOptions {
  return {
    name: service,
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(service: string, level = 'info'): Logger {
  return pino(loggerOptions(service, level));
}
