// Reading the Airtable base that organisers edit by hand. Anything can be in a cell, so every
// reader returns the rows it could read *and* one error per problem: a broken row never hides
// the others (docs/behaviour.md#configuration), and the validate page shows each error with its table, row and field.

import {
  CANDIDATE_SLUG,
  CANDIDATE_SYSTEMS,
  STRATEGIES,
  SYNC_MODES,
  slugForReferenceName,
  type Candidate,
} from './candidate';
import type { QuestionResponsePair, ResultConfigRow, SuccessSetting } from './result-config';
import { resultKey } from './result-config';
import { Secret } from './secret';
import { DEFAULT_CONTACT_TYPE_NAME } from './van-canvass';
import { normaliseLivevoxResult, type TermCode, type TermCodeAttributes } from './term-codes';

/** A record as Airtable REST v0 returns it (unchecked checkboxes and empty cells are absent). */
export interface AirtableRecord {
  id: string;
  fields: Record<string, unknown>;
}

export interface ConfigError {
  table: string;
  rowId: string;
  field: string;
  message: string;
  /**
   * The candidate a broken listing row was meant to be, when its Reference Name could be read:
   * the pages answer that candidate's URL with these errors instead of "unknown candidate".
   */
  slug?: string;
}

export interface ParsedTable<T> {
  ok: T[];
  errors: ConfigError[];
}

export const LISTING_TABLE = 'Listing';
export const TERM_CODES_TABLE = 'Term Codes';
/** The listing field that holds a candidate's VAN key: a secret wherever the listing is copied. */
export const LISTING_API_KEY_FIELD = 'API Key';

type Read<T> = { ok: true; value: T } | { ok: false; message: string };

const isBlank = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

function readText(value: unknown): string | undefined {
  if (isBlank(value)) return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Airtable omits an unchecked checkbox, so absent is false; anything but a boolean is an error. */
function readCheckbox(value: unknown): Read<boolean> {
  if (value === undefined || value === null) return { ok: true, value: false };
  if (typeof value === 'boolean') return { ok: true, value };
  return { ok: false, message: `must be a checkbox (true/false), got ${describe(value)}` };
}

/** Ids are often typed as text; "123" is 123, "12a" or 1.5 is an error. */
function readId(value: unknown): Read<number> {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return { ok: true, value };
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) {
    const id = Number(value.trim());
    if (Number.isSafeInteger(id) && id > 0) return { ok: true, value: id };
  }
  return { ok: false, message: `must be a whole number id, got ${describe(value)}` };
}

function readIdList(value: unknown): Read<number[]> {
  if (isBlank(value)) return { ok: true, value: [] };
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  const ids: number[] = [];
  for (const item of items) {
    if (isBlank(item)) continue;
    const id = readId(typeof item === 'string' ? item.trim() : item);
    if (!id.ok)
      return { ok: false, message: `must be a comma list of whole number ids, got ${describe(value)}` };
    ids.push(id.value);
  }
  return { ok: true, value: ids };
}

function readTextList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.flatMap((item) => {
    const text = readText(item);
    return text === undefined ? [] : [text];
  });
}

/** `questionId,responseId`, both whole numbers. */
function readQuestionResponse(column: string, value: unknown): Read<QuestionResponsePair> {
  const parts = typeof value === 'string' ? value.split(',').map((part) => part.trim()) : [];
  const [question, response] = parts;
  const questionId = parts.length === 2 ? readId(question) : undefined;
  const responseId = parts.length === 2 ? readId(response) : undefined;
  if (questionId?.ok && responseId?.ok) {
    return { ok: true, value: { column, questionId: questionId.value, responseId: responseId.value } };
  }
  return { ok: false, message: `must be questionId,responseId (two whole numbers), got ${describe(value)}` };
}

/** Collects a table's errors with their table and row filled in. */
class ErrorLog {
  readonly errors: ConfigError[] = [];
  constructor(readonly table: string) {}

  add(rowId: string, field: string, message: string): string {
    this.errors.push({ table: this.table, rowId, field, message });
    return `${field} ${message}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Listing table

const SYNC_HOUR_PATTERN = /^(\d{1,2})(?::00)?$/;

function readSyncHour(value: unknown): Read<number> {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = SYNC_HOUR_PATTERN.exec(text);
  const hour = match ? Number(match[1]) : NaN;
  if (Number.isInteger(hour) && hour >= 0 && hour <= 23) return { ok: true, value: hour };
  return { ok: false, message: `must be an hour of day 0–23 (Eastern), got ${describe(value)}` };
}

/**
 * A listing row with any error is left out entirely: a half-read candidate (wrong district,
 * unknown strategy) could sync calls the wrong way, which is worse than not syncing them.
 */
export function parseCandidates(
  records: readonly AirtableRecord[],
  table = LISTING_TABLE,
): ParsedTable<Candidate> {
  const log = new ErrorLog(table);
  const ok: Candidate[] = [];
  const seenSlugs = new Map<string, string>();

  for (const { id: rowId, fields } of records) {
    const before = log.errors.length;
    const referenceName = readText(fields['Reference Name']);
    if (referenceName === undefined) log.add(rowId, 'Reference Name', 'is required');
    const slug = referenceName === undefined ? undefined : slugForReferenceName(referenceName);
    const slugUsable = slug !== undefined && CANDIDATE_SLUG.test(slug);
    if (slug !== undefined && !slugUsable) {
      log.add(
        rowId,
        'Reference Name',
        `gives the slug "${slug}", which is not lowercase letters, digits and dashes (it names files and pages)`,
      );
    }
    const firstRow = slug === undefined ? undefined : seenSlugs.get(slug);
    if (slug !== undefined && firstRow !== undefined) {
      log.add(rowId, 'Reference Name', `gives the slug "${slug}" already used by row ${firstRow}`);
    }
    if (slug !== undefined && firstRow === undefined) seenSlugs.set(slug, rowId);

    const district = readText(fields['District Abbreviation'])?.toLowerCase();
    if (district === undefined) log.add(rowId, 'District Abbreviation', 'is required');

    const systemText = readText(fields['System'])?.toLowerCase();
    const system = CANDIDATE_SYSTEMS.find((known) => known === systemText);
    if (!system)
      log.add(
        rowId,
        'System',
        `must be one of ${CANDIDATE_SYSTEMS.join(', ')}, got ${describe(fields['System'])}`,
      );

    // An empty Strategy is the original's behaviour: a full sync.
    const strategyText = readText(fields['Strategy'])?.toLowerCase().replace(/\s+/g, ' ') ?? 'full';
    const strategy = STRATEGIES.find((known) => known === strategyText);
    if (!strategy)
      log.add(
        rowId,
        'Strategy',
        `must be one of ${STRATEGIES.join(', ')}, got ${describe(fields['Strategy'])}`,
      );

    const apiKeyText = readText(fields[LISTING_API_KEY_FIELD]);
    if (apiKeyText === undefined && system !== undefined && system !== 'csv') {
      log.add(rowId, LISTING_API_KEY_FIELD, `is required for System ${system}`);
    }

    const tagIds = readIdList(fields['Tag Ids']);
    if (!tagIds.ok) log.add(rowId, 'Tag Ids', tagIds.message);
    const active = readCheckbox(fields['Active']);
    if (!active.ok) log.add(rowId, 'Active', active.message);
    const syncHour = readSyncHour(fields['Sync Time (EST)']);
    if (!syncHour.ok) log.add(rowId, 'Sync Time (EST)', syncHour.message);
    const syncModeText = readText(fields['Sync Mode'])?.toLowerCase() ?? 'nightly';
    const syncMode = SYNC_MODES.find((known) => known === syncModeText);
    if (!syncMode)
      log.add(
        rowId,
        'Sync Mode',
        `must be one of ${SYNC_MODES.join(', ')}, got ${describe(fields['Sync Mode'])}`,
      );
    // A Bulk Import job is one file per run, made once its calls are all claimed: a day that posts
    // call by call as they settle has no such moment, so the two cannot be combined.
    if (syncMode === 'continuous' && strategy === 'bulk')
      log.add(rowId, 'Sync Mode', 'continuous cannot be combined with Strategy bulk (one job per run)');

    if (log.errors.length > before) {
      if (slugUsable) for (const error of log.errors.slice(before)) error.slug = slug;
      continue;
    }
    if (!referenceName || !slug || !district || !system || !strategy || !syncMode) continue;
    if (!tagIds.ok || !active.ok || !syncHour.ok) continue;
    ok.push({
      slug,
      referenceName,
      serviceNames: readTextList(fields['Service Names']),
      district,
      system,
      apiKey: apiKeyText === undefined ? undefined : new Secret(apiKeyText),
      tagIds: tagIds.value,
      active: active.value,
      strategy,
      sendReportTo: readText(fields['Send Report To']),
      syncHourEastern: syncHour.value,
      syncMode,
      // Names only: whether they exist is VAN's to say, per key (validate and each run ask it).
      contactType: readText(fields['Contact Type']) ?? DEFAULT_CONTACT_TYPE_NAME,
      inputType: readText(fields['Input Type']),
    });
  }
  return { ok, errors: log.errors };
}

// ---------------------------------------------------------------------------------------------
// Result table (one per candidate, named by its Reference Name)

const QR_COLUMN = /^QR\s*(\d+)$/i;

function readSuccess(value: unknown): SuccessSetting {
  if (value === undefined || value === null) return false;
  return typeof value === 'boolean' ? value : { invalid: value };
}

/**
 * Rows whose key is missing cannot be found by any call and are reported only. Every other
 * row is kept, even when part of it cannot be read (`rowError`), so that its calls say why.
 * A non-boolean `Success` is not a row error: the decision (docs/behaviour.md#the-decision-for-one-call) checks it after the ignore step, so it is
 * kept as `{ invalid }` for the decision to report.
 */
export function parseResultRows(
  records: readonly AirtableRecord[],
  table: string,
): ParsedTable<ResultConfigRow> {
  const log = new ErrorLog(table);
  const ok: ResultConfigRow[] = [];
  const firstByKey = new Map<string, ResultConfigRow>();

  for (const { id: rowId, fields } of records) {
    const typedResult = readText(fields['Full On Screen Result']);
    if (typedResult === undefined) {
      log.add(rowId, 'Full On Screen Result', 'is required');
      continue;
    }
    const problems: string[] = [];

    const success = readSuccess(fields['Success']);
    if (typeof success !== 'boolean')
      log.add(rowId, 'Success', `must be a checkbox (true/false), got ${describe(success.invalid)}`);

    let canvassResultCode: number | undefined;
    if (!isBlank(fields['Canvass Result Code'])) {
      const code = readId(fields['Canvass Result Code']);
      if (code.ok) canvassResultCode = code.value;
      else problems.push(log.add(rowId, 'Canvass Result Code', code.message));
    }

    const tags = readIdList(fields['Tags']);
    if (!tags.ok) problems.push(log.add(rowId, 'Tags', tags.message));

    const syncToSystem = readCheckbox(fields['Sync to System']);
    if (!syncToSystem.ok) problems.push(log.add(rowId, 'Sync to System', syncToSystem.message));
    const includeInCsv = readCheckbox(fields['Include in CSV']);
    if (!includeInCsv.ok) problems.push(log.add(rowId, 'Include in CSV', includeInCsv.message));

    const questionResponses: QuestionResponsePair[] = [];
    const qrColumns = Object.keys(fields)
      .map((name) => ({ name, match: QR_COLUMN.exec(name.trim()) }))
      .filter((column) => column.match !== null)
      .sort((a, b) => Number(a.match?.[1]) - Number(b.match?.[1]));
    for (const { name } of qrColumns) {
      if (isBlank(fields[name])) continue;
      const pair = readQuestionResponse(name.trim(), fields[name]);
      if (pair.ok) questionResponses.push(pair.value);
      else problems.push(log.add(rowId, name.trim(), pair.message));
    }

    const used = fields['Used?'];
    const row: ResultConfigRow = {
      rowId,
      fullOnScreenResult: resultKey(typedResult),
      success,
      canvassResultCode,
      tags: tags.ok ? tags.value : [],
      syncToSystem: syncToSystem.ok && syncToSystem.value,
      includeInCsv: includeInCsv.ok && includeInCsv.value,
      displayName: readText(fields['Display Name']) ?? typedResult,
      used: typeof used === 'boolean' ? used : readText(used),
      questionResponses,
      rowError: problems.length > 0 ? problems.join('; ') : undefined,
    };

    // Two rows for one result would make the outcome depend on Airtable's row order; both the
    // first row (the one calls find) and the copy are flagged so nobody syncs by accident.
    const first = firstByKey.get(row.fullOnScreenResult);
    if (first) {
      const message = `duplicates row ${first.rowId} for result "${row.fullOnScreenResult}"`;
      log.add(rowId, 'Full On Screen Result', message);
      const firstMessage = `Full On Screen Result "${row.fullOnScreenResult}" is configured twice (rows ${first.rowId}, ${rowId})`;
      first.rowError = first.rowError ? `${first.rowError}; ${firstMessage}` : firstMessage;
      row.rowError = row.rowError
        ? `${row.rowError}; Full On Screen Result ${message}`
        : `Full On Screen Result ${message}`;
    } else {
      firstByKey.set(row.fullOnScreenResult, row);
    }
    ok.push(row);
  }
  return { ok, errors: log.errors };
}

// ---------------------------------------------------------------------------------------------
// Term code table

const KEY_FIELDS = new Set(['LV Result', 'LV System Result']);
const FLAG_ATTRIBUTES = ['dialed', 'dropped', 'contact'] as const;

/** `Full On Screen Result` → `full_on_screen_result`, `VAN Result` → `van_result`. */
function attributeName(fieldName: string): string {
  return fieldName
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function parseTermCodes(
  records: readonly AirtableRecord[],
  table = TERM_CODES_TABLE,
): ParsedTable<TermCode> {
  const log = new ErrorLog(table);
  const ok: TermCode[] = [];
  const seen = new Map<string, string>();

  for (const { id: rowId, fields } of records) {
    const raw = readText(fields['LV Result']) ?? readText(fields['LV System Result']);
    if (raw === undefined) {
      log.add(rowId, 'LV Result', 'is required (or LV System Result)');
      continue;
    }
    const key = normaliseLivevoxResult(raw);
    const firstRow = seen.get(key);
    if (firstRow !== undefined) {
      log.add(rowId, 'LV Result', `duplicates row ${firstRow} for "${key}"`);
      continue;
    }

    const attributes: TermCodeAttributes = {};
    const fieldOf = new Map<string, string>();
    let broken = false;
    for (const [field, value] of Object.entries(fields)) {
      if (KEY_FIELDS.has(field) || isBlank(value)) continue;
      const name = attributeName(field);
      fieldOf.set(name, field);
      attributes[name] = typeof value === 'string' ? value.trim() : value;
    }
    for (const flag of FLAG_ATTRIBUTES) {
      const read = readCheckbox(attributes[flag]);
      if (read.ok) attributes[flag] = read.value;
      else {
        log.add(rowId, fieldOf.get(flag) ?? flag, read.message);
        broken = true;
      }
    }
    if (typeof attributes.full_on_screen_result === 'string') {
      attributes.full_on_screen_result = attributes.full_on_screen_result.trim();
    }
    if (broken) continue;
    seen.set(key, rowId);
    ok.push({ rowId, key, attributes });
  }
  return { ok, errors: log.errors };
}
