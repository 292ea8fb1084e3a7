import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Collections, createMetricsRegistry } from '@call-sync/platform';
import { callsCollection } from '@call-sync/store';
import { auditReports } from '../src/audit-reports';
import {
  configurationOf,
  createTestDatabase,
  logger,
  makeCall,
  type TestDatabase,
} from './support/extractor-world';

let database: TestDatabase;
let webhook: { url: string; received: unknown[]; close(): Promise<void> };

/** The alert channel's edge: a local webhook that records what it is sent. */
async function startWebhook(): Promise<typeof webhook> {
  const received: unknown[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body));
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  database = await createTestDatabase('audit-reports');
  webhook = await startWebhook();
});

afterAll(async () => {
  await webhook.close();
  await database.drop();
});

beforeEach(async () => {
  webhook.received.length = 0;
  await database.db.collection(Collections.Reports).deleteMany({});
  await callsCollection(database.db).deleteMany({});
});

const HOUR = 3_600_000;
const now = new Date('2026-10-21T12:00:00Z'); // 8 am Eastern, the audit's hour
const configuration = configurationOf([
  { name: 'Good Candidate', district: 'nc05', active: true },
  { name: 'Retired Candidate', district: 'nc09', active: false },
]);

async function metricValue(registry: ReturnType<typeof createMetricsRegistry>, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  // Without the registry's default `component` label.
  return metric?.values.map(({ labels: { component: _component, ...labels }, value }) => ({ labels, value }));
}

test('a candidate with calls and no report in 12 hours is alerted on the webhook and in the metrics', async () => {
  const { db } = database;
  expect([...configuration.candidates.keys()]).toEqual(['good-candidate', 'retired-candidate']);
  await callsCollection(db).insertMany([
    makeCall({ timestamp: new Date(now.getTime() - 10 * HOUR), client: 'good-candidate' }),
    // A phone bank that still dials for a client no longer in the listing is expected too.
    makeCall({ timestamp: new Date(now.getTime() - 20 * HOUR), client: 'orphan-client', district: 'ga01' }),
    // Calls from two days ago ask for nothing.
    makeCall({
      timestamp: new Date(now.getTime() - 40 * HOUR),
      client: 'retired-candidate',
      district: 'nc09',
    }),
  ]);
  // A report 13 hours old is too old.
  await db.collection(Collections.Reports).insertOne({
    _id: 'run-1' as never,
    candidate: 'good-candidate',
    createdAt: new Date(now.getTime() - 13 * HOUR),
  });
  const registry = createMetricsRegistry('extractor');

  const audit = await auditReports(
    { db, logger, registry, alertWebhookUrl: webhook.url },
    configuration,
    now,
  );

  expect(audit).toEqual({
    expected: ['good-candidate', 'orphan-client'],
    missing: ['good-candidate', 'orphan-client'],
    alerted: true,
  });
  expect(webhook.received).toEqual([
    {
      text: 'call-sync: no report in the last 12 hours for good-candidate, orphan-client. Check their runs.',
      missing: ['good-candidate', 'orphan-client'],
    },
  ]);
  expect(await metricValue(registry, 'callsync_reports_missing')).toEqual([{ labels: {}, value: 2 }]);
  expect(await metricValue(registry, 'callsync_run_alerts_total')).toEqual([
    { labels: { reason: 'report_missing' }, value: 2 },
  ]);
});

test('a candidate with a report in the last 12 hours raises nothing', async () => {
  const { db } = database;
  await callsCollection(db).insertOne(
    makeCall({ timestamp: new Date(now.getTime() - 10 * HOUR), client: 'good-candidate' }),
  );
  await db.collection(Collections.Reports).insertOne({
    _id: 'run-2' as never,
    candidate: 'good-candidate',
    createdAt: new Date(now.getTime() - 9 * HOUR),
  });
  const registry = createMetricsRegistry('extractor');

  const audit = await auditReports(
    { db, logger, registry, alertWebhookUrl: webhook.url },
    configuration,
    now,
  );

  expect(audit).toEqual({ expected: ['good-candidate'], missing: [], alerted: false });
  expect(webhook.received).toEqual([]);
  expect(await metricValue(registry, 'callsync_reports_missing')).toEqual([{ labels: {}, value: 0 }]);
  expect((await metricValue(registry, 'callsync_run_alerts_total')) ?? []).toEqual([]);
});
