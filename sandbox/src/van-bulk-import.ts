import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type Router from '@koa/router';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import yauzl from 'yauzl';
import { z } from 'zod';
import type { VanErrorItem } from '@call-sync/core';
import { vanUserIdOf, type VanKeyFixture } from './fixture';
import { pause } from './running-server';
import { DEFAULT_CONTACT_TYPES } from './van-canvass-rules';

// VAN's Bulk Import, as its API documents it and Parsons uses it: the mapping types a key may use
// (`GET /v4/bulkImportMappingTypes`), a job that makes VAN download a zipped delimited file from a
// URL and apply it (`POST /v4/bulkImportJobs`), and the job's status with an expiring link to a
// per-row results CSV (`GET /v4/bulkImportJobs/{jobId}`). The sandbox processes a job in the
// background over a few seconds, as VAN does over minutes, and journals every applied row.

/** How bulk import behaves; changed with `POST /__sandbox/bulk/knobs`. */
export interface BulkImportKnobs {
  /** How long a new job stays Pending, then InProgress (the download and the rows). */
  pendingMs: number;
  processingMs: number;
  /** How long a results link answers after the job's status was read. */
  resultLinkTtlMs: number;
  /** Mappings switched off for a key (its apiKey, or "*" for every key), as VAN leaves some off until asked. */
  disabledMappings: { key: string; mapping: string }[];
  /** Row numbers (1-based) left out of the results file, as VAN leaves out rows it could not read. */
  omitResultRows: number[];
  /** The next N jobs end Failed without applying anything. */
  failNextJobs: number;
  /** VAN's docs name the final status both ways. */
  completedStatus: 'Completed' | 'Complete';
  /**
   * Fields made required (`isRequired`) beyond the defaults, as a VAN may require CanvassedBy for
   * CanvassResults (a field the mapping lacks is added): a job that fills one of them neither by a
   * column nor by a mapping is refused.
   */
  requiredFields: { mapping: string; field: string }[];
  /**
   * How long the answer to a job's creation is held after the job exists and runs: a caller that
   * dies meanwhile has created a job it never learns the id of.
   */
  createAnswerDelayMs: number;
}

const DEFAULT_BULK_IMPORT_KNOBS: BulkImportKnobs = {
  pendingMs: 500,
  processingMs: 1500,
  resultLinkTtlMs: 60_000,
  disabledMappings: [],
  omitResultRows: [],
  failNextJobs: 0,
  completedStatus: 'Completed',
  requiredFields: [],
  createAnswerDelayMs: 0,
};

const bulkKnobChanges = z
  .object({
    pendingMs: z.number().min(0),
    processingMs: z.number().min(0),
    resultLinkTtlMs: z.number().min(0),
    disabledMappings: z.array(z.object({ key: z.string().min(1), mapping: z.string().min(1) })),
    omitResultRows: z.array(z.number().int().min(1)),
    failNextJobs: z.number().int().min(0),
    completedStatus: z.enum(['Completed', 'Complete']),
    requiredFields: z.array(z.object({ mapping: z.string().min(1), field: z.string().min(1) })),
    createAnswerDelayMs: z.number().min(0),
  })
  .partial()
  .strict();

interface MappingField {
  name: string;
  description: string;
  isRequired: boolean;
  hasPredefinedValues: boolean;
  canBeMappedToColumn: true;
  canBeMappedByName: true;
  parents: { parentFieldName: string; limitedToParentValues: null }[] | null;
}

interface MappingType {
  name: string;
  displayName: string;
  allowMultipleMode: 'Single' | 'Multiple';
  resourceTypes: string[];
  fields: MappingField[];
}

const field = (name: string, description: string, isRequired: boolean, parent?: string): MappingField => ({
  name,
  description,
  isRequired,
  hasPredefinedValues: /ID$/.test(name),
  canBeMappedToColumn: true,
  canBeMappedByName: true,
  parents: parent ? [{ parentFieldName: parent, limitedToParentValues: null }] : null,
});

const contactFields = (): MappingField[] => [
  field('CanvassedBy', 'Canvassed By, a valid user id', false),
  field('DateCanvassed', 'Date Canvassed', false),
  field('ContactTypeID', 'Contacted How', false),
];

/** What the sandbox offers; names and fields as VAN's answer and Parsons' fixtures show them. */
const MAPPING_TYPES: MappingType[] = [
  {
    name: 'CanvassResults',
    displayName: 'Apply Canvass Results',
    allowMultipleMode: 'Single',
    resourceTypes: ['Contacts'],
    fields: [
      field('ResultID', 'Canvass Result', true),
      field('ContactTypeID', 'Contacted How', true),
      field('DateCanvassed', 'Date Canvassed', true),
      field('CanvassedBy', 'Canvassed By, a valid user id', false),
      field('Phone', 'Phone Number', false),
      field('PhoneTypeID', 'Phone Type', false),
    ],
  },
  {
    name: 'ApplySurveyResponse',
    displayName: 'Apply Survey Response',
    allowMultipleMode: 'Multiple',
    resourceTypes: ['Contacts'],
    fields: [
      field('SurveyQuestionID', 'Survey Question', true),
      field('SurveyResponseID', 'Survey Response', true, 'SurveyQuestionID'),
      ...contactFields(),
    ],
  },
  {
    name: 'ActivistCode',
    displayName: 'Apply Activist Code',
    allowMultipleMode: 'Multiple',
    resourceTypes: ['Contacts', 'ContactsActivistCodes'],
    fields: [field('ActivistCodeID', 'Activist Code ID', true), ...contactFields()],
  },
  {
    name: 'ApplyContactCustomFields',
    displayName: 'Apply Contact Custom Fields',
    allowMultipleMode: 'Multiple',
    resourceTypes: ['Contacts'],
    fields: [field('CustomFieldGroupID', 'Custom Field Group', true)],
  },
  {
    name: 'Email',
    displayName: 'Apply Email',
    allowMultipleMode: 'Multiple',
    resourceTypes: ['Contacts'],
    fields: [
      field('Email', 'Email address', true),
      field('EmailSubscriptionStatusId', 'Subscription', false),
    ],
  },
];

const flag = z
  .union([z.boolean(), z.enum(['True', 'False', 'true', 'false'])])
  .transform((v) => v === true || v === 'True' || v === 'true');

const jobRequest = z.object({
  description: z.string().optional(),
  file: z.object({
    fileName: z.string().min(1),
    hasHeader: flag,
    hasQuotes: flag,
    sourceUrl: z.url(),
    columns: z.array(z.object({ name: z.string().min(1) })).min(1),
    columnDelimiter: z.enum(['Csv', 'Tab', 'Pipe', 'csv', 'tab', 'pipe']),
  }),
  actions: z
    .array(
      z.object({
        resultFileSizeKbLimit: z.number().int().min(1),
        resourceType: z.string().min(1),
        actionType: z.literal('loadMappedFile'),
        mappingTypes: z
          .array(
            z.object({
              name: z.string().min(1),
              fieldValueMappings: z
                .array(
                  z.object({
                    fieldName: z.string().min(1),
                    columnName: z.string().min(1).optional(),
                    staticValue: z.union([z.string(), z.number()]).optional(),
                  }),
                )
                .optional(),
            }),
          )
          .min(1),
      }),
    )
    .min(1),
});
type JobRequest = z.infer<typeof jobRequest>;
type MappingUse = JobRequest['actions'][number]['mappingTypes'][number];

type BulkImportStatus =
  | 'Pending'
  | 'InProgress'
  | 'InProgressWithErrors'
  | 'Completed'
  | 'Complete'
  | 'CompletedWithErrors'
  | 'Failed';

/** A job as the sandbox keeps it; tests read these through `jobs()`. */
interface BulkImportJob {
  jobId: number;
  applicationName: string;
  status: BulkImportStatus;
  request: JobRequest;
  createdAt: string;
  errors: { code: string; text: string }[];
  rows: number;
  appliedRows: number;
  resultCsv?: string;
  /** Links handed out, by token: each expires `resultLinkTtlMs` after the status read that made it. */
  links: Map<string, number>;
}

/** One applied row, written to the sandbox's journal beside the per-call posts. */
interface BulkJournalRow {
  vanId: number;
  applicationName: string;
  jobId: number;
  row: number;
  body: unknown;
}

export interface BulkImportSandbox {
  knobs(): BulkImportKnobs;
  setKnobs(changes: Partial<BulkImportKnobs>): BulkImportKnobs;
  jobs(): BulkImportJob[];
  reset(): void;
  /** The `/v4` routes; the VAN front door has already checked the key, the limits and the faults. */
  addRoutes(v4: Router, keyOf: (ctx: Koa.Context) => VanKeyFixture): void;
  addControlRoutes(control: Router): void;
  /** Serves the expiring results files (outside `/v4`: like VAN's, a plain download). */
  resultFiles: Koa.Middleware;
}

export interface BulkImportOptions {
  knobs?: Partial<BulkImportKnobs>;
  isInFixture(vanId: number): boolean;
  journal(row: BulkJournalRow): void;
  closing: AbortSignal;
}

const RESULT_PATH = /^\/bulk-import-results\/(\d+)\/([0-9a-f]+)\.csv$/;

/** The mapping types with the knobs' required fields (a field the mapping lacks is added). */
function mappingTypes(knobs: BulkImportKnobs): MappingType[] {
  const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
  return MAPPING_TYPES.map((type) => {
    const required = knobs.requiredFields.filter((r) => same(r.mapping, type.name)).map((r) => r.field);
    const fields = type.fields.map((f) =>
      required.some((name) => same(name, f.name)) ? { ...f, isRequired: true } : f,
    );
    for (const name of required) {
      if (!fields.some((f) => same(f.name, name))) fields.push(field(name, name, true));
    }
    return { ...type, fields };
  });
}

function isEnabled(knobs: BulkImportKnobs, key: VanKeyFixture, mapping: string): boolean {
  return !knobs.disabledMappings.some(
    (off) =>
      off.mapping.toLowerCase() === mapping.toLowerCase() && (off.key === '*' || off.key === key.apiKey),
  );
}

export function createBulkImport(options: BulkImportOptions): BulkImportSandbox {
  const startKnobs: BulkImportKnobs = { ...DEFAULT_BULK_IMPORT_KNOBS, ...options.knobs };
  let knobs: BulkImportKnobs = { ...startKnobs };
  let jobs: BulkImportJob[] = [];
  let nextJobId = 5000;

  const setKnobs = (changes: Partial<BulkImportKnobs>): BulkImportKnobs => {
    knobs = { ...knobs, ...bulkKnobChanges.parse(changes) };
    return knobs;
  };

  const invalid = (ctx: Koa.Context, property: string, text: string): void => {
    ctx.status = 400;
    const error: VanErrorItem = { code: 'INVALID_PARAMETER', text, properties: [property] };
    ctx.body = { errors: [error] };
  };

  /** VAN's checks at job creation: mappings this key may use, on this resource, with known columns. */
  const checkRequest = (
    request: JobRequest,
    key: VanKeyFixture,
  ): { property: string; text: string } | null => {
    const columns = new Set(request.file.columns.map((c) => c.name.toLowerCase()));
    if (!columns.has('vanid'))
      return { property: 'file.columns', text: "The file must have a 'VanID' column." };
    for (const [a, action] of request.actions.entries()) {
      for (const [m, use] of action.mappingTypes.entries()) {
        const at = `actions[${a}].mappingTypes[${m}]`;
        const type = mappingTypes(knobs).find((t) => t.name.toLowerCase() === use.name.toLowerCase());
        if (!type || !isEnabled(knobs, key, type.name)) {
          return {
            property: `${at}.name`,
            text: `The mapping type '${use.name}' is not available for this API key.`,
          };
        }
        if (!type.resourceTypes.includes(action.resourceType)) {
          return {
            property: `actions[${a}].resourceType`,
            text: `The mapping type '${type.name}' cannot be used with resource '${action.resourceType}'.`,
          };
        }
        for (const mapped of use.fieldValueMappings ?? []) {
          if (!type.fields.some((f) => f.name.toLowerCase() === mapped.fieldName.toLowerCase())) {
            return {
              property: `${at}.fieldValueMappings`,
              text: `'${mapped.fieldName}' is not a field of '${type.name}'.`,
            };
          }
          if (mapped.columnName && !columns.has(mapped.columnName.toLowerCase())) {
            return {
              property: `${at}.fieldValueMappings`,
              text: `The column '${mapped.columnName}' is not in the file.`,
            };
          }
        }
        // A required field must come from somewhere: a column of its name, or a mapping of it.
        const unfilled = type.fields.find(
          (f) =>
            f.isRequired &&
            !columns.has(f.name.toLowerCase()) &&
            !use.fieldValueMappings?.some((m) => m.fieldName.toLowerCase() === f.name.toLowerCase()),
        );
        if (unfilled) {
          return {
            property: `${at}.fieldValueMappings`,
            text: `'${unfilled.name}' is required by the mapping type '${type.name}'.`,
          };
        }
      }
    }
    return null;
  };

  const jobView = (ctx: Koa.Context, job: BulkImportJob): unknown => {
    const done = job.resultCsv !== undefined;
    const resultFiles: { url: string; dateExpired: string }[] = [];
    if (done) {
      const token = randomBytes(12).toString('hex');
      const expires = Date.now() + knobs.resultLinkTtlMs;
      job.links.set(token, expires);
      resultFiles.push({
        url: `${ctx.protocol}://${ctx.host}/bulk-import-results/${job.jobId}/${token}.csv`,
        dateExpired: new Date(expires).toISOString(),
      });
    }
    return {
      id: job.jobId,
      status: job.status,
      resourceType: job.request.actions[0]?.resourceType,
      webhookUrl: null,
      resultFileSizeLimitKb: job.request.actions[0]?.resultFileSizeKbLimit,
      errors: job.errors,
      resultFiles,
    };
  };

  const process = async (job: BulkImportJob, key: VanKeyFixture): Promise<void> => {
    await pause(knobs.pendingMs, options.closing);
    if (options.closing.aborted) return;
    job.status = 'InProgress';
    if (knobs.failNextJobs > 0) {
      knobs = { ...knobs, failNextJobs: knobs.failNextJobs - 1 };
      await pause(knobs.processingMs / 2, options.closing);
      job.status = 'Failed';
      job.errors.push({ code: 'JOB_FAILED', text: 'The bulk import job could not be completed.' });
      return;
    }
    let records: string[][];
    try {
      records = await downloadRecords(job.request);
    } catch (error) {
      job.status = 'Failed';
      job.errors.push({
        code: 'FILE_DOWNLOAD_FAILED',
        text: `The file could not be read: ${(error as Error).message}`,
      });
      return;
    }
    const outcome = applyRows(job, key, records);
    await pause(knobs.processingMs / 2, options.closing);
    if (outcome.errors > 0) job.status = 'InProgressWithErrors';
    await pause(knobs.processingMs / 2, options.closing);
    if (options.closing.aborted) return;
    job.resultCsv = outcome.csv;
    job.status = outcome.errors > 0 ? 'CompletedWithErrors' : knobs.completedStatus;
  };

  /** Applies every row that validates; answers the results file (one line per row, errors included). */
  const applyRows = (
    job: BulkImportJob,
    key: VanKeyFixture,
    records: string[][],
  ): { csv: string; errors: number } => {
    const names = job.request.file.columns.map((c) => c.name);
    const uses = job.request.actions.flatMap((action) => action.mappingTypes);
    const resultColumns = uses.map((use, i) => {
      const same = uses.filter((u) => u.name === use.name).length;
      const nth = uses.slice(0, i + 1).filter((u) => u.name === use.name).length;
      return same > 1 ? `${use.name}_${nth}` : use.name;
    });
    const lines: (string | number)[][] = [
      ['BulkUploadDataID', 'ULFileID', 'PrimaryKey', 'PrimaryKeyType', ...resultColumns],
    ];
    let errors = 0;
    records.forEach((record, index) => {
      const row = index + 1;
      // A row VAN could not read is neither applied nor reported.
      if (knobs.omitResultRows.includes(row)) return;
      const cell = (column: string): string => {
        const at = names.findIndex((n) => n.toLowerCase() === column.toLowerCase());
        return at < 0 ? '' : (record[at] ?? '').trim();
      };
      const vanIdText = cell('VanID');
      const vanId = Number(vanIdText);
      let outcomes: string[];
      let rowBody: Record<string, unknown> | undefined;
      if (!/^\d+$/.test(vanIdText) || !options.isInFixture(vanId)) {
        outcomes = uses.map(() => 'The specified person could not be found.');
      } else {
        rowBody = { vanId };
        outcomes = uses.map((use) => applyMapping(use, cell, key, rowBody!));
        if (outcomes.every((o) => o === ''))
          outcomes = uses.map(() => 'There is nothing to apply on this row.');
      }
      const failed = outcomes.some((o) => o !== '' && o !== 'Processed');
      if (failed) errors += 1;
      else if (rowBody) {
        job.appliedRows += 1;
        options.journal({
          vanId,
          applicationName: job.applicationName,
          jobId: job.jobId,
          row,
          body: rowBody,
        });
      }
      lines.push([row, job.jobId, vanIdText, 'VanID', ...outcomes]);
    });
    job.rows = records.length;
    return { csv: stringify(lines), errors };
  };

  /** One mapping on one row: '' when the row has nothing for it, 'Processed', or VAN's complaint. */
  const applyMapping = (
    use: MappingUse,
    cell: (column: string) => string,
    key: VanKeyFixture,
    body: Record<string, unknown>,
  ): string => {
    const type = mappingTypes(knobs).find((t) => t.name.toLowerCase() === use.name.toLowerCase())!;
    const value = (fieldName: string): string => {
      const mapped = use.fieldValueMappings?.find(
        (m) => m.fieldName.toLowerCase() === fieldName.toLowerCase(),
      );
      if (mapped?.staticValue !== undefined) return String(mapped.staticValue);
      return cell(mapped?.columnName ?? fieldName);
    };
    // A mapping's first field says what it applies (ResultID, SurveyQuestionID...): a row
    // without it has nothing for this mapping, whatever shared columns (date, contact type) hold.
    if (value(type.fields[0]!.name) === '') return '';
    const required = type.fields.filter((f) => f.isRequired);
    const missing = required.find((f) => value(f.name) === '');
    if (missing) return `'${missing.name}' is required.`;
    const id = (fieldName: string): number | undefined => {
      const text = value(fieldName);
      return /^\d+$/.test(text) ? Number(text) : undefined;
    };
    const contactTypeId = id('ContactTypeID');
    const contactTypes = key.contactTypes ?? DEFAULT_CONTACT_TYPES;
    if (value('ContactTypeID') !== '' && !contactTypes.some((t) => t.contactTypeId === contactTypeId)) {
      return "'ContactTypeID' must be a valid contact type in the current context.";
    }
    const date = value('DateCanvassed');
    if (date !== '' && Number.isNaN(Date.parse(date))) return "'DateCanvassed' must be a valid date.";
    const canvassedBy = value('CanvassedBy');
    if (canvassedBy !== '' && canvassedBy !== String(vanUserIdOf(key)))
      return "'CanvassedBy' must be a valid user id.";
    const context = {
      contactTypeId,
      dateCanvassed: date || undefined,
      phone: value('Phone') || undefined,
      canvassedBy: canvassedBy === '' ? undefined : Number(canvassedBy),
    };
    const responses = (body.responses as unknown[] | undefined) ?? [];
    switch (type.name) {
      case 'CanvassResults': {
        const resultCodeId = id('ResultID');
        if (!key.resultCodes.some((c) => c.resultCodeId === resultCodeId)) {
          return "'ResultID' must be a valid result code in the current context.";
        }
        Object.assign(body, { canvassContext: context, resultCodeId });
        return 'Processed';
      }
      case 'ApplySurveyResponse': {
        const questionId = id('SurveyQuestionID');
        const question = key.surveyQuestions.find((q) => q.surveyQuestionId === questionId);
        if (!question) return "'SurveyQuestionID' must be a valid survey question in the current context.";
        const responseId = id('SurveyResponseID');
        if (!question.responses.some((r) => r.surveyResponseId === responseId)) {
          return `'SurveyResponseID' must be a valid response to survey question ${question.surveyQuestionId}.`;
        }
        Object.assign(body, {
          canvassContext: context,
          responses: [
            ...responses,
            { type: 'SurveyResponse', surveyQuestionId: questionId, surveyResponseId: responseId },
          ],
        });
        return 'Processed';
      }
      case 'ActivistCode': {
        const activistCodeId = id('ActivistCodeID');
        if (!key.activistCodes.some((c) => c.activistCodeId === activistCodeId)) {
          return "'ActivistCodeID' must be a valid activist code in the current context.";
        }
        Object.assign(body, {
          canvassContext: context,
          responses: [...responses, { type: 'ActivistCode', activistCodeId, action: 'Apply' }],
        });
        return 'Processed';
      }
      default:
        return `The sandbox does not apply '${type.name}'.`;
    }
  };

  return {
    knobs: () => knobs,
    setKnobs,
    jobs: () => jobs,
    reset: () => {
      knobs = { ...startKnobs };
      jobs = [];
    },
    addRoutes(v4, keyOf) {
      v4.get('/bulkImportMappingTypes', (ctx) => {
        const key = keyOf(ctx);
        ctx.body = mappingTypes(knobs).filter((type) => isEnabled(knobs, key, type.name));
      });
      v4.post('/bulkImportJobs', async (ctx) => {
        const parsed = jobRequest.safeParse(ctx.request.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          invalid(ctx, issue?.path.join('.') || 'body', issue?.message ?? 'invalid request');
          return;
        }
        const key = keyOf(ctx);
        const refused = checkRequest(parsed.data, key);
        if (refused) {
          invalid(ctx, refused.property, refused.text);
          return;
        }
        const job: BulkImportJob = {
          jobId: (nextJobId += 1),
          applicationName: key.applicationName,
          status: 'Pending',
          request: parsed.data,
          createdAt: new Date().toISOString(),
          errors: [],
          rows: 0,
          appliedRows: 0,
          links: new Map(),
        };
        jobs.push(job);
        void process(job, key).catch((error: unknown) => {
          job.status = 'Failed';
          job.errors.push({ code: 'INTERNAL_SERVER_ERROR', text: String(error) });
        });
        if (knobs.createAnswerDelayMs > 0) await pause(knobs.createAnswerDelayMs, options.closing);
        ctx.status = 201;
        ctx.body = { jobId: job.jobId };
      });
      v4.get('/bulkImportJobs/:jobId', (ctx) => {
        const key = keyOf(ctx);
        const job = jobs.find(
          (j) => String(j.jobId) === ctx.params.jobId && j.applicationName === key.applicationName,
        );
        if (!job) {
          ctx.status = 404;
          ctx.body = {
            errors: [{ code: 'NOT_FOUND', text: 'The specified bulk import job could not be found.' }],
          };
          return;
        }
        ctx.body = jobView(ctx, job);
      });
    },
    addControlRoutes(control) {
      control.get('/bulk/knobs', (ctx) => {
        ctx.body = knobs;
      });
      control.post('/bulk/knobs', (ctx) => {
        const parsed = bulkKnobChanges.safeParse(ctx.request.body ?? {});
        if (!parsed.success) {
          ctx.status = 400;
          ctx.body = { error: parsed.error.message };
          return;
        }
        ctx.body = setKnobs(parsed.data);
      });
      control.get('/bulk/jobs', (ctx) => {
        ctx.body = {
          // The presigned source URL carries a signature: it stays out of the answer.
          jobs: jobs.map(({ links: _links, resultCsv: _csv, ...job }) => ({
            ...job,
            request: { ...job.request, file: { ...job.request.file, sourceUrl: '(presigned)' } },
          })),
        };
      });
    },
    resultFiles: async (ctx, next) => {
      const match = RESULT_PATH.exec(ctx.path);
      if (!match || ctx.method !== 'GET') return next();
      const job = jobs.find((j) => String(j.jobId) === match[1]);
      const expires = job?.links.get(match[2] ?? '');
      if (!job?.resultCsv || expires === undefined) {
        ctx.status = 404;
        ctx.body = 'no such results file';
        return;
      }
      if (Date.now() > expires) {
        ctx.status = 403;
        ctx.body = 'this results link has expired';
        return;
      }
      ctx.type = 'text/csv';
      ctx.body = job.resultCsv;
    },
  };
}

/** Downloads the job's zipped file from its URL and reads its rows, in the order of `columns`. */
async function downloadRecords(request: JobRequest): Promise<string[][]> {
  const response = await fetch(request.file.sourceUrl);
  if (!response.ok) throw new Error(`the file URL answered ${response.status}`);
  const zipped = Buffer.from(await response.arrayBuffer());
  const text = await firstZipEntry(zipped);
  const delimiter = { csv: ',', tab: '\t', pipe: '|' }[
    request.file.columnDelimiter.toLowerCase() as 'csv' | 'tab' | 'pipe'
  ];
  const records = parse(text, {
    delimiter,
    quote: request.file.hasQuotes ? '"' : false,
    relax_column_count: true,
    skip_empty_lines: true,
  }) as string[][];
  return request.file.hasHeader ? records.slice(1) : records;
}

function firstZipEntry(zipped: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zipped, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) return reject(openError ?? new Error('not a zip file'));
      zip.once('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('unreadable zip entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.once('error', reject);
          stream.once('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        });
      });
      zip.once('end', () => reject(new Error('the zip file is empty')));
      zip.once('error', reject);
      zip.readEntry();
    });
  });
}
