import {
  buildConfigIndex,
  buildTermCodeIndex,
  LISTING_TABLE,
  parseCandidates,
  parseResultRows,
  parseTermCodes,
  TERM_CODES_TABLE,
  type AirtableRecord,
  type Candidate,
  type ConfigError,
  type ConfigIndex,
  type ResultConfigRow,
  type TermCodeIndex,
} from '@call-sync/core';
import { AirtableRequestError, type AirtableClient } from './airtable-client';

/**
 * The raw Airtable tables of one configuration read. Kept as Airtable sent them so a snapshot can be
 * stored (and parsed again after an outage) without losing anything the parsers may need later.
 */
export interface ConfigurationTables {
  loadedAt: Date;
  listing: AirtableRecord[];
  termCodes: AirtableRecord[];
  /** Result table per candidate, by the table's name (the candidate's Reference Name). */
  resultTables: Record<string, AirtableRecord[]>;
  /** Tables that could not be read, with why; their candidates carry a configuration error. */
  unreadableTables: { table: string; error: string; missing?: boolean }[];
}

export interface CandidateConfiguration {
  candidate: Candidate;
  rows: ResultConfigRow[];
  index: ConfigIndex;
  errors: ConfigError[];
}

/** Everything the services need to know about all candidates, parsed and indexed. */
export interface Configuration {
  loadedAt: Date;
  candidates: Map<string, CandidateConfiguration>;
  termCodes: TermCodeIndex;
  /** Errors of rows that belong to no candidate: the listing table and the term codes. */
  errors: ConfigError[];
}

/** A result table that could not be read, with why. */
type UnreadableTable = ConfigurationTables['unreadableTables'][number];

/** One candidate's result table; a failure is returned, not thrown, so it stays with its table. */
async function readResultTable(
  airtable: AirtableClient,
  table: string,
): Promise<{ records: AirtableRecord[] } | { unreadable: UnreadableTable }> {
  try {
    return { records: await airtable.listAllRecords(table) };
  } catch (error) {
    // A 404 is a table deleted or renamed in Airtable, not an outage: no old copy should stand in.
    const missing = error instanceof AirtableRequestError && error.status === 404;
    return { unreadable: { table, error: (error as Error).message, ...(missing ? { missing } : {}) } };
  }
}

/** The two tables every read starts with, side by side: the listing and the term codes. */
async function readListingTables(
  airtable: AirtableClient,
  options: { listingTable?: string; termCodesTable?: string },
): Promise<{ listingTable: string; listing: AirtableRecord[]; termCodes: AirtableRecord[] }> {
  const listingTable = options.listingTable ?? LISTING_TABLE;
  const [listing, termCodes] = await Promise.all([
    airtable.listAllRecords(listingTable),
    airtable.listAllRecords(options.termCodesTable ?? TERM_CODES_TABLE),
  ]);
  return { listingTable, listing, termCodes };
}

/**
 * Reads the listing, the term codes and every listed candidate's result table. A table that fails
 * to load does not take the others down: it is recorded in `unreadableTables`.
 */
export async function readConfigurationTables(
  airtable: AirtableClient,
  options: { listingTable?: string; termCodesTable?: string } = {},
): Promise<ConfigurationTables> {
  const { listingTable, listing, termCodes } = await readListingTables(airtable, options);
  const { ok: candidates } = parseCandidates(listing, listingTable);
  const resultTables: Record<string, AirtableRecord[]> = {};
  const unreadableTables: UnreadableTable[] = [];
  // One table at a time: the client's per-base limiter paces requests anyway, and sequential
  // reads keep an error attributable to one table.
  for (const candidate of candidates) {
    const read = await readResultTable(airtable, candidate.referenceName);
    if ('records' in read) resultTables[candidate.referenceName] = read.records;
    else unreadableTables.push(read.unreadable);
  }
  return { loadedAt: new Date(), listing, termCodes, resultTables, unreadableTables };
}

/** One candidate's configuration from its result table, or the error that stands for a table it lacks. */
function candidateConfigurationOf(
  candidate: Candidate,
  records: AirtableRecord[] | undefined,
  unreadable: UnreadableTable | undefined,
): CandidateConfiguration {
  if (!records) {
    const message = unreadable
      ? `result table could not be read: ${unreadable.error}`
      : 'result table not found';
    return {
      candidate,
      rows: [],
      index: buildConfigIndex([]),
      errors: [{ table: candidate.referenceName, rowId: '', field: '', message }],
    };
  }
  const parsed = parseResultRows(records, candidate.referenceName);
  return { candidate, rows: parsed.ok, index: buildConfigIndex(parsed.ok), errors: parsed.errors };
}

/** The listed candidates, the term code index, and the errors of both tables' rows. */
function parseListing(
  listing: AirtableRecord[],
  termCodeRecords: AirtableRecord[],
  options: { listingTable?: string; termCodesTable?: string },
): { candidates: Candidate[]; termCodes: TermCodeIndex; errors: ConfigError[] } {
  const listed = parseCandidates(listing, options.listingTable ?? LISTING_TABLE);
  const termCodes = parseTermCodes(termCodeRecords, options.termCodesTable ?? TERM_CODES_TABLE);
  return {
    candidates: listed.ok,
    termCodes: buildTermCodeIndex(termCodes.ok),
    errors: [...listed.errors, ...termCodes.errors],
  };
}

/** Parses raw tables into configuration; a broken row becomes an error, never a crash. */
export function parseConfiguration(
  tables: ConfigurationTables,
  options: { listingTable?: string; termCodesTable?: string } = {},
): Configuration {
  const { candidates: listed, termCodes, errors } = parseListing(tables.listing, tables.termCodes, options);
  const candidates = new Map<string, CandidateConfiguration>();
  for (const candidate of listed) {
    const table = candidate.referenceName;
    const unreadable = tables.unreadableTables.find((t) => t.table === table);
    candidates.set(
      candidate.slug,
      candidateConfigurationOf(candidate, tables.resultTables[table], unreadable),
    );
  }
  return { loadedAt: tables.loadedAt, candidates, termCodes, errors };
}

/** The configuration as far as it does not need the candidates' result tables. */
export interface ConfigurationListing {
  loadedAt: Date;
  candidates: ReadonlyMap<string, { candidate: Candidate }>;
  termCodes: TermCodeIndex;
  errors: ConfigError[];
}

/**
 * The configuration read in stages: the listing and the term codes first, then each candidate's
 * result table when it is first asked for. A night's first candidate starts with three Airtable
 * requests behind it instead of two plus one per candidate (paced at 4 a second per base: ~1 s
 * for four candidates, 5 s for twenty), and the tables are read in the order the work needs them.
 */
export interface StagedConfiguration {
  listing: ConfigurationListing;
  /** One candidate's configuration, its result table read on the first ask; undefined if not listed. */
  candidate(slug: string): Promise<CandidateConfiguration | undefined>;
  /** Every candidate's configuration: reads the tables no one has asked for yet. */
  complete(): Promise<Configuration>;
}

/** A configuration read already, in the staged shape (tests, and callers that hold one). */
export function stagedFrom(configuration: Configuration): StagedConfiguration {
  return {
    listing: configuration,
    candidate: (slug) => Promise.resolve(configuration.candidates.get(slug)),
    complete: () => Promise.resolve(configuration),
  };
}

/** Result tables read from Airtable a little earlier (the config service keeps such a copy). */
export interface ResultTablesCopy {
  /** When they were read from Airtable. */
  loadedAt: Date;
  /** By table name (a candidate's Reference Name); a table the copy could not read is absent. */
  resultTables: Readonly<Record<string, AirtableRecord[]>>;
}

/**
 * Reads the listing and the term codes now; each result table on demand (see StagedConfiguration),
 * from `copy` when it holds the table, else from Airtable. The listing (keys, sync mode, who is
 * active) is always read now; only the result tables may come from the copy.
 */
export async function readConfigurationInStages(
  airtable: AirtableClient,
  options: {
    listingTable?: string;
    termCodesTable?: string;
    copy?: Promise<ResultTablesCopy | undefined>;
  } = {},
): Promise<StagedConfiguration> {
  // A copy that cannot be read is no copy: the tables come from Airtable.
  const copy = options.copy?.catch(() => undefined);
  const loadedAt = new Date();
  const tables = await readListingTables(airtable, options);
  const parsed = parseListing(tables.listing, tables.termCodes, options);
  const listing: ConfigurationListing = {
    loadedAt,
    candidates: new Map(parsed.candidates.map((candidate) => [candidate.slug, { candidate }])),
    termCodes: parsed.termCodes,
    errors: parsed.errors,
  };
  const reads = new Map<string, Promise<CandidateConfiguration>>();
  const candidate = (slug: string): Promise<CandidateConfiguration | undefined> => {
    const listedCandidate = listing.candidates.get(slug)?.candidate;
    if (!listedCandidate) return Promise.resolve(undefined);
    let read = reads.get(slug);
    if (!read) {
      read = (async () => {
        const copied = (await copy)?.resultTables[listedCandidate.referenceName];
        if (copied) return candidateConfigurationOf(listedCandidate, copied, undefined);
        const table = await readResultTable(airtable, listedCandidate.referenceName);
        return 'records' in table
          ? candidateConfigurationOf(listedCandidate, table.records, undefined)
          : candidateConfigurationOf(listedCandidate, undefined, table.unreadable);
      })();
      reads.set(slug, read);
    }
    return read;
  };
  let completed: Promise<Configuration> | undefined;
  const complete = (): Promise<Configuration> =>
    (completed ??= (async () => {
      const candidates = new Map<string, CandidateConfiguration>();
      // In listing order, one table at a time, as readConfigurationTables reads them.
      for (const slug of listing.candidates.keys()) candidates.set(slug, (await candidate(slug))!);
      return { ...listing, candidates };
    })());
  return { listing, candidate, complete };
}
