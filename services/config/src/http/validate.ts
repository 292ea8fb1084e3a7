import Router from '@koa/router';
import type Koa from 'koa';
import {
  bulkRowLayoutOf,
  deliversOnlyCsv,
  PHONE_ID_LOOKBACK_DAYS,
  PHONE_ID_WHY,
  phoneIdShare,
  resolveCanvassTypes,
  validateResultTable,
  VALIDATION_HEADER_ERRORS,
  type Candidate,
  type ConfigCheck,
} from '@call-sync/core';
import {
  missingBulkImportMappings,
  planBulkImportMappings,
  unfilledBulkImportFields,
  VanAuthError,
  VanBudgetExhaustedError,
  VanError,
  type CandidateConfiguration,
} from '@call-sync/integrations';
import type { OperatorCalls } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import type { VanMetadataCache, VanView } from '../van-metadata-cache';
import { renderValidatePage, type ValidateAnswer } from '../pages/validate-page';
import { candidateHeader } from './configure';
import { HttpError, vanBudgetSpent } from './http-error';
import { respond } from './negotiation';
import { candidateOrBrokenRow, type BrokenListingRow } from './params';
import { operations } from './api/operations';
import { serve } from './serve-operation';

type PhoneIdCounts = Pick<OperatorCalls, 'countPhoneIds'>;

/**
 * What the van-writer will check before a `bulk` run, from the rows that go to VAN: the mappings
 * the key offers, then each mapping's required fields filled as the run fills them (CanvassedBy
 * with the key's own VAN user), so a job VAN would refuse is named before the night.
 */
function bulkImportChecks(configuration: CandidateConfiguration, view: VanView | undefined): ConfigCheck[] {
  if (configuration.candidate.strategy !== 'bulk' || !view?.bulkImportMappings) return [];
  const layout = bulkRowLayoutOf(configuration.candidate, configuration.rows);
  const missing = missingBulkImportMappings(view.bulkImportMappings, layout);
  if (missing.length > 0) {
    return [
      {
        ok: false,
        message: `VAN Bulk Import mapping not enabled for this key: ${missing.join(', ')} — ask VAN to enable it, or list the candidate in VAN_BULK_FALLBACK_CANDIDATES`,
      },
    ];
  }
  const mappings = {
    ok: true,
    message: 'VAN Bulk Import: every mapping the results need is enabled for this key',
  };
  const canvassedBy = view.profile.userId;
  const plan = planBulkImportMappings(view.bulkImportMappings, layout, canvassedBy);
  const unfilled = unfilledBulkImportFields(plan, canvassedBy);
  if (unfilled) return [mappings, { ok: false, message: unfilled }];
  return [
    mappings,
    {
      ok: true,
      message:
        plan.needsCanvassedBy && canvassedBy !== undefined
          ? `VAN Bulk Import: every required field is filled; rows are canvassed by VAN user ${canvassedBy}, the key's own`
          : 'VAN Bulk Import: every required field is filled',
    },
  ];
}

async function phoneIdsOf(calls: PhoneIdCounts, candidate: Candidate): Promise<ValidateAnswer['phoneIds']> {
  if (deliversOnlyCsv(candidate)) return null;
  const since = new Date(Date.now() - PHONE_ID_LOOKBACK_DAYS * 24 * 3_600_000);
  return { ...phoneIdShare(await calls.countPhoneIds(candidate.district, since)), why: PHONE_ID_WHY };
}

/**
 * docs/behaviour.md#operations: the key and its mode first (a wrong mode answers 401 like a wrong key), then every row
 * against VAN's metadata. When VAN refuses the key the rows are still checked for what can be
 * checked without VAN, so organisers see every problem at once.
 */
async function validateAnswer(
  vanCache: VanMetadataCache,
  calls: PhoneIdCounts,
  configuration: CandidateConfiguration,
): Promise<ValidateAnswer> {
  const { candidate, rows, errors } = configuration;
  let apiKey: { ok: boolean; message: string };
  let view: VanView | undefined;
  if (candidate.system === 'csv') {
    apiKey = { ok: true, message: 'System csv: no VAN key needed, ids are not checked against VAN' };
  } else {
    try {
      view = await vanCache.get(candidate);
      const mode = candidate.system === 'myc' ? 'MyCampaign (|1)' : 'MyVoters (|0)';
      apiKey = {
        ok: true,
        message: `VAN accepted the key in mode ${mode}${view.profile.databaseName ? ` for ${view.profile.databaseName}` : ''}`,
      };
    } catch (error) {
      if (error instanceof VanAuthError) apiKey = { ok: false, message: error.message };
      else if (error instanceof VanBudgetExhaustedError) throw vanBudgetSpent();
      else if (error instanceof VanError) throw new HttpError(502, 'van_unavailable', error.message);
      else throw error;
    }
  }
  const table = validateResultTable(rows, view?.metadata);
  // The run resolves these names the same way: an unknown one fails its VAN-bound calls.
  const canvassTypes = deliversOnlyCsv(candidate)
    ? []
    : resolveCanvassTypes(candidate, view?.metadata).checks;
  const bulkImport = bulkImportChecks(configuration, view);
  const rowIds = new Set(rows.map((row) => row.rowId));
  // Errors of rows that could not become rows at all (no result, table missing) are only here.
  const tableErrors = errors.filter((error) => !rowIds.has(error.rowId));
  const ok =
    table.ok &&
    apiKey.ok &&
    canvassTypes.every((check) => check.ok) &&
    bulkImport.every((check) => check.ok) &&
    tableErrors.length === 0 &&
    rows.length > 0;
  if (rows.length === 0 && tableErrors.length === 0) {
    tableErrors.push({
      table: candidate.referenceName,
      rowId: '',
      field: '',
      message: 'the result table has no rows',
    });
  }
  return {
    candidate: candidateHeader(candidate),
    ok,
    header: ok ? table.header : VALIDATION_HEADER_ERRORS,
    apiKey,
    metadataFetchedAt: view?.fetchedAt.toISOString() ?? null,
    canvassTypes,
    bulkImport,
    phoneIds: await phoneIdsOf(calls, candidate),
    tableErrors,
    rows: table.rows,
  };
}

/**
 * The report for a candidate whose listing row cannot be read: nothing else can be checked until
 * the row is fixed, but the organiser who mistyped the strategy sees which field is wrong.
 */
function brokenRowAnswer({ slug, errors }: BrokenListingRow): ValidateAnswer {
  return {
    candidate: { slug, referenceName: null, system: null, strategy: null, district: null },
    ok: false,
    header: VALIDATION_HEADER_ERRORS,
    apiKey: { ok: false, message: 'not checked: the Listing row must be fixed first' },
    metadataFetchedAt: null,
    canvassTypes: [],
    bulkImport: [],
    phoneIds: null,
    tableErrors: errors,
    rows: [],
  };
}

/**
 * A district's phone-id counts, reused for `ttlMs`: they are a week of calls, and counting them on
 * every validate made MongoDB the cost of the page (a share a minute old says the same thing).
 * Concurrent requests for a district share one count.
 */
function phoneIdCountsReused(calls: PhoneIdCounts, ttlMs: number): PhoneIdCounts {
  const counted = new Map<string, { at: number; counts: ReturnType<PhoneIdCounts['countPhoneIds']> }>();
  return {
    countPhoneIds(district, since) {
      const known = counted.get(district);
      if (known && Date.now() - known.at < ttlMs) return known.counts;
      const counts = calls.countPhoneIds(district, since);
      counted.set(district, { at: Date.now(), counts });
      counts.catch(() => counted.delete(district));
      return counts;
    },
  };
}

export function validateRoutes(deps: {
  cache: ConfigCache;
  vanCache: VanMetadataCache;
  calls: PhoneIdCounts;
  phoneIdShareCacheMs: number;
}): Router {
  const router = new Router();
  const calls = phoneIdCountsReused(deps.calls, deps.phoneIdShareCacheMs);
  serve(router, operations.validate, async (ctx: Koa.Context, { params }) => {
    const found = await candidateOrBrokenRow(ctx, deps.cache, params.candidate);
    const answer =
      'candidate' in found ? await validateAnswer(deps.vanCache, calls, found) : brokenRowAnswer(found);
    respond(ctx, answer, () => renderValidatePage(ctx, answer));
  });
  return router;
}
