import { Writable } from 'node:stream';
import pino from 'pino';
import { loggerOptions, Registry, startServiceServer } from '@call-sync/platform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogRecord = Record<string, any>;

// The services' own logger options, writing to a string instead of stdout.
function capture(): { logger: pino.Logger; lines: () => string; records: () => LogRecord[] } {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const logger = pino(loggerOptions('logger-test', 'debug'), sink);
  return {
    logger,
    lines: () => out,
    records: () =>
      out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as LogRecord),
  };
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

// What axios attaches to a failed VAN request: the config with VAN's basic auth (application name
// and `key|mode`) twice, the raw request header text, and the response with the config again.
const VAN_KEY = 'aaaa1111-bbbb-4ccc-8ddd-eeeeffff0000';
const BASIC = `Basic ${Buffer.from(`call-sync:${VAN_KEY}|0`).toString('base64')}`;

function failedVanRequest(): Error {
  const config = {
    url: '/v4/canvassResponses',
    method: 'post',
    baseURL: 'https://van.example',
    auth: { username: 'call-sync', password: `${VAN_KEY}|0` },
    headers: { Authorization: BASIC, 'Content-Type': 'application/json' },
    data: '{"canvassContext":{}}',
  };
  function postCanvassResponse(): Error {
    return Object.assign(new Error('Request failed with status code 401'), {
      name: 'AxiosError',
      code: 'ERR_BAD_REQUEST',
      config,
      request: {
        _header: `POST /v4/canvassResponses HTTP/1.1\r\nAuthorization: ${BASIC}\r\n\r\n`,
        path: '/x',
      },
      response: {
        status: 401,
        statusText: 'Unauthorized',
        headers: { 'www-authenticate': 'Basic' },
        config,
        data: { errors: [{ code: 'UNAUTHORIZED' }] },
      },
    });
  }
  return postCanvassResponse();
}

function expectNoVanSecret(text: string): void {
  expect(text).not.toContain(VAN_KEY);
  expect(text).not.toContain(BASIC.slice('Basic '.length));
}

test('an HTTP client error is logged with its stack and status, without its request config or headers', () => {
  const { logger, lines, records } = capture();
  logger.error({ err: failedVanRequest(), runId: 'r1' }, 'VAN post failed');
  logger.error(failedVanRequest(), 'logged as the first argument');
  expectNoVanSecret(lines());
  const [withKey, firstArgument] = records();
  for (const record of [withKey, firstArgument]) {
    expect(record!.err).toMatchObject({
      type: 'Error',
      name: 'AxiosError',
      code: 'ERR_BAD_REQUEST',
      message: 'Request failed with status code 401',
      response: { status: 401, statusText: 'Unauthorized' },
    });
    expect(record!.err.stack).toMatch(
      /^AxiosError: Request failed with status code 401\n\s+at postCanvassResponse /,
    );
    for (const field of ['config', 'request', 'headers']) expect(record!.err).not.toHaveProperty(field);
    expect(Object.keys(record!.err.response)).toEqual(['status', 'statusText']);
  }
  expect(withKey!.runId).toBe('r1');
});

test('an error wrapping a client error keeps both stacks and drops the inner request too', () => {
  const { lines, logger, records } = capture();
  const inner = failedVanRequest();
  const wrapped = Object.assign(new Error('VAN refused the API key', { cause: inner }), {
    name: 'VanAuthError',
    clientError: inner,
  });
  logger.warn({ err: wrapped }, 'key refused');
  expectNoVanSecret(lines());
  const { err } = records()[0]!;
  expect(err.stack).toMatch(
    /^VanAuthError: VAN refused the API key\n[\s\S]*caused by: AxiosError: Request failed/,
  );
  expect(err.clientError).toMatchObject({
    message: 'Request failed with status code 401',
    response: { status: 401 },
  });
  expect(err.clientError).not.toHaveProperty('config');
});

test('a value under err or error that is not an error is logged as it is', () => {
  const { logger, records } = capture();
  logger.warn({ error: 'invalid message: missing runId', err: { code: 7 } }, 'dead letter');
  expect(records()[0]).toMatchObject({ error: 'invalid message: missing runId', err: { code: 7 } });
});

test("an error a service's routes do not catch is logged with its stack, not printed by koa", async () => {
  const { logger, records } = capture();
  const server = await startServiceServer({
    service: 'logger-test',
    port: 0,
    logger,
    registry: new Registry(),
    routes: (app) =>
      app.use(function reportRoute() {
        throw new TypeError('the report has no window');
      }),
  });
  try {
    const response = await fetch(`${server.url}/reports/1`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
  } finally {
    await server.close();
  }
  const failed = records().find((record) => record.msg === 'request failed');
  expect(failed).toMatchObject({ level: 50, method: 'GET', path: '/reports/1', err: { type: 'TypeError' } });
  expect(failed!.err.stack).toMatch(/^TypeError: the report has no window\n\s+at reportRoute /);
});
