import axios from 'axios';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { bulkColumns, bulkMappingUses, type BulkRowLayout } from '@call-sync/core';
import type { RequestBudget } from './request-budget';
import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  VanThrottledError,
  VanValidationError,
} from './van-errors';

// VAN Bulk Import (docs/behaviour.md#van): which mappings a key may use, a job that makes VAN fetch a zipped file
// from a URL, the job's status, and its per-row results file. Field names as VAN's API and
// Parsons' ngpvan/bulk_import.py use them. The requests go through the VAN client's own sending
// (rate limit, daily budget, retries) — see createBulkImportMethods.

const mappingFieldShape = z.object({
  name: z.string(),
  description: z.string().optional(),
  isRequired: z.boolean().optional(),
});
const mappingTypeShape = z.object({
  name: z.string(),
  displayName: z.string().optional(),
  resourceTypes: z.array(z.string()).optional().default([]),
  fields: z.array(mappingFieldShape).optional().default([]),
});
export type BulkImportMappingType = z.infer<typeof mappingTypeShape>;

const BULK_IMPORT_FINAL_STATUSES = ['Completed', 'CompletedWithErrors', 'Failed'] as const;
type BulkImportJobStatus =
  'Pending' | 'InProgress' | 'InProgressWithErrors' | (typeof BULK_IMPORT_FINAL_STATUSES)[number];

const jobShape = z.object({
  id: z.union([z.number(), z.string()]).optional(),
  // VAN's docs name the final status "Completed" and "Complete": both read as Completed.
  status: z.string().transform((status) => (status === 'Complete' ? 'Completed' : status)),
  errors: z
    .array(z.union([z.string(), z.object({ text: z.string().optional(), code: z.unknown().optional() })]))
    .nullable()
    .optional(),
  resultFiles: z
    .array(z.object({ url: z.string(), dateExpired: z.string().nullable().optional() }))
    .nullable()
    .optional(),
});

export interface BulkImportJob {
  jobId: string;
  status: BulkImportJobStatus | string;
  /** Completed, CompletedWithErrors or Failed: the job will not change any more. */
  final: boolean;
  /** VAN's texts for a failed job. */
  errors: string[];
  /** The per-row results: the links expire (24 hours at VAN), read them at once. */
  resultFiles: { url: string; dateExpired?: string }[];
}

interface BulkImportColumn {
  name: string;
}
interface BulkImportFieldValueMapping {
  fieldName: string;
  columnName?: string;
  staticValue?: string | number;
}
export interface BulkImportMappingUse {
  name: string;
  fieldValueMappings?: BulkImportFieldValueMapping[];
}
export interface BulkImportJobRequest {
  description?: string;
  file: {
    fileName: string;
    hasHeader: boolean;
    hasQuotes: boolean;
    sourceUrl: string;
    columns: BulkImportColumn[];
    columnDelimiter: 'Csv' | 'Tab' | 'Pipe';
  };
  actions: {
    resultFileSizeKbLimit: number;
    resourceType: string;
    actionType: 'loadMappedFile';
    mappingTypes: BulkImportMappingUse[];
  }[];
}

/** One line of a results file: the row of our file (from 1) and what VAN said about each mapping. */
interface BulkImportResultRow {
  row: number;
  primaryKey: string;
  /** Empty when every mapping of the row was processed. */
  errors: string[];
}

export interface BulkImportMethods {
  bulkImportMappingTypes(): Promise<BulkImportMappingType[]>;
  /** A write: a 5xx, timeout or lost connection throws VanOutcomeUnknownError (a job may exist). */
  createBulkImportJob(request: BulkImportJobRequest): Promise<{ jobId: string }>;
  getBulkImportJob(jobId: string): Promise<BulkImportJob>;
  /** Reads a results file at once (it expires); counts against the key's budget like any request. */
  readBulkImportResults(url: string): Promise<BulkImportResultRow[]>;
}

/** The standard columns of a results file; every other column is one mapping's outcome. */
const RESULT_KEY_COLUMNS = new Set(['bulkuploaddataid', 'ulfileid', 'primarykey', 'primarykeytype']);

/**
 * The mapping VAN names for survey responses: found by its fields (a survey question and a
 * response), not by a guessed name, since the name is the endpoint's to say.
 */
export function findSurveyResponseMapping(types: BulkImportMappingType[]): BulkImportMappingType | undefined {
  const has = (type: BulkImportMappingType, name: string): boolean =>
    type.fields.some((field) => field.name.toLowerCase() === name);
  return types.find((type) => has(type, 'surveyquestionid') && has(type, 'surveyresponseid'));
}

/** The resource canvass results, survey responses and activist codes are applied to. */
export const BULK_IMPORT_RESOURCE = 'Contacts';

/** How the van-writer splits a bulk run into jobs, and a dry run in config counts them the same way. */
export const bulkImportJobEnv = {
  /** Rows per Bulk Import job at most (a job's results are held in memory while they are applied). */
  VAN_BULK_MAX_ROWS_PER_JOB: z.coerce.number().int().min(1).default(100_000),
};

/**
 * The mappings a layout needs that the key does not offer on Contacts, by the name to tell a
 * person. Used before a run (van-writer) and by validate (config), so both name the same ones.
 */
export function missingBulkImportMappings(types: BulkImportMappingType[], layout: BulkRowLayout): string[] {
  const offered = (name: string) =>
    types.some(
      (t) =>
        t.name === name && (t.resourceTypes.length === 0 || t.resourceTypes.includes(BULK_IMPORT_RESOURCE)),
    );
  const missing: string[] = [];
  if (layout.hasResultCodes && !offered('CanvassResults')) missing.push('CanvassResults');
  if (layout.surveyResponses > 0) {
    const survey = findSurveyResponseMapping(types);
    if (!survey || !offered(survey.name))
      missing.push('the survey response mapping (e.g. ApplySurveyResponse)');
  }
  if (layout.activistCodes > 0 && !offered('ActivistCode')) missing.push('ActivistCode');
  return missing;
}

/** The field VAN fills with the user a row was canvassed by (a VAN user id). */
const CANVASSED_BY = 'canvassedby';

export interface BulkImportMappingPlan {
  /** The job action's mappings, with every field the run fills beyond its file's own columns. */
  uses: BulkImportMappingUse[];
  /** Required fields (`isRequired`) nothing fills, as "Field (Mapping)": VAN would refuse the job. */
  unfilled: string[];
  /** Whether a mapping the run uses requires CanvassedBy: only then is a user worth a request. */
  needsCanvassedBy: boolean;
}

/**
 * The mappings a run's job uses, with their required fields read from VAN's mapping types: a field
 * is filled by a file column of its name (VAN maps by name), by the column the use names for it,
 * or, for CanvassedBy, by the VAN user given — on every mapping that has the field, so all of a
 * row's records name the same canvasser.
 */
export function planBulkImportMappings(
  types: BulkImportMappingType[],
  layout: BulkRowLayout,
  canvassedBy: number | undefined,
): BulkImportMappingPlan {
  const lower = (name: string): string => name.toLowerCase();
  const columns = new Set(bulkColumns(layout).map(lower));
  const uses = bulkMappingUses(layout, {
    canvassResults: 'CanvassResults',
    surveyResponse: findSurveyResponseMapping(types)?.name ?? 'ApplySurveyResponse',
    activistCode: 'ActivistCode',
  });
  const unfilled: string[] = [];
  let needsCanvassedBy = false;
  const planned = uses.map((use): BulkImportMappingUse => {
    const fields = types.find((type) => type.name === use.name)?.fields ?? [];
    const mapped: BulkImportFieldValueMapping[] = [...(use.fieldValueMappings ?? [])];
    const canvasser = fields.find((field) => lower(field.name) === CANVASSED_BY);
    if (canvasser?.isRequired) needsCanvassedBy = true;
    if (canvasser && canvassedBy !== undefined)
      mapped.push({ fieldName: canvasser.name, staticValue: canvassedBy });
    for (const field of fields) {
      if (!field.isRequired || columns.has(lower(field.name))) continue;
      if (mapped.some((m) => lower(m.fieldName) === lower(field.name))) continue;
      const named = `${field.name} (${use.name})`;
      if (!unfilled.includes(named)) unfilled.push(named);
    }
    return mapped.length > 0 ? { name: use.name, fieldValueMappings: mapped } : { name: use.name };
  });
  return { uses: planned, unfilled, needsCanvassedBy };
}

/**
 * What to tell a person when a plan leaves required fields empty; undefined when none is. Used
 * before a run (van-writer) and by validate (config), so both say the same.
 */
export function unfilledBulkImportFields(
  plan: BulkImportMappingPlan,
  canvassedBy: number | undefined,
): string | undefined {
  if (plan.unfilled.length === 0) return undefined;
  const noUser =
    canvassedBy === undefined &&
    plan.unfilled.some((named) => named.toLowerCase().startsWith(`${CANVASSED_BY} `));
  return (
    `VAN Bulk Import fields required that the run cannot fill: ${plan.unfilled.join(', ')}` +
    (noUser ? " (the key's profile, GET /apiKeyProfiles, names no VAN user to canvass by)" : '')
  );
}

/**
 * Whether a failed job creation certainly created no job: VAN answered a refusal (401/403, 429, or
 * a 4xx with its error body) or nothing was sent (the day's budget). Anything else after the
 * request left (a timeout, a 5xx, a proxy's page, our own failure to record the answer) may have
 * created the job, and its calls must never be sent again.
 */
export function refusedBeforeCreation(error: unknown): boolean {
  if (error instanceof VanValidationError) return error.status !== 408;
  return (
    error instanceof VanAuthError ||
    error instanceof VanThrottledError ||
    error instanceof VanBudgetExhaustedError
  );
}

/** Reads a results CSV: each row's number and the texts of the mappings that were not processed. */
function parseBulkImportResults(csv: string): BulkImportResultRow[] {
  const records = parse(csv, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Record<
    string,
    string
  >[];
  return records.map((record) => {
    let row = Number.NaN;
    let primaryKey = '';
    const errors: string[] = [];
    for (const [column, value] of Object.entries(record)) {
      const key = column.toLowerCase();
      const text = (value ?? '').trim();
      if (key === 'bulkuploaddataid') row = Number(text);
      else if (key === 'primarykey') primaryKey = text;
      else if (!RESULT_KEY_COLUMNS.has(key) && text !== '' && text.toLowerCase() !== 'processed') {
        if (!errors.includes(text)) errors.push(text);
      }
    }
    return { row, primaryKey, errors };
  });
}

interface BulkImportTransport {
  getJson<T>(
    url: string,
    endpoint: string,
    shape: z.ZodType<T>,
    options?: { errorsAreData?: boolean },
  ): Promise<T>;
  post(url: string, endpoint: string, body: unknown): Promise<{ status: number; json: unknown }>;
  budget?: RequestBudget;
  keyFingerprint: string;
  timeoutMs: number;
}

export function createBulkImportMethods(transport: BulkImportTransport): BulkImportMethods {
  return {
    bulkImportMappingTypes: () =>
      transport.getJson('/v4/bulkImportMappingTypes', '/bulkImportMappingTypes', z.array(mappingTypeShape)),

    async createBulkImportJob(request) {
      const answer = await transport.post('/v4/bulkImportJobs', '/bulkImportJobs', request);
      const parsed = z.object({ jobId: z.union([z.number(), z.string()]) }).safeParse(answer.json);
      // VAN accepted something but did not say which job: it may exist, so it must not be created again.
      if (!parsed.success) throw new VanOutcomeUnknownError('/bulkImportJobs', 'server-error', answer.status);
      return { jobId: String(parsed.data.jobId) };
    },

    async getBulkImportJob(jobId) {
      const job = await transport.getJson(
        `/v4/bulkImportJobs/${encodeURIComponent(jobId)}`,
        '/bulkImportJobs/{jobId}',
        jobShape,
        // A failed job's status lists its errors: the job's answer, not a gateway's failure.
        { errorsAreData: true },
      );
      return {
        jobId,
        status: job.status,
        final: (BULK_IMPORT_FINAL_STATUSES as readonly string[]).includes(job.status),
        errors: (job.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.text ?? 'error'))),
        resultFiles: (job.resultFiles ?? []).map((file) => ({
          url: file.url,
          ...(file.dateExpired ? { dateExpired: file.dateExpired } : {}),
        })),
      };
    },

    async readBulkImportResults(url) {
      const endpoint = '/bulkImportJobs/{jobId} result file';
      if (transport.budget && !(await transport.budget.tryConsume())) {
        throw new VanBudgetExhaustedError(endpoint, transport.keyFingerprint);
      }
      // A plain download from wherever VAN keeps the file: never with the key's credentials.
      let response;
      try {
        response = await axios.get<string>(url, {
          responseType: 'text',
          transformResponse: [(data: unknown) => data],
          timeout: transport.timeoutMs,
          validateStatus: () => true,
          maxRedirects: 0,
        });
      } catch (error) {
        throw new VanServerError(
          endpoint,
          undefined,
          `download failed (${(error as { code?: string }).code ?? 'error'})`,
        );
      }
      // The link itself is never put in the error: it is a bearer of access until it expires.
      if (response.status !== 200) {
        throw new VanServerError(
          endpoint,
          response.status,
          'the results file could not be read (expired link?)',
        );
      }
      return parseBulkImportResults(response.data);
    },
  };
}
