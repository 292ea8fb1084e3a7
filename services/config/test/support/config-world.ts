import http from 'node:http';
import type { Db } from 'mongodb';
import type { AddressInfo } from 'node:net';
import {
  CONTRACT_FIXTURE_PATH,
  loadFixture,
  startAirtableSandbox,
  startVanSandbox,
  type AirtableBaseFixture,
  type AirtableSandbox,
  type VanSandbox,
} from '@call-sync/sandbox';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { serverEnv, uniqueName } from '../../../../test/support/env';
import { dropTestDatabase } from '../../../../test/support/mongo';
import { connectTestDb } from './calls';
import { checkAnswer } from './answer-check';

// One small, readable world for the config service's tests: a VAN sandbox with the contract
// fixture's two keys, an Airtable base with a good, a broken, a CSV-only, a MyCampaign and a
// wrong-mode candidate, two listing rows that cannot be read (no district, a mistyped strategy), a webhook that records the reports, and the built service itself.

export const API_TOKEN = 'test-token-0123456789abcdef';
/** An organiser's token: configure, validate, runs, reports — no resets, imports or refreshes. */
export const ORGANISER_TOKEN = 'organiser-token-0123456789';
/** An organiser limited to the good and the broken candidate. */
export const LIMITED_TOKEN = 'limited-organiser-token-0123';
/** API_TOKENS of the world: named tokens with roles, and one bare token (an operator, as before roles). */
export const API_TOKENS = [
  `ops:operator:${API_TOKEN}`,
  `olivia:organiser:${ORGANISER_TOKEN}`,
  `lee:organiser:good-candidate|broken-candidate:${LIMITED_TOKEN}`,
  'second-token-0123456789',
].join(',');
export const VAN_KEY_MYVOTERS = '11111111-aaaa-4bbb-8ccc-000000000001';
export const VAN_KEY_MYCAMPAIGN = '22222222-aaaa-4bbb-8ccc-000000000002';
export const AIRTABLE_TOKEN = 'patConfigServiceTestToken';
const BASE_ID = 'appConfigServiceTest';

type Fields = AirtableBaseFixture['tables'][string][number]['fields'];
const rows = (prefix: string, list: Fields[]) =>
  list.map((fields, i) => ({ id: `${prefix}${String(i + 1).padStart(4, '0')}`, fields }));

function airtableBase(): AirtableBaseFixture {
  return {
    baseId: BASE_ID,
    apiKeys: [AIRTABLE_TOKEN],
    tables: {
      Listing: rows('recList', [
        {
          'Reference Name': 'Good Candidate',
          'Service Names': 'GC Persuasion',
          'District Abbreviation': 'nc05',
          System: 'van',
          'API Key': VAN_KEY_MYVOTERS,
          Active: true,
          Strategy: 'full',
          'Send Report To': 'good@example.org',
          'Sync Time (EST)': 22,
        },
        {
          'Reference Name': 'Broken Candidate',
          'Service Names': 'BC Calls',
          'District Abbreviation': 'nc09',
          System: 'van',
          'API Key': VAN_KEY_MYVOTERS,
          Active: true,
          Strategy: 'hybrid',
          'Send Report To': 'broken@example.org',
          'Sync Time (EST)': 21,
        },
        {
          'Reference Name': 'Csv Candidate',
          'Service Names': 'CC Calls',
          'District Abbreviation': 'pa07',
          System: 'csv',
          Active: true,
          Strategy: 'all csv',
          'Send Report To': 'csv@example.org',
          'Sync Time (EST)': 21,
        },
        {
          'Reference Name': 'Myc Candidate',
          'District Abbreviation': 'va02',
          System: 'myc',
          'API Key': VAN_KEY_MYCAMPAIGN,
          Active: false,
          Strategy: 'full',
          'Sync Time (EST)': 20,
        },
        {
          'Reference Name': 'Wrong Mode Candidate',
          'District Abbreviation': 'va03',
          System: 'myc',
          'API Key': VAN_KEY_MYVOTERS,
          Active: true,
          Strategy: 'full',
          'Sync Time (EST)': 20,
        },
        { 'Reference Name': 'No District', System: 'van', Strategy: 'full', 'Sync Time (EST)': 20 },
        {
          'Reference Name': 'Typo Strategy',
          'District Abbreviation': 'oh02',
          System: 'csv',
          Strategy: 'hybird',
          'Sync Time (EST)': 20,
        },
      ]),
      'Good Candidate': rows('recGood', [
        {
          'Full On Screen Result': 'Strong Support',
          Success: true,
          'QR 1': '101,1011',
          Tags: '201',
          'Sync to System': true,
          'Display Name': 'Strong support',
        },
        {
          'Full On Screen Result': 'Not Home',
          'Canvass Result Code': '1',
          'Sync to System': true,
          'Display Name': 'Not home',
        },
        {
          'Full On Screen Result': 'Leaning',
          Success: true,
          'QR 1': '101,1012',
          'Include in CSV': true,
          'Display Name': 'Lean support',
        },
        { 'Full On Screen Result': 'Dropped', 'Display Name': 'Dropped' },
      ]),
      'Broken Candidate': rows('recBroken', [
        {
          'Full On Screen Result': 'Strong Support',
          Success: true,
          'QR 1': '101,1099',
          'Sync to System': true,
          'Display Name': 'Strong support',
        },
        {
          'Full On Screen Result': 'Not Home',
          'Canvass Result Code': '77',
          'Sync to System': true,
          'Display Name': 'Not home',
        },
        { 'Full On Screen Result': 'Busy', 'Sync to System': true, 'Display Name': 'Busy' },
        {
          'Full On Screen Result': 'Volunteer',
          Success: true,
          Tags: '999',
          'Sync to System': true,
          'Display Name': 'Volunteer <b>yes</b>',
        },
        { 'Full On Screen Result': 'Bad QR', Success: true, 'QR 1': 'abc', 'Sync to System': true },
        {
          'Full On Screen Result': 'Leaning',
          Success: true,
          'QR 1': '101,1012',
          'Include in CSV': true,
          'Display Name': 'Lean support',
        },
      ]),
      'Csv Candidate': rows('recCsv', [
        {
          'Full On Screen Result': 'Strong Support',
          Success: true,
          'QR 1': '101,1011',
          'Include in CSV': true,
          'Sync to System': true,
          'Display Name': 'Strong support',
        },
        {
          'Full On Screen Result': 'Not Home',
          'Canvass Result Code': '1',
          'Include in CSV': true,
          'Display Name': 'Not home',
        },
      ]),
      'Myc Candidate': rows('recMyc', [
        { 'Full On Screen Result': 'Donor', Success: true, Tags: '301', 'Sync to System': true },
      ]),
      'Wrong Mode Candidate': rows('recWrong', [
        { 'Full On Screen Result': 'Donor', Success: true, Tags: '301', 'Sync to System': true },
      ]),
      'Term Codes': rows('recTerm', [
        { 'LV Result': 'Agent Cust 1', 'Full On Screen Result': 'Strong Support', Contact: true },
        { 'LV Result': 'Agent Cust 2', 'Full On Screen Result': 'Leaning', Contact: true },
        { 'LV Result': 'Agent Cust 3', 'Full On Screen Result': 'Volunteer', Contact: true },
        { 'LV System Result': 'NO ANSWER', 'Full On Screen Result': 'Not Home' },
        { 'LV System Result': 'BUSY', 'Full On Screen Result': 'Busy' },
        { 'LV System Result': 'ABANDON', 'Full On Screen Result': 'Dropped', Dropped: true },
      ]),
    },
  };
}

interface WebhookReceiver {
  url: string;
  received: { to?: string; subject: string; text: string; candidate: string; runId: string }[];
  /** Answer the next `count` posts with a 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(500).end('mail relay down');
        return;
      }
      received.push(JSON.parse(body) as WebhookReceiver['received'][number]);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/report`,
    received,
    failNext: (count) => {
      failures = Math.max(0, failures + count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface ConfigWorld {
  van: VanSandbox;
  airtable: AirtableSandbox;
  base: AirtableBaseFixture;
  webhook: WebhookReceiver;
  service: ServiceProcess;
  env: Record<string, string>;
  database: string;
  /** The service's database, for a test to arrange or inspect documents (closed by `close`). */
  connectDb(): Promise<Db>;
  /** fetch against the service with the API token (unless `token: null`). */
  api(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  restartService(changes?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the world; `extraEnv` overrides the service's environment, and `airtableBases` replaces the
 * world's Airtable base (the service reads the first, with its first key).
 */
async function startConfigWorld(
  extraEnv: Record<string, string> = {},
  options: { airtableBases?: AirtableBaseFixture[] } = {},
): Promise<ConfigWorld> {
  const servers = serverEnv();
  const contract = loadFixture(CONTRACT_FIXTURE_PATH);
  const bases = options.airtableBases ?? [airtableBase()];
  const base = bases[0]!;
  const van = await startVanSandbox({ port: 0, fixture: contract.van });
  const airtable = await startAirtableSandbox({
    port: 0,
    fixture: { bases },
    knobs: { ratePerSecondPerBase: 0 },
  });
  const webhook = await startWebhookReceiver();
  const database = uniqueName('config');
  const env: Record<string, string> = {
    MONGODB_URL: servers.mongoUrl,
    MONGODB_DATABASE: database,
    KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    AIRTABLE_API_KEY: base.apiKeys[0]!,
    AIRTABLE_BASE_ID: base.baseId,
    AIRTABLE_ENDPOINT_URL: airtable.url,
    VAN_API_URL: van.url,
    VAN_APPLICATION_NAME: 'call-sync-test',
    VAN_TIMEOUT_MS: '5000',
    API_TOKENS,
    REPORT_WEBHOOK_URL: webhook.url,
    REPORT_RETRY_INTERVAL_MS: '500',
    KAFKA_CONSUMER_GROUP: uniqueName('config-reports'),
    ...extraEnv,
  };
  let service = await startServiceProcess('config', env, TEST_LAUNCH);
  let testDb: ReturnType<typeof connectTestDb> | undefined;
  const world: ConfigWorld = {
    van,
    airtable,
    base,
    webhook,
    get service() {
      return service;
    },
    env,
    database,
    async connectDb() {
      testDb ??= connectTestDb(database);
      return (await testDb).db;
    },
    async api(path, init = {}) {
      const { token = API_TOKEN, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      const url = `${service.url}${path}`;
      const response = await fetch(url, { ...rest, headers, redirect: 'manual' });
      await checkAnswer(rest.method ?? 'GET', url, response);
      return response;
    },
    async restartService(changes = {}) {
      await service.stop();
      Object.assign(env, changes);
      service = await startServiceProcess('config', env, TEST_LAUNCH);
    },
    async close() {
      await (await testDb)?.close();
      await service.stop();
      await Promise.all([van.close(), airtable.close(), webhook.close()]);
      await dropTestDatabase(servers.mongoUrl, database);
    },
  };
  return world;
}

/** A file's (or a describe's) world: `db` is its database, connected once the world has started. */
export interface ConfigWorldHandle extends ConfigWorld {
  readonly db: Db;
}

/**
 * Starts the world (as `startConfigWorld` does) before the tests of the file or describe it is
 * called in, connects its database, and closes it after them. The handle is returned at once, for
 * the tests to close over; it is read from hooks and tests, once the world has started.
 */
export function useConfigWorld(...args: Parameters<typeof startConfigWorld>): ConfigWorldHandle {
  let world: ConfigWorld | undefined;
  let db: Db | undefined;
  beforeAll(async () => {
    world = await startConfigWorld(...args);
    db = await world.connectDb();
  });
  afterAll(() => world?.close());
  return new Proxy({} as ConfigWorldHandle, {
    get(_target, key) {
      if (!world) throw new Error(`the config world is read (${String(key)}) before it has started`);
      return key === 'db' ? db : Reflect.get(world, key);
    },
  });
}
