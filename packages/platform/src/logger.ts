import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values are secrets wherever they appear in a logged object. pino replaces them
 * before serialisation, so a careless `log.info({ candidate })` cannot leak an API key.
 */
export const redactedPaths = [
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

export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
