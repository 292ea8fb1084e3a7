// One row of the dialer's call-export CSV → a call document ready to upsert by its id. The file
// is read elsewhere (csv-parse, streaming); here each row either becomes a call, is a test
// call to skip, or is an error with its line number — one bad row never stops an import.

import { isTestAccount, parseAccountNumber, type Call, type Parsed } from './call';
import { resolveEasternWallClock } from './eastern-time';
import { applyTermCodes, type TermCodeIndex } from './term-codes';

/**
 * One call as the dialer reports it: the columns of its call-export CSV, which Livevox's call
 * detail answers with too. The sandbox serves rows of this shape, and the Livevox client reads them.
 */
export interface LivevoxCallRow {
  id: string;
  account_number: string;
  first_name: string;
  last_name: string;
  phone_dialed: string;
  /** `DD-MM-YYYY HH:MM:SS`, Eastern, like the CSV export. */
  connect: string;
  start: string;
  finish: string;
  caller_login: string;
  result: string;
  campaign_id: string;
  service_name: string;
  /**
   * VAN's phone id of the dialed number, where a campaign's list load carries it (the export's
   * `phone_id` column); '' or absent when the call has none.
   */
  phone_id?: string;
}

/** The columns an imported call-export file must have. */
export const LIVEVOX_EXPORT_COLUMNS = [
  'id',
  'account_number',
  'first_name',
  'last_name',
  'phone_dialed',
  'connect',
  'start',
  'finish',
  'caller_login',
  'result',
  'campaign_id',
  'phone_id',
] as const satisfies readonly (keyof LivevoxCallRow)[];

/** A parsed CSV row: header → cell. */
export type LivevoxExportRow = Readonly<Record<string, string | undefined>>;

export type ExportRowOutcome =
  | { kind: 'call'; call: Call }
  | { kind: 'test-account'; line: number }
  | { kind: 'error'; line: number; message: string };

export interface ExportImportContext {
  termCodes: TermCodeIndex;
  /** The candidate slug for a district, to fill `calls.client`. */
  clientForDistrict?: (district: string) => string | undefined;
  serviceName?: string;
}

export interface ExportImportSummary {
  calls: Call[];
  testAccountsSkipped: number;
  errors: { line: number; message: string }[];
}

const EXPORT_TIME = /^(\d{1,2})-(\d{1,2})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * `DD-MM-YYYY HH:MM:SS`, Eastern. A time in the spring-forward gap never happened, so it is
 * an error rather than a guess; a fall-back time is read as its first occurrence (EDT), the
 * reading the dialer's own reports use.
 */
export function parseExportTime(text: string): Parsed<Date> {
  const match = EXPORT_TIME.exec(text.trim());
  if (!match) return { ok: false, error: `"${text}" is not a DD-MM-YYYY HH:MM:SS time` };
  const [day, month, year, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  let resolved;
  try {
    resolved = resolveEasternWallClock({ year, month, day, hour, minute, second });
  } catch {
    return { ok: false, error: `"${text}" is not a calendar date and time` };
  }
  switch (resolved.kind) {
    case 'unique':
      return { ok: true, value: resolved.instant };
    case 'repeated':
      return { ok: true, value: resolved.first };
    case 'skipped':
      return {
        ok: false,
        error: `"${text}" does not exist in Eastern time (skipped by the spring-forward change)`,
      };
  }
}

const cell = (row: LivevoxExportRow, column: string): string => (row[column] ?? '').trim();

function optionalTime(row: LivevoxExportRow, column: string): Parsed<Date | undefined> {
  const text = cell(row, column);
  if (text === '') return { ok: true, value: undefined };
  const parsed = parseExportTime(text);
  return parsed.ok ? parsed : { ok: false, error: `${column}: ${parsed.error}` };
}

/** VAN phone ids are positive whole numbers; anything else is not one, and is not sent. */
function optionalPhoneId(row: LivevoxExportRow): Parsed<number | undefined> {
  const text = cell(row, 'phone_id');
  if (text === '') return { ok: true, value: undefined };
  const id = /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isSafeInteger(id) && id > 0) return { ok: true, value: id };
  return { ok: false, error: `phone_id "${text}" is not a VAN phone id (a whole number)` };
}

/** `line` is the file's line number (the header is line 1), for errors people can find. */
export function parseLivevoxExportRow(
  row: LivevoxExportRow,
  line: number,
  context: ExportImportContext,
): ExportRowOutcome {
  const fail = (message: string): ExportRowOutcome => ({ kind: 'error', line, message });
  const accountNumber = cell(row, 'account_number');
  if (isTestAccount(accountNumber)) return { kind: 'test-account', line };

  const id = cell(row, 'id');
  if (id === '') return fail('id is empty');
  const account = parseAccountNumber(accountNumber);
  if (!account.ok) return fail(account.error);
  const result = cell(row, 'result');
  if (result === '') return fail('result is empty');
  if (cell(row, 'start') === '') return fail('start is empty');
  const start = parseExportTime(cell(row, 'start'));
  if (!start.ok) return fail(`start: ${start.error}`);
  const connect = optionalTime(row, 'connect');
  if (!connect.ok) return fail(connect.error);
  const finish = optionalTime(row, 'finish');
  if (!finish.ok) return fail(finish.error);
  // A wrong phone id would mark a stranger's phone in VAN: the row is refused, not posted without it.
  const phoneId = optionalPhoneId(row);
  if (!phoneId.ok) return fail(phoneId.error);

  const attributes = applyTermCodes(result, context.termCodes);
  const client = context.clientForDistrict?.(account.value.district);
  const campaignId = cell(row, 'campaign_id');
  // Built field by field, the term code's attributes added after: spreading them first (an
  // object with any keys) made V8 build every call in its slow dictionary mode, ~30 µs a row.
  const call: Call = {
    id,
    account_number: accountNumber,
    district: account.value.district,
    system_id: account.value.system,
    voter_id: account.value.voterId,
    first_name: cell(row, 'first_name'),
    last_name: cell(row, 'last_name'),
    phone_dialed: cell(row, 'phone_dialed'),
    start_time: start.value,
    timestamp: start.value,
    caller_login: cell(row, 'caller_login'),
    lv_result: result,
    full_on_screen_result: attributes.full_on_screen_result ?? result,
  };
  // The row's own fields win over an attribute of the same name, as they always have.
  for (const [name, value] of Object.entries(attributes)) {
    if (!(name in call)) (call as unknown as Record<string, unknown>)[name] = value;
  }
  if (connect.value) call.connect_time = connect.value;
  if (finish.value) call.finish_time = finish.value;
  if (phoneId.value !== undefined) call.phone_id = phoneId.value;
  if (client !== undefined) call.client = client;
  if (campaignId !== '') call.campaign_id = campaignId;
  if (context.serviceName !== undefined) call.service_name = context.serviceName;
  return { kind: 'call', call };
}

export function parseLivevoxExport(
  rows: Iterable<LivevoxExportRow>,
  context: ExportImportContext,
): ExportImportSummary {
  const summary: ExportImportSummary = { calls: [], testAccountsSkipped: 0, errors: [] };
  let line = 1;
  for (const row of rows) {
    line += 1;
    const outcome = parseLivevoxExportRow(row, line, context);
    if (outcome.kind === 'call') summary.calls.push(outcome.call);
    else if (outcome.kind === 'test-account') summary.testAccountsSkipped += 1;
    else summary.errors.push({ line: outcome.line, message: outcome.message });
  }
  return summary;
}
