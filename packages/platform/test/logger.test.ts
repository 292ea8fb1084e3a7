import { Writable } from 'node:stream';
import pino from 'pino';
import { redactedPaths } from '@call-sync/platform';

function capture(): { logger: pino.Logger; lines: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const logger = pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink);
  return { logger, lines: () => out };
}

test('keys, passwords, tokens and Airtable API Key fields never reach a log line', () => {
  const { logger, lines } = capture();
  logger.info({ apiKey: 'van-key-1', candidate: { apiKey: 'van-key-2' } }, 'client');
  logger.info({ password: 'lv-pass', request: { headers: { authorization: 'Bearer tok-1' } } }, 'request');
  logger.info(
    { record: { id: 'rec1', fields: { 'Reference Name': 'Jane', 'API Key': 'van-key-3' } } },
    'row',
  );
  const text = lines();
  for (const secret of ['van-key-1', 'van-key-2', 'van-key-3', 'lv-pass', 'tok-1']) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain('Jane');
  expect(text.match(/\[redacted\]/g)?.length).toBe(5);
});
