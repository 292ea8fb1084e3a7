import {
  decideCall,
  deliversOnlyCsv,
  planForStrategy,
  type Call,
  type CallRoute,
  type SyncStatus,
  type VanMetadata,
} from '@call-sync/core';
import type { CandidateConfiguration } from '@call-sync/integrations';
import type { DryRunResult } from '@call-sync/store';

const VAN_FREE_REQUESTS_PER_DAY = 1000;
const VAN_PAGE_SIZE = 200;
/** Before a bulk run: the key's mapping types (its profile too when a mapping requires CanvassedBy). */
const BULK_IMPORT_RUN_REQUESTS = 1;
/** Each job: its creation, at least one status read, and its results file. */
const BULK_IMPORT_JOB_REQUESTS = 3;
/** VAN requests a `bulk` run of `rows` rows spends at least: the mapping check, then per job. */
function bulkImportRequests(rows: number, rowsPerJob: number): { jobs: number; requests: number } {
  if (rows === 0) return { jobs: 0, requests: 0 };
  const jobs = Math.ceil(rows / rowsPerJob);
  return { jobs, requests: BULK_IMPORT_RUN_REQUESTS + jobs * BULK_IMPORT_JOB_REQUESTS };
}

/**
 * The reads a run spends on metadata: every page of questions and activist codes, and the result,
 * contact and input types (one unpaged read each).
 */
function metadataRequests(metadata: VanMetadata | undefined): number {
  if (!metadata) return 0;
  const pages = (items: number) => Math.max(1, Math.ceil(items / VAN_PAGE_SIZE));
  return pages(metadata.surveyQuestions.length) + pages(metadata.activistCodes.length) + 3;
}

export async function computeDryRun(
  calls: AsyncIterable<Call>,
  configuration: CandidateConfiguration,
  metadata: VanMetadata | undefined,
  /**
   * Rows per Bulk Import job: the van-writer's own setting (VAN_BULK_MAX_ROWS_PER_JOB), so a dry run
   * splits a night as the writer will. The zip-size limit (19 MB) binds later: a row is well under
   * 190 bytes.
   */
  bulkRowsPerJob: number,
): Promise<DryRunResult> {
  const { candidate, index } = configuration;
  const byRoute: Record<CallRoute, number> = { van: 0, 'van-bulk': 0, csv: 0, 'csv-after-van': 0, none: 0 };
  const byStatus: Partial<Record<SyncStatus, number>> = {};
  const byDisplayName: Record<string, number> = {};
  const errors = new Map<string, number>();
  let total = 0;
  for await (const call of calls) {
    total += 1;
    const decision = decideCall(call, candidate, index, metadata);
    const plan = planForStrategy(decision, candidate);
    byRoute[plan.route] += 1;
    byStatus[plan.status] = (byStatus[plan.status] ?? 0) + 1;
    const label = decision.row?.displayName ?? call.full_on_screen_result ?? '(no result)';
    byDisplayName[label] = (byDisplayName[label] ?? 0) + 1;
    if (plan.error) errors.set(plan.error, (errors.get(plan.error) ?? 0) + 1);
  }
  const touchesVan = !deliversOnlyCsv(candidate) && byRoute.van + byRoute['van-bulk'] > 0;
  const bulk = bulkImportRequests(byRoute['van-bulk'], bulkRowsPerJob);
  const vanRequests = {
    canvassPosts: byRoute.van,
    bulkImport: bulk.requests,
    metadata: touchesVan ? metadataRequests(metadata) : 0,
    total: 0,
  };
  vanRequests.total = vanRequests.canvassPosts + vanRequests.bulkImport + vanRequests.metadata;
  return {
    calls: total,
    byRoute,
    byStatus,
    byDisplayName,
    errors: [...errors.entries()]
      .map(([error, count]) => ({ error, count }))
      .sort((a, b) => b.count - a.count),
    vanRequests,
    bulkImport: { rows: byRoute['van-bulk'], jobs: bulk.jobs, perCallRequests: byRoute['van-bulk'] },
    estimatedCostCents: Math.max(0, vanRequests.total - VAN_FREE_REQUESTS_PER_DAY),
  };
}
