import { SYNC_STATUSES } from '@call-sync/core';
import { RESET_SCOPES } from '@call-sync/store';
import { AUDIT_ACTIONS } from '../../data-access/audit-repository';
import { z } from './zod';
import {
  candidateSystem,
  check,
  configError,
  runState,
  runTrigger,
  strategy,
  timestamp,
  window,
} from './fields';

// What each operation answers in JSON, as the wire carries it (dates as ISO strings). The config
// tests check every answer they receive against these.

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();
const count = z.number().int().min(0);

const candidateAnswer = z
  .object({
    slug: z.string(),
    referenceName: z.string(),
    strategy,
    system: candidateSystem,
    district: z.string(),
    syncHourEastern: z.number().int().min(0).max(23),
    active: z.boolean(),
    serviceNames: z.array(z.string()),
    tagIds: z.array(z.number().int()),
    sendReportTo: nullable(z.string()),
    hasApiKey: z.boolean(),
    apiKeyLoaded: z.boolean(),
    resultRows: count,
    configurationErrors: z.array(configError),
  })
  .openapi('Candidate', { description: 'A candidate as the listing configures it; never its API key' });

export const configurationAnswer = z
  .object({
    candidates: z.array(candidateAnswer),
    configurationErrors: z.array(configError),
    source: z.enum(['airtable', 'mongo', 'none']),
    loadedAt: nullable(timestamp),
    lastRefreshAt: nullable(timestamp),
    lastRefreshError: nullable(z.string()),
  })
  .openapi('Configuration');

const candidateHeader = z.object({
  slug: z.string(),
  referenceName: z.string(),
  system: candidateSystem,
  strategy,
  district: z.string(),
});

export const configureAnswer = z
  .object({
    candidate: candidateHeader,
    van: nullable(
      z.object({
        database: nullable(z.string()),
        committee: nullable(z.string()),
        fetchedAt: timestamp,
        resultCodes: z.array(
          z.object({ id: z.number().int(), name: z.string(), shortName: nullable(z.string()) }),
        ),
        activistCodes: z.array(
          z.object({
            id: z.number().int(),
            name: z.string(),
            description: nullable(z.string()),
            label: z.string(),
          }),
        ),
        surveyQuestions: z.array(
          z.object({
            id: z.number().int(),
            name: z.string(),
            type: nullable(z.string()),
            responses: z.array(
              z.object({ id: z.number().int(), name: z.string(), pair: z.string(), label: z.string() }),
            ),
          }),
        ),
      }),
    ),
    note: nullable(z.string()),
    instructions: z.array(z.string()),
  })
  .openapi('Configure', { description: "The VAN ids a candidate's result table may use" });

export const validateAnswer = z
  .object({
    candidate: z.object({
      slug: z.string(),
      referenceName: nullable(z.string()),
      system: nullable(candidateSystem),
      strategy: nullable(strategy),
      district: nullable(z.string()),
    }),
    ok: z.boolean(),
    header: z.string(),
    apiKey: check,
    metadataFetchedAt: nullable(timestamp),
    canvassTypes: z.array(check),
    bulkImport: z.array(check),
    phoneIds: nullable(
      z.object({
        days: count,
        calls: count,
        withPhoneId: count,
        share: nullable(z.number().min(0).max(1)),
        ok: z.boolean(),
        message: z.string(),
        why: z.string(),
      }),
    ),
    tableErrors: z.array(configError),
    rows: z.array(
      z.object({
        rowId: z.string(),
        fullOnScreenResult: z.string(),
        displayName: z.string(),
        ok: z.boolean(),
        checks: z.array(check),
        warnings: z.array(z.string()),
      }),
    ),
  })
  .openapi('Validation', { description: 'The verdict on a candidate’s configuration, row by row' });

const runCounts = z.object(Object.fromEntries(SYNC_STATUSES.map((status) => [status, count])));
const callRoutes = z.object({
  van: count,
  'van-bulk': count,
  csv: count,
  'csv-after-van': count,
  none: count,
});

const dryRunResult = z
  .object({
    calls: count,
    byRoute: callRoutes,
    byStatus: z.partialRecord(z.enum(SYNC_STATUSES as [string, ...string[]]), count),
    byDisplayName: z.record(z.string(), count),
    errors: z.array(z.object({ error: z.string(), count })),
    vanRequests: z.object({ canvassPosts: count, bulkImport: count, metadata: count, total: count }),
    estimatedCostCents: z.number().min(0),
  })
  .openapi('DryRunResult', { description: 'What a run would do with the window’s unsynced calls' });

const report = z.object({
  subject: z.string(),
  to: nullable(z.string()),
  createdAt: timestamp,
  delivery: z.object({
    status: z.enum(['pending', 'sent', 'failed']),
    attempts: count,
    lastError: nullable(z.string()),
    sentAt: nullable(timestamp),
    nextAttemptAt: nullable(timestamp),
  }),
});

const continuousDay = z
  .object({
    open: z.boolean(),
    closesAt: timestamp,
    settleMinutes: count,
    cycles: count,
    lastCycleAt: nullable(timestamp),
    dayPercent: z.number().int().min(0).max(100),
  })
  .openapi('ContinuousDay', {
    description:
      "A continuous candidate's day: while open, how far its cycles have reached through the window, and when it closes",
  });

export const runAnswer = z
  .object({
    runId: z.uuid(),
    candidate: z.string(),
    trigger: runTrigger,
    state: runState,
    dryRun: z.boolean(),
    strategy,
    window,
    scheduledAt: timestamp,
    openedAt: timestamp,
    startedAt: nullable(timestamp),
    updatedAt: timestamp,
    finishedAt: nullable(timestamp),
    durationMs: nullable(count),
    callsClaimed: count,
    counts: runCounts,
    progress: z.object({
      settled: count,
      total: count,
      percent: z.number().int().min(0).max(100),
      pipeline: z
        .object({
          callsDecided: count.optional(),
          vanCalls: count.optional(),
          vanDone: count.optional(),
          lastActivityAt: timestamp.optional(),
        })
        .optional(),
    }),
    error: nullable(z.string()),
    waitingFor: nullable(z.string()),
    csvUrl: nullable(z.string()),
    callerCsvUrl: nullable(z.string()),
    /** Unsynced calls no scheduled run will reach, counted when this scheduled run opened. */
    leftBehind: nullable(z.object({ calls: count, before: timestamp, since: timestamp })),
    vanRequestsUsed: nullable(count),
    vanRequestsPerCall: nullable(count),
    dryRunResult: nullable(dryRunResult),
    continuous: nullable(continuousDay).openapi({ description: 'null for a nightly run' }),
    report: nullable(report),
  })
  .openapi('Run');

const night = z.object({
  day: z.string().openapi({ description: 'the calling day (Eastern), YYYY-MM-DD' }),
  calls: count,
  van: count.openapi({ description: 'finished through VAN: a post, a Bulk Import row, a confirmation' }),
  csv: count.openapi({ description: 'finished as a row of a results CSV' }),
  errors: count.openapi({ description: 'errors, the outcome-unknown calls aside' }),
  unknown: count.openapi({ description: 'posts VAN may or may not hold' }),
});

export const runsAnswer = z
  .object({
    runs: z.array(runAnswer),
    live: count.openapi({ description: 'runs not finished' }),
    nights: z
      .array(
        z.object({
          candidate: z.string(),
          nights: z.array(night).length(14),
          budget: nullable(
            z.object({
              day: z.string(),
              used: count,
              limit: count,
              sharedWith: z.array(z.string()),
            }),
          ),
        }),
      )
      .openapi({
        description:
          "Per candidate the token may see, the last 14 nights from the runs' counts (dry runs aside), oldest first, and its VAN key's requests today against VAN_DAILY_BUDGET",
      }),
  })
  .openapi('Runs');

const receipt = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('van'),
    vanId: z.number().int(),
    dateCanvassed: z.string(),
    requestId: z.string(),
    postedAt: timestamp,
    httpStatus: z.number().int(),
  }),
  z.object({ kind: z.literal('van-bulk'), jobId: z.string(), row: z.number().int() }),
  z.object({
    kind: z.literal('van-confirmed'),
    confirmedBy: z.string(),
    confirmedAt: timestamp,
    requestId: z.string().optional(),
  }),
  z.object({ kind: z.literal('csv'), url: z.string() }),
]);

export const runDetailAnswer = runAnswer
  .extend({
    outcomeUnknown: count.openapi({
      description: 'calls VAN may or may not hold: check them before a replay',
    }),
    errors: z.array(z.object({ error: z.string(), count })),
    receipts: z.array(z.object({ id: z.string(), sync_status: z.enum(SYNC_STATUSES), receipt })),
  })
  .openapi('RunDetail');

const resetBase = {
  candidate: z.string(),
  scope: z.enum(RESET_SCOPES),
  window,
};

export const resetAnswer = z
  .union([
    z.object({
      ...resetBase,
      confirmed: z.literal(false),
      wouldReset: count,
      alreadyInVan: count,
      detail: z.string(),
    }),
    z.object({ ...resetBase, confirmed: z.literal(true), reset: count }),
  ])
  .openapi('Reset', { description: 'Without confirm the count; with confirm=true how many were reset' });

const dropRate = z.union([z.number().min(0).max(1), z.literal('N/A')]);

export const dropRateAnswer = z
  .object({
    serviceName: z.string(),
    startDay: z.iso.date(),
    days: z.array(z.object({ day: z.iso.date(), drops: count, contacts: count, dropRate })),
    total: z.object({ drops: count, contacts: count, dropRate }),
  })
  .openapi('DropRate');

export const importAnswer = z
  .object({
    importId: z.uuid(),
    state: z.enum(['running', 'completed', 'failed']),
    fileName: z.string().optional(),
    serviceName: z.string().optional(),
    by: z.string().optional().openapi({ description: 'the name of the token that uploaded it' }),
    bytesRead: count,
    counts: z.object({
      rows: count,
      inserted: count,
      updated: count,
      unchanged: count,
      testAccountsSkipped: count,
      errors: count,
    }),
    rowErrors: z.array(
      z.object({
        line: z.number().int().min(1),
        message: z.string(),
        text: z
          .string()
          .optional()
          .openapi({ description: 'the row as the file has it (up to 1,000 characters)' }),
      }),
    ),
    startedAt: timestamp,
    updatedAt: timestamp,
    finishedAt: timestamp.optional(),
    durationMs: count.optional(),
    error: z.string().optional(),
    rowsPerSecond: nullable(count),
  })
  .openapi('ImportJob');

// The list leaves out each job's row errors (up to a thousand each); one job's page has them.
export const importsAnswer = z
  .object({ imports: z.array(importAnswer.omit({ rowErrors: true }).openapi('ImportJobSummary')) })
  .openapi('ImportJobs');

export const auditAnswer = z
  .object({
    entries: z.array(
      z.object({
        id: z.string(),
        at: timestamp,
        actor: z.string().optional().openapi({ description: "the token's name; none on a 401" }),
        role: z.enum(['organiser', 'operator']).optional(),
        via: z.enum(['bearer', 'session']).optional(),
        action: z.enum(AUDIT_ACTIONS),
        candidate: z.string().optional(),
        outcome: z.enum(['done', 'failed']),
        summary: z.string(),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    next: z.string().optional().openapi({ description: 'the next, older page; absent on the last' }),
  })
  .openapi('Audit');

export const healthAnswer = z.object({ status: z.literal('ok'), service: z.string() });
export const readyAnswer = z.union([
  z.object({ status: z.literal('ready'), service: z.string() }),
  z.object({ status: z.literal('not ready'), failures: z.record(z.string(), z.string()) }),
]);

export const openApiAnswer = z
  .looseObject({
    openapi: z.string().startsWith('3.1'),
    info: z.object({ title: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .openapi({ description: 'An OpenAPI 3.1 document' });

const sentItem = z.union([
  z.object({ type: z.literal('ResultCode'), resultCodeId: z.number().int(), name: z.string().nullable() }),
  z.object({
    type: z.literal('SurveyResponse'),
    surveyQuestionId: z.number().int(),
    question: z.string().nullable(),
    surveyResponseId: z.number().int(),
    response: z.string().nullable(),
  }),
  z.object({
    type: z.literal('ActivistCode'),
    activistCodeId: z.number().int(),
    name: z.string().nullable(),
    action: z.enum(['Apply', 'Remove']),
  }),
]);

const outcomeUnknownCall = z
  .object({
    callId: z.string(),
    candidate: z.string().nullable(),
    runId: z.string().nullable(),
    vanId: z.number().int().nullable(),
    voter: z.string(),
    phoneDialed: z.string(),
    calledAt: timestamp,
    result: z.string().nullable(),
    postLeftAt: timestamp.nullable(),
    requestId: z.string().nullable(),
    attempts: z.number().int(),
    dateCanvassed: z.string().nullable(),
    sent: z.array(sentItem),
    error: z.string().nullable(),
    vanUrl: z.string().nullable(),
    repostInFlight: z.boolean(),
  })
  .openapi('OutcomeUnknownCall');

export const outcomeUnknownAnswer = z
  .object({
    calls: z.array(outcomeUnknownCall),
    total: count,
    /** Whether VAN's names for the ids could be read (the key's metadata). */
    namesFromVan: z.boolean(),
  })
  .openapi('OutcomeUnknown', {
    description: 'Calls whose VAN post may or may not have landed, oldest first',
  });

export const resolveAnswer = z
  .object({
    verdict: z.enum(['in-van', 'not-in-van']),
    results: z.array(
      z.object({
        callId: z.string(),
        result: z.enum(['finished', 'attempted_error', 'outcome_unknown', 'refused']),
        detail: z.string(),
      }),
    ),
  })
  .openapi('OutcomeResolution', { description: 'What became of each call a person resolved' });

/** Where a call went or will go: one VAN post, a VAN Bulk Import row, a CSV row, or nowhere. */
export const CALL_ROUTES = ['van', 'van-bulk', 'csv', 'none', 'not yet decided'] as const;

const journeyCall = z
  .object({
    callId: z.string(),
    candidate: nullable(z.string()),
    accountNumber: z.string(),
    voterId: z.string(),
    /** The dialed number, only its last four digits. */
    phoneDialed: z.string(),
    caller: z.string(),
    calledAt: timestamp,
    finishedAt: nullable(timestamp),
    result: z.object({
      dialer: z.string(),
      fullOnScreenResult: z.string(),
      displayName: nullable(z.string()),
    }),
    status: z.enum([...SYNC_STATUSES, 'unsynced']),
    decision: z.object({ route: z.enum(CALL_ROUTES), why: z.string() }),
    run: nullable(
      z.object({
        runId: z.string(),
        state: nullable(runState),
        strategy: nullable(strategy),
        trigger: nullable(runTrigger),
      }),
    ),
    history: z.array(z.object({ at: timestamp, step: z.string(), detail: z.string() })),
    vanRequest: nullable(
      z.object({
        vanId: z.number().int(),
        sent: z.array(sentItem),
        /** The stored body, the phone number masked as above. */
        body: z.record(z.string(), z.unknown()),
      }),
    ),
    receipt: nullable(
      z.object({
        kind: z.enum(['van', 'van-bulk', 'van-confirmed', 'csv']),
        text: z.string(),
        /** The CSV file (a presigned link, as the run shows it). */
        url: nullable(z.string()),
      }),
    ),
    error: nullable(z.string()),
    outcomeUnknown: z.boolean(),
    resolution: nullable(
      z.object({ verdict: z.enum(['in-van', 'not-in-van']), by: z.string(), at: timestamp }),
    ),
  })
  .openapi('CallJourney');

export const callSearchAnswer = z
  .object({
    search: nullable(
      z.object({
        by: z.enum(['voter', 'phone', 'call', 'account']),
        /** As searched; a phone number only by its last four digits. */
        value: z.string(),
      }),
    ),
    calls: z.array(journeyCall),
    /** More calls matched than are shown (the newest are). */
    more: z.boolean(),
  })
  .openapi('CallSearch', {
    description: "Calls matching one exact key, newest first, each with its journey; an organiser's own only",
  });
