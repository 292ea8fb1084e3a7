import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AirtableBaseFixture } from '@call-sync/sandbox';
import { API_TOKEN, useConfigWorld } from './support/config-world';

// The bad-input corpus (test/fixtures/bad/) fed through the running service: every bad file or
// row gets an answer naming what and where, nothing of a refused file is stored, and the
// service keeps serving the next request.

const CORPUS = path.resolve(__dirname, '../../../test/fixtures/bad');
const corpusFile = (name: string) => fs.readFileSync(path.join(CORPUS, name));
/** Small enough that the oversize test needs only a few hundred kB, large enough to hold a batch. */
const IMPORT_MAX_BYTES = 400_000;
const AIRTABLE = JSON.parse(corpusFile('airtable/broken-base.json').toString('utf8')) as {
  bases: AirtableBaseFixture[];
};
const BASE = AIRTABLE.bases[0]!;

const world = useConfigWorld(
  { IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES) },
  { airtableBases: AIRTABLE.bases },
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const upload = (body: string | Uint8Array, fileName: string) =>
  world.api(`/calls/import?service_name=GC%20Persuasion&file_name=${encodeURIComponent(fileName)}`, {
    method: 'POST',
    body: body as BodyInit,
    headers: { 'content-type': 'text/csv' },
  });
const storedIds = async (prefix: string) =>
  (
    await world.db
      .collection<{ id: string }>('calls')
      .find({ id: { $regex: `^${prefix}-` } }, { projection: { _id: 0, id: 1 } })
      .toArray()
  )
    .map((c) => c.id)
    .sort();
/** The service still answers, and a good upload after the bad one is stored. */
async function expectStillServing(): Promise<void> {
  expect((await fetch(`${world.service.url}/healthz`)).status).toBe(200);
}

describe('call-export CSVs', () => {
  afterEach(expectStillServing);

  test('missing columns are refused naming them, nothing stored, the job failed', async () => {
    const response = await upload(corpusFile('calls/missing-columns.csv'), 'missing-columns.csv');
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toBe('bad_csv');
    expect(body.detail).toMatch(/lacks account_number, result/);
    expect(body.import.state).toBe('failed');
    expect(await storedIds('mc')).toEqual([]);
  });

  test.each([
    ['a BOM and CRLF line ends', 'bom-crlf.csv', 'bom', ['bom-1', 'bom-2'], []],
    [
      'bare CR line ends',
      'bare-cr.csv',
      'cr',
      ['cr-1', 'cr-2'],
      [
        {
          line: 4,
          message: expect.stringMatching(/account number "nc05\/van\/1"/),
          text: 'cr-3,nc05/van/1,Bad,Account,9195550103,,20-10-2026 18:02:00,20-10-2026 18:02:30,vol_1,NO ANSWER,5501',
        },
      ],
    ],
  ])('%s are read as lines', async (_what, file, prefix, ids, rowErrors) => {
    const response = await upload(corpusFile(`calls/${file}`), file);
    expect(response.status).toBe(200);
    const job = await json(response);
    expect(job.counts).toMatchObject({ rows: ids.length + rowErrors.length, inserted: ids.length });
    expect(job.rowErrors).toEqual(rowErrors);
    expect(await storedIds(prefix)).toEqual(ids);
    const first = await world.db.collection('calls').findOne({ id: ids[0] });
    // The BOM must not stick to the first column's name, nor CR to the last value.
    expect(first).toMatchObject({
      account_number: `nc05-van-2000${prefix === 'bom' ? '01' : '11'}`,
      campaign_id: '5501',
    });
  });

  test('quotes, commas and line breaks inside names are kept; a row error after them has its file line', async () => {
    const response = await upload(corpusFile('calls/quoted-names.csv'), 'quoted-names.csv');
    expect(response.status).toBe(200);
    const job = await json(response);
    expect(job.counts).toMatchObject({ rows: 4, inserted: 2, errors: 2 });
    // qn-2 spans lines 3-4, so qn-3 is on line 5; qn-4 spans 6-7 and is named by its first line.
    expect(job.rowErrors).toEqual([
      {
        line: 5,
        message: expect.stringMatching(/result is empty/),
        text: 'qn-3,nc05-van-200023,Grace,Hopper,9195550103,,20-10-2026 18:02:00,20-10-2026 18:02:30,vol_1,,5501',
      },
      {
        line: 6,
        message: expect.stringMatching(/start: "31-02-2026 10:00:00" is not a calendar date/),
        // The row as the file has it, its line break inside the quotes kept.
        text: 'qn-4,nc05-van-200024,"Line\nBreak",Date,9195550104,,31-02-2026 10:00:00,20-10-2026 18:03:30,vol_1,NO ANSWER,5501',
      },
    ]);
    const calls = world.db.collection('calls');
    expect(await calls.findOne({ id: 'qn-1' })).toMatchObject({
      first_name: 'Ada "The Countess"',
      last_name: 'Lovelace, Byron',
    });
    expect(await calls.findOne({ id: 'qn-2' })).toMatchObject({
      first_name: 'Mary\nAnn',
      last_name: "O'Neil",
    });
  });

  test('a malformed and an impossible date (the spring-forward gap) are row errors; the other rows are stored', async () => {
    const response = await upload(corpusFile('calls/bad-dates.csv'), 'bad-dates.csv');
    expect(response.status).toBe(200);
    const job = await json(response);
    expect(job.counts).toMatchObject({ rows: 5, inserted: 2, errors: 3 });
    expect(job.rowErrors).toEqual([
      {
        line: 3,
        message: expect.stringMatching(/start: "2026-10-20T18:01:00Z"/),
        text: 'bd-2,nc05-van-200032,Alan,Turing,9195550102,,2026-10-20T18:01:00Z,20-10-2026 18:01:30,vol_1,NO ANSWER,5501',
      },
      {
        line: 4,
        message: expect.stringMatching(/start: "08-03-2026 02:30:00" does not exist in Eastern time/),
        text: 'bd-3,nc05-van-200033,Grace,Hopper,9195550103,,08-03-2026 02:30:00,08-03-2026 02:30:30,vol_1,NO ANSWER,5501',
      },
      {
        line: 5,
        message: expect.stringMatching(/start: "32-10-2026 18:03:00"/),
        text: 'bd-4,nc05-van-200034,Edsger,Dijkstra,9195550104,,32-10-2026 18:03:00,20-10-2026 18:03:30,vol_1,NO ANSWER,5501',
      },
    ]);
    expect(await storedIds('bd')).toEqual(['bd-1', 'bd-5']);
  });

  test('malformed account numbers are row errors naming the value; the other rows are stored', async () => {
    const response = await upload(corpusFile('calls/bad-accounts.csv'), 'bad-accounts.csv');
    expect(response.status).toBe(200);
    const job = await json(response);
    expect(job.counts).toMatchObject({ rows: 6, inserted: 2, errors: 4 });
    expect(job.rowErrors).toEqual([
      {
        line: 3,
        message: expect.stringMatching(/account number "nc05-van-" is not district-system-voterid/),
        text: 'ba-2,nc05-van-,Alan,Turing,9195550102,,20-10-2026 18:01:00,20-10-2026 18:01:30,vol_1,NO ANSWER,5501',
      },
      {
        line: 4,
        message: expect.stringMatching(/account number "nc05van200043"/),
        text: 'ba-3,nc05van200043,Grace,Hopper,9195550103,,20-10-2026 18:02:00,20-10-2026 18:02:30,vol_1,NO ANSWER,5501',
      },
      {
        line: 5,
        message: expect.stringMatching(/account number "nc05-van-2000x4"/),
        text: 'ba-4,nc05-van-2000x4,Edsger,Dijkstra,9195550104,,20-10-2026 18:03:00,20-10-2026 18:03:30,vol_1,NO ANSWER,5501',
      },
      {
        line: 6,
        message: expect.stringMatching(/account_number is empty|account number ""/),
        text: 'ba-5,,Barbara,Liskov,9195550105,,20-10-2026 18:04:00,20-10-2026 18:04:30,vol_1,NO ANSWER,5501',
      },
    ]);
    expect(await storedIds('ba')).toEqual(['ba-1', 'ba-6']);
  });

  test.each([
    ['an empty file', 'empty.csv'],
    ['a header-only file', 'header-only.csv'],
  ])('%s gets a clear answer and stores nothing', async (_what, file) => {
    const before = await world.db.collection('calls').countDocuments();
    const response = await upload(corpusFile(`calls/${file}`), file);
    const body = await json(response);
    expect(response.status).toBe(422);
    expect(body.error).toBe('bad_csv');
    expect(body.detail).toMatch(
      file === 'empty.csv' ? /the file is empty/ : /has a header but no rows after it/,
    );
    expect(body.import.state).toBe('failed');
    expect(await world.db.collection('calls').countDocuments()).toBe(before);
  });

  test.each([
    ['random bytes', () => randomBytes(4096)],
    ['a PNG', () => corpusFile('../../../docs/screenshots/runs.png').subarray(0, 8192)],
  ])('a binary file (%s) is refused as not text', async (_what, bytes) => {
    const before = await world.db.collection('calls').countDocuments();
    const response = await upload(bytes(), 'binary.bin');
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toBe('bad_csv');
    expect(body.detail).toMatch(/not a text file/);
    expect(await world.db.collection('calls').countDocuments()).toBe(before);
  });

  test('an unclosed quote is refused at the longest row the service reads, naming where', async () => {
    const header = corpusFile('calls/header-only.csv').toString('utf8').trim();
    const good =
      'uq-1,nc05-van-400001,Ada,Lovelace,9195550101,,20-10-2026 18:00:00,20-10-2026 18:00:30,vol_1,NO ANSWER,5501';
    // The quote opened in the name is never closed: every later line would belong to that field.
    const rest = Array.from({ length: 3000 }, (_, i) => good.replace('uq-1', `uq-${i + 3}`)).join('\n');
    const csv = `${header}\n${good}\nuq-2,nc05-van-400002,"Ada,Lovelace,9195550101\n${rest}\n`;
    expect(csv.length).toBeLessThan(IMPORT_MAX_BYTES);
    const response = await upload(csv, 'unclosed-quote.csv');
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toBe('bad_csv');
    expect(body.detail).toMatch(/^a row is longer than 65536 bytes by line \d+ \(an unclosed quote/);
    // Refused once the row outgrew the bound, not after the whole file was held as one field.
    expect(Number(/by line (\d+)/.exec(body.detail)![1])).toBeLessThan(csv.split('\n').length / 2);
    expect(body.import.state).toBe('failed');
  });

  /** A valid export of `rows` rows, about 120 bytes each. */
  const generatedExport = (rows: number, prefix: string) => {
    const lines = [fs.readFileSync(path.join(CORPUS, 'calls/header-only.csv'), 'utf8').trim()];
    for (let i = 0; i < rows; i += 1)
      lines.push(
        `${prefix}-${i},nc05-van-${300_000 + i},Ada,Lovelace,9195550101,,20-10-2026 18:00:00,20-10-2026 18:00:30,vol_1,NO ANSWER,5501`,
      );
    return Buffer.from(`${lines.join('\n')}\n`);
  };

  test('a file above the limit is a 413 naming the limit, declared or streamed, and nothing of it is stored', async () => {
    const csv = generatedExport(5000, 'big');
    expect(csv.length).toBeGreaterThan(IMPORT_MAX_BYTES);

    const declared = await upload(csv, 'big.csv');
    expect(declared.status).toBe(413);
    expect((await json(declared)).detail).toBe(`the upload is larger than ${IMPORT_MAX_BYTES} bytes`);

    // Without a Content-Length the limit is found while reading, after more than one batch of rows.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${world.service.url}/calls/import?file_name=big-streamed.csv`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          'content-type': 'text/csv',
          'transfer-encoding': 'chunked',
        },
      });
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', (error) => (request.writableEnded ? undefined : reject(error)));
      for (let at = 0; at < csv.length; at += 16_384) request.write(csv.subarray(at, at + 16_384));
      request.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({
      error: 'too_large',
      detail: `the upload is larger than ${IMPORT_MAX_BYTES} bytes`,
      import: { state: 'failed' },
    });
    expect(await storedIds('big')).toEqual([]);

    // A good file right after is stored.
    const good = await upload(generatedExport(3, 'after'), 'after.csv');
    expect(good.status).toBe(200);
    expect(await storedIds('after')).toEqual(['after-0', 'after-1', 'after-2']);
  }, 60_000);
});

describe('an Airtable base with broken rows and a vanished table', () => {
  afterEach(expectStillServing);
  type Listed = {
    slug: string;
    configurationErrors: { table: string; rowId: string; field: string; message: string }[];
  };
  const candidates = async () => {
    const response = await world.api('/candidates');
    expect(response.status).toBe(200);
    const body = await json(response);
    return { body, bySlug: new Map<string, Listed>(body.candidates.map((c: Listed) => [c.slug, c])) };
  };

  test('/candidates names each broken row by table, row and field, and the good candidate is unaffected', async () => {
    const { body, bySlug } = await candidates();
    expect([...bySlug.keys()].sort()).toEqual(['good-candidate', 'messy-rows', 'no-table', 'soon-gone']);
    expect(bySlug.get('good-candidate')?.configurationErrors).toEqual([]);
    expect(body.configurationErrors).toContainEqual(
      expect.objectContaining({
        table: 'Listing',
        rowId: 'recList0002',
        field: 'Strategy',
        message: expect.stringContaining('got "round robin"'),
      }),
    );
    // A slug names S3 keys and pages: one with a `/` or `..` is refused, never a candidate.
    expect(body.configurationErrors).toContainEqual({
      table: 'Listing',
      rowId: 'recList0006',
      field: 'Reference Name',
      message:
        'gives the slug "smith-/-../jones", which is not lowercase letters, digits and dashes (it names files and pages)',
    });
    expect(bySlug.get('messy-rows')?.configurationErrors).toEqual([
      {
        table: 'Messy Rows',
        rowId: 'recMessy0002',
        field: 'Canvass Result Code',
        message: 'must be a whole number id, got "1.5"',
      },
      {
        table: 'Messy Rows',
        rowId: 'recMessy0003',
        field: 'Canvass Result Code',
        message: 'must be a whole number id, got "two"',
      },
      {
        table: 'Messy Rows',
        rowId: 'recMessy0004',
        field: 'QR 1',
        message: 'must be questionId,responseId (two whole numbers), got "101;1012"',
      },
      {
        table: 'Messy Rows',
        rowId: 'recMessy0005',
        field: 'QR 1',
        message: 'must be questionId,responseId (two whole numbers), got "101,1011,7"',
      },
    ]);
    expect(bySlug.get('no-table')?.configurationErrors).toEqual([
      expect.objectContaining({ table: 'No Table', message: expect.stringMatching(/result table/) }),
    ]);
  });

  test('/validate names the broken rows of one candidate and passes the good one', async () => {
    const good = await json(await world.api('/validate/good-candidate'));
    expect(good.ok).toBe(true);

    const messy = await json(await world.api('/validate/messy-rows'));
    expect(messy.ok).toBe(false);
    const failed = (result: string): string[] =>
      messy.rows
        .find((r: { fullOnScreenResult: string }) => r.fullOnScreenResult === result)
        ?.checks.filter((c: { ok: boolean }) => !c.ok)
        .map((c: { message: string }) => c.message) ?? ['row missing'];
    expect(failed('strong support')).toEqual([]);
    expect(failed('not home').join()).toMatch(/Canvass Result Code must be a whole number id, got "1.5"/);
    expect(failed('busy').join()).toMatch(/Canvass Result Code must be a whole number id, got "two"/);
    expect(failed('leaning').join()).toMatch(/QR 1 must be questionId,responseId/);
    expect(failed('volunteer').join()).toMatch(/QR 1 must be questionId,responseId .*"101,1011,7"/);

    const strategy = await json(await world.api('/validate/round-robin'));
    expect(strategy.ok).toBe(false);
    expect(strategy.tableErrors).toEqual([
      expect.objectContaining({ table: 'Listing', rowId: 'recList0002', field: 'Strategy' }),
    ]);

    const noTable = await json(await world.api('/validate/no-table'));
    expect(noTable.ok).toBe(false);
    expect(JSON.stringify(noTable)).toMatch(/No Table.*result table|result table.*No Table/);
  });

  test('a result table that vanishes before a refresh is reported for its candidate only', async () => {
    const before = await json(await world.api('/validate/soon-gone'));
    expect(before).toMatchObject({ ok: true, tableErrors: [] });
    delete BASE.tables['Soon Gone'];
    const refresh = await world.api('/config/refresh', { method: 'POST' });
    expect(refresh.status).toBeLessThan(300);

    const { bySlug } = await candidates();
    expect(bySlug.get('soon-gone')?.configurationErrors).toEqual([
      expect.objectContaining({
        table: 'Soon Gone',
        message: expect.stringMatching(/result table could not be read: .*404.*Soon Gone/),
      }),
    ]);
    expect(bySlug.get('good-candidate')?.configurationErrors).toEqual([]);
    const gone = await json(await world.api('/validate/soon-gone'));
    expect(gone.ok).toBe(false);
    expect((await json(await world.api('/validate/good-candidate'))).ok).toBe(true);
  });
});
