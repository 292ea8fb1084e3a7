// A full pipeline run with seeded secrets — the candidates' VAN keys, the Airtable key, the Livevox
// password, the API tokens, the S3 secret, the session secret — and a grep of everything it
// produced for them: every service's output (at debug level), error answers, /metrics of each
// service, the config service's pages and JSON, the CSVs on S3, every document of every MongoDB
// collection, and every span the services exported (OpenTelemetry on, as deployed, sending to an
// OTLP/HTTP receiver in this test). Zero hits, in any of the encodings a leak would take. Build
// first: `npx tsc -b`.

import { freshServiceGroup } from '../support/consumer-groups';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '@call-sync/platform';
import { SEED_LIVEVOX_USER, startLivevoxSandbox, type LivevoxSandbox } from '@call-sync/sandbox';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { startOtlpReceiver } from '../support/otlp-receiver';
import { serverEnv } from '../support/env';
import { createWorld, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(180_000);

const OPERATOR_TOKEN = 'secret-operator-token-7f3a9c1e5b';
const ORGANISER_TOKEN = 'secret-organiser-token-2d8e6b4a0c';
const LIVEVOX_PASSWORD = 'secret-livevox-password-91c4e7';
const SESSION_SECRET = 'secret-session-signing-key-5a0f3d9b7e2c4a6f';

let world: World;
let livevox: LivevoxSandbox;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
const services: ServiceProcess[] = [];
let extractorOutput = '';

beforeAll(async () => {
  world = await createWorld({ candidates: 3, callsPerCandidate: 60, seed: 29 });
  // The extractor signs in to Livevox and pulls the window's calls (the same ones the world
  // imported) with the seeded password.
  livevox = await startLivevoxSandbox({
    fixture: { ...world.fixture.livevox, users: [{ ...SEED_LIVEVOX_USER, password: LIVEVOX_PASSWORD }] },
  });
  receiver = await startOtlpReceiver();
  const env = {
    ...world.env,
    LOG_LEVEL: 'debug',
    // Tracing on, as deployed: every service (the preload of service-process) exports its spans.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    LIVEVOX_API_URL: livevox.url,
    LIVEVOX_USER_NAME: SEED_LIVEVOX_USER.userName,
    LIVEVOX_PASSWORD,
    LIVEVOX_CLIENT_NAME: SEED_LIVEVOX_USER.clientName,
  };
  services.push(
    await startServiceProcess(
      'van-writer',
      {
        ...env,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup('sec-van'),
      },
      TEST_LAUNCH,
    ),
  );
  services.push(
    await startServiceProcess(
      'csv-writer',
      {
        ...env,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup('sec-csv'),
      },
      TEST_LAUNCH,
    ),
  );
  services.push(
    await startServiceProcess(
      'config',
      {
        ...env,
        API_TOKENS: `ops:operator:${OPERATOR_TOKEN},olivia:organiser:${ORGANISER_TOKEN}`,
        SESSION_SECRET,
        KAFKA_CONSUMER_GROUP: await freshServiceGroup('sec-config'),
      },
      TEST_LAUNCH,
    ),
  );
  const extraction = await runExtractor(env, ['extract', '--now', NOW]);
  extractorOutput = extraction.output;
  expect({ code: extraction.code, output: extraction.code === 0 ? '' : extraction.output }).toEqual({
    code: 0,
    output: '',
  });
  await waitForRuns(world, 3, 150_000);
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await livevox?.close();
  await receiver?.close();
  await world?.close();
});

/** Each secret as itself and as it would appear encoded in a header, a URL or a log. */
function secretForms(): Map<string, string> {
  const servers = serverEnv();
  const raw = new Map<string, string>([
    ['Airtable key', world.env.AIRTABLE_API_KEY!],
    ['Livevox password', LIVEVOX_PASSWORD],
    ['operator token', OPERATOR_TOKEN],
    ['organiser token', ORGANISER_TOKEN],
    ['session secret', SESSION_SECRET],
    ['S3 secret', servers.s3.secretAccessKey],
  ]);
  for (const { candidate } of world.configuration.candidates.values()) {
    if (!candidate.apiKey) continue;
    const key = candidate.apiKey.reveal();
    raw.set(`VAN key of ${candidate.slug}`, key);
    // VAN's basic auth: application name, then key|mode.
    for (const mode of [0, 1]) {
      const basic = Buffer.from(`${world.env.VAN_APPLICATION_NAME}:${key}|${mode}`).toString('base64');
      raw.set(`VAN basic auth of ${candidate.slug} (mode ${mode})`, basic);
    }
  }
  const forms = new Map<string, string>();
  for (const [name, value] of raw) {
    forms.set(name, value);
    forms.set(`${name} (URL-encoded)`, encodeURIComponent(value));
    forms.set(`${name} (base64)`, Buffer.from(value).toString('base64'));
  }
  return forms;
}

const configUrl = () => services[2]!.url;
const call = async (path: string, init: RequestInit = {}, token: string | null = OPERATOR_TOKEN) => {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${configUrl()}${path}`, { ...init, headers, redirect: 'manual' });
  const headerText: string[] = [];
  response.headers.forEach((value, name) => headerText.push(`${name}: ${value}`));
  return `${path} ${response.status}\n${headerText.join('\n')}\n${await response.text()}`;
};

test('no secret appears in anything the pipeline produced', async () => {
  const produced: [where: string, text: string][] = [];
  const runs = await world.mongo.db.collection('runs').find().toArray();
  expect(runs.map((run) => run.state)).toEqual(['completed', 'completed', 'completed']);

  // The config service's pages and JSON, as an operator, an organiser and a stranger see them.
  const slugs = [...world.configuration.candidates.keys()];
  const paths = ['/candidates', '/runs', '/audit', '/openapi.json', '/calls/imports'];
  for (const slug of slugs) paths.push(`/validate/${slug}`, `/configure/${slug}`);
  for (const run of runs) paths.push(`/runs/${String(run.runId)}`);
  for (const path of paths) {
    for (const accept of ['application/json', 'text/html']) {
      produced.push([`config ${path} (${accept})`, await call(path, { headers: { accept } })]);
    }
    produced.push([`config ${path} (organiser)`, await call(path, {}, ORGANISER_TOKEN)]);
  }
  // Actions and error answers: a dry run, a refresh, refusals, bad input, a failed sign-in.
  produced.push(['dry run', await call(`/runs/${slugs[0]}?dryRun=true`, { method: 'POST' })]);
  produced.push(['refresh', await call('/config/refresh', { method: 'POST' })]);
  produced.push(['wrong token', await call('/candidates', {}, `${OPERATOR_TOKEN}0`)]);
  produced.push(['wrong role', await call('/config/refresh', { method: 'POST' }, ORGANISER_TOKEN)]);
  produced.push(['unknown candidate', await call('/validate/nobody-here')]);
  produced.push(['bad parameter', await call('/drop-rate?start_day=13-45&count=1&service_name=x')]);
  produced.push([
    'bad json',
    await call('/runs/x', {
      method: 'POST',
      body: '{"window":',
      headers: { 'content-type': 'application/json' },
    }),
  ]);
  produced.push([
    'bad sign-in',
    await call(
      '/login',
      {
        method: 'POST',
        body: `token=${OPERATOR_TOKEN}x`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      null,
    ),
  ]);
  produced.push([
    'sign-in',
    await call(
      '/login',
      {
        method: 'POST',
        body: `token=${OPERATOR_TOKEN}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      null,
    ),
  ]);

  // /metrics of every service.
  for (const service of services) {
    produced.push([`metrics ${service.url}`, await (await fetch(`${service.url}/metrics`)).text()]);
  }

  // Every object the writers put on S3 (the result and caller CSVs).
  const servers = serverEnv();
  const s3 = createS3Client({ ...servers.s3, forcePathStyle: true });
  const bucket = world.env.S3_BUCKET!;
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const keys = (listing.Contents ?? []).map((object) => object.Key!);
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    produced.push([`s3 ${key}`, await object.Body!.transformToString()]);
  }
  s3.destroy();

  // Every document of every collection.
  for (const { name } of await world.mongo.db.listCollections().toArray()) {
    const documents = await world.mongo.db.collection(name).find().toArray();
    produced.push([`mongo ${name}`, JSON.stringify(documents)]);
  }

  // Every service's output last, so it holds what the requests above made them log; stopped
  // first (SIGTERM flushes their last spans), so the spans of those requests are in too.
  await Promise.all(services.map((s) => s.stop()));
  for (const service of services) produced.push([`output ${service.url}`, service.output()]);
  // Every span every service exported, attributes and events included, as it came over the wire.
  const spanServices = new Set(receiver.spans.map((span) => span.service));
  expect([...spanServices].sort()).toEqual(['config', 'csv-writer', 'extractor', 'van-writer']);
  expect(receiver.spans.length).toBeGreaterThan(100);
  receiver.rawBodies.forEach((body, i) => produced.push([`spans (export ${i + 1})`, body]));
  produced.push(['output extractor', extractorOutput]);

  const total = produced.reduce((sum, [, text]) => sum + text.length, 0);
  expect(total).toBeGreaterThan(100_000);
  const hits: string[] = [];
  for (const [secret, value] of secretForms()) {
    for (const [where, text] of produced) if (text.includes(value)) hits.push(`${secret} in ${where}`);
  }
  expect(hits).toEqual([]);
});
