import http from 'node:http';
import fs from 'node:fs';
import { waitForValue } from '@call-sync/testkit';
import { EXPORT_HEADER } from './support/calls';
import { API_TOKEN, useConfigWorld } from './support/config-world';

const world = useConfigWorld();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const RESULTS = ['Agent Cust 1 (167)', 'NO ANSWER', 'ABANDON', 'Agent Cust 2 (12)'];

const pad = (n: number) => String(n).padStart(2, '0');
/** A dialer time on 20 October 2026 (EDT), `DD-MM-YYYY HH:MM:SS`. */
const octoberTime = (seconds: number) => {
  const s = seconds % 14_400; // within four evening hours
  return `20-10-2026 ${pad(17 + Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
};

/** The expected problem rows, by 0-based row index, and what their error says. */
const BAD_ROWS = new Map<number, RegExp>([
  [10, /account number "nc05\/van\/x" is not district-system-voterid/],
  [25_000, /result is empty/],
  [50_000, /start: "08-03-2026 02:30:00" does not exist in Eastern time/],
  [75_000, /start: "31-02-2026 10:00:00" is not a calendar date/],
  [99_998, /id is empty/],
]);
const TEST_ROWS = new Set([5, 60_000, 99_000]);

function exportCsv(rows: number, idPrefix: string): string {
  const lines = [EXPORT_HEADER];
  for (let i = 0; i < rows; i += 1) {
    let id = `${idPrefix}-${i}`;
    let account = `nc05-van-${100_000 + (i % 90_000)}`;
    let start = octoberTime(i);
    let result = RESULTS[i % RESULTS.length]!;
    if (i === 10) account = 'nc05/van/x';
    if (i === 25_000) result = '';
    if (i === 50_000) start = '08-03-2026 02:30:00';
    if (i === 75_000) start = '31-02-2026 10:00:00';
    if (i === 99_998) id = '';
    if (TEST_ROWS.has(i)) account = i === 60_000 ? '123457' : `TEST${i}`;
    lines.push(
      `${id},${account},"Ada ${i}","Love, lace",919555${String(i % 10_000).padStart(4, '0')},${octoberTime(i + 5)},${start},${octoberTime(i + 90)},vol_${i % 40},${result},5501`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const upload = (csv: string | Uint8Array, query = '') =>
  world.api(`/calls/import${query}`, {
    method: 'POST',
    body: csv as BodyInit,
    headers: { 'content-type': 'text/csv' },
  });

function peakMemoryMb(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

test('a 100k-row export is imported in batches with per-row errors, progress, and is idempotent on re-upload', async () => {
  const csv = Buffer.from(exportCsv(100_000, 'big'));
  const started = Date.now();
  const pending = upload(csv, '?service_name=GC%20Persuasion&file_name=export.csv');

  // While it runs, the job shows its progress.
  const running = await waitForValue(
    async () => {
      const list = await json(await world.api('/calls/imports'));
      const job = list.imports.find((j: { fileName?: string }) => j.fileName === 'export.csv');
      return job && (job.state !== 'running' || job.counts.rows > 0) ? job : undefined;
    },
    { timeoutMs: 60_000, what: 'the import job listed' },
  );
  expect(['running', 'completed']).toContain(running.state);

  const response = await pending;
  const elapsedMs = Date.now() - started;
  expect(response.status).toBe(200);
  const job = await json(response);
  console.log(
    `100k-row import (${(csv.length / 1e6).toFixed(1)} MB): ${elapsedMs} ms, ${Math.round(100_000 / (elapsedMs / 1000))} rows/s; ` +
      `service peak RSS ${peakMemoryMb(world.service.child.pid)} MB`,
  );
  expect(job).toMatchObject({
    state: 'completed',
    fileName: 'export.csv',
    counts: {
      rows: 100_000,
      inserted: 100_000 - BAD_ROWS.size - TEST_ROWS.size,
      updated: 0,
      testAccountsSkipped: TEST_ROWS.size,
      errors: BAD_ROWS.size,
    },
  });
  expect(job.rowErrors).toHaveLength(BAD_ROWS.size);
  for (const [index, message] of BAD_ROWS) {
    // Line numbers count the header as line 1.
    expect(job.rowErrors).toContainEqual({
      line: index + 2,
      message: expect.stringMatching(message),
      text: expect.stringMatching(/^\S*,\S+,"Ada \d+","Love, lace",/),
    });
  }
  expect(response.headers.get('location')).toBe(`/calls/imports/${job.importId}`);
  const stored = await json(await world.api(`/calls/imports/${job.importId}`));
  expect(stored).toMatchObject({ state: 'completed', counts: job.counts, rowErrors: job.rowErrors });

  const calls = world.db.collection('calls');
  expect(await calls.countDocuments({ id: /^big-/ })).toBe(job.counts.inserted);
  const first = await calls.findOne({ id: 'big-0' }, { projection: { _id: 0 } });
  expect(first).toMatchObject({
    account_number: 'nc05-van-100000',
    district: 'nc05',
    system_id: 'van',
    voter_id: '100000',
    last_name: 'Love, lace',
    lv_result: 'Agent Cust 1 (167)',
    full_on_screen_result: 'Strong Support',
    contact: true,
    client: 'good-candidate',
    service_name: 'GC Persuasion',
    campaign_id: '5501',
    timestamp: new Date('2026-10-20T21:00:00Z'),
  });
  expect(first).not.toHaveProperty('sync_status');
  expect(await calls.findOne({ id: 'big-2' })).toMatchObject({ dropped: true });

  // A run syncs some calls; re-uploading the same file must not un-sync them or duplicate anything.
  const receipt = { kind: 'csv', url: 'https://example.org/x.csv' };
  await calls.updateMany(
    { id: { $in: ['big-0', 'big-1', 'big-3'] } },
    { $set: { sync_status: 'finished', run_id: 'run-1', receipt } },
  );
  const again = await json(await upload(csv, '?service_name=GC%20Persuasion'));
  expect(again.counts).toMatchObject({
    rows: 100_000,
    inserted: 0,
    updated: 0,
    unchanged: 100_000 - BAD_ROWS.size - TEST_ROWS.size,
  });
  expect(await calls.countDocuments({ id: /^big-/ })).toBe(job.counts.inserted);
  expect(await calls.findOne({ id: 'big-1' })).toMatchObject({
    sync_status: 'finished',
    run_id: 'run-1',
    receipt,
  });
  // Two passes over 100k rows against the local MongoDB-wire server: ~1 minute on a quiet machine,
  // over two on a loaded one. The time is the benchmark's business (bench/), not this test's.
}, 420_000);

test("a phone_id column stores VAN's phone id on the calls that have one; a bad one is a row error", async () => {
  const csv = [
    `${EXPORT_HEADER},phone_id`,
    'ph-1,nc05-van-100001,Ada,Lovelace,9195550101,,20-10-2026 18:00:00,20-10-2026 18:00:30,vol_1,NO ANSWER,5501,40012345',
    'ph-2,nc05-van-100002,Alan,Turing,9195550102,,20-10-2026 18:01:00,20-10-2026 18:01:30,vol_1,NO ANSWER,5501,',
    'ph-3,nc05-van-100003,Grace,Hopper,9195550103,,20-10-2026 18:02:00,20-10-2026 18:02:30,vol_1,NO ANSWER,5501,4001x',
  ].join('\n');
  const response = await upload(`${csv}\n`, '?service_name=GC%20Persuasion');
  expect(response.status).toBe(200);
  const job = await json(response);
  expect(job.counts).toMatchObject({ rows: 3, inserted: 2, errors: 1 });
  expect(job.rowErrors).toEqual([
    {
      line: 4,
      message: 'phone_id "4001x" is not a VAN phone id (a whole number)',
      text: 'ph-3,nc05-van-100003,Grace,Hopper,9195550103,,20-10-2026 18:02:00,20-10-2026 18:02:30,vol_1,NO ANSWER,5501,4001x',
    },
  ]);
  const calls = world.db.collection('calls');
  expect(await calls.findOne({ id: 'ph-1' })).toMatchObject({ phone_id: 40012345 });
  expect(await calls.findOne({ id: 'ph-2' })).not.toHaveProperty('phone_id');
  expect(await calls.findOne({ id: 'ph-3' })).toBeNull();
});

test('a file without the export columns is refused before anything is stored', async () => {
  const response = await upload('name,phone\nAda,9195550101\n');
  expect(response.status).toBe(400);
  const body = await json(response);
  expect(body.error).toBe('bad_csv');
  expect(body.detail).toMatch(/lacks id, account_number, start, result/);
  expect(body.import.state).toBe('failed');
});

test('a file that is not CSV at all says so', async () => {
  const response = await upload(`${EXPORT_HEADER}\n"unclosed,quote\n`);
  expect(response.status).toBe(400);
  expect((await json(response)).detail).toMatch(/not readable CSV/);
});

test('an upload that is not text/csv, or larger than allowed, is refused', async () => {
  const wrongType = await world.api('/calls/import', {
    method: 'POST',
    body: JSON.stringify({ id: 1 }),
    headers: { 'content-type': 'application/json' },
  });
  expect(wrongType.status).toBe(415);

  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(`${world.service.url}/calls/import`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'text/csv',
        'content-length': String(2 * 1024 * 1024 * 1024),
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.on('error', reject);
    request.write(`${EXPORT_HEADER}\n`);
  });
  expect(status).toBe(413);
  expect((await world.api('/calls/imports/not-an-id')).status).toBe(400);
});

test('an import whose config process died is read as failed, interrupted; a live one stays running', async () => {
  const KILLED = '6f1c2a4e-0b7d-4c55-9a43-0d2a7b1e9c01';
  const LIVE = '6f1c2a4e-0b7d-4c55-9a43-0d2a7b1e9c02';
  const imports = world.db.collection<{ _id: string; [field: string]: unknown }>('imports');
  // One clock reading, so the stored start and last heartbeat are exactly two minutes apart.
  const now = Date.now();
  const minutesAgo = (m: number) => new Date(now - m * 60_000);
  const base = {
    bytesRead: 4096,
    rowErrors: [],
    counts: { rows: 2000, inserted: 2000, updated: 0, unchanged: 0, testAccountsSkipped: 0, errors: 0 },
  };
  await imports.insertMany([
    {
      _id: KILLED,
      importId: KILLED,
      state: 'running',
      ...base,
      startedAt: minutesAgo(12),
      updatedAt: minutesAgo(10),
    },
    {
      _id: LIVE,
      importId: LIVE,
      state: 'running',
      ...base,
      startedAt: minutesAgo(1),
      updatedAt: new Date(now),
    },
  ]);

  const killed = await json(await world.api(`/calls/imports/${KILLED}`));
  expect(killed).toMatchObject({ importId: KILLED, state: 'failed' });
  expect(killed.error).toMatch(/^interrupted: the config service stopped during this import/);
  expect(await imports.findOne({ _id: KILLED })).toMatchObject({
    state: 'failed',
    durationMs: 120_000,
  });

  const listed = (await json(await world.api('/calls/imports'))).imports as {
    importId: string;
    state: string;
  }[];
  expect(listed.find((i) => i.importId === LIVE)?.state).toBe('running');
  expect(listed.find((i) => i.importId === KILLED)?.state).toBe('failed');
  expect(await imports.findOne({ _id: LIVE })).toMatchObject({ state: 'running' });
});
