// The one document type of each collection the services share, and the typed handle to it. Every
// reader and writer, in any service, goes through these, so a field is described in one place.

import type { Collection, Db } from 'mongodb';
import type { BulkRowLayout, Call, CallRoute, Run, RunProgress, SyncStatus } from '@call-sync/core';
import { Collections } from '@call-sync/platform';

export function callsCollection(db: Db): Collection<Call> {
  return db.collection<Call>(Collections.Calls);
}

export type BulkJobState = 'ready' | 'creating' | 'created' | 'done' | 'failed';

export interface BulkJobRecord {
  /** Position of the file in the run, from 0. */
  file: number;
  /** The `posting_request_id` its calls carry. */
  requestId: string;
  /** Object key of its zipped file in the bucket. */
  key: string;
  rows: number;
  state: BulkJobState;
  jobId?: string;
  status?: string;
  error?: string;
}

/** A `bulk` run's VAN Bulk Import jobs (see bulk-import-runs). */
export interface RunBulkImport {
  /** Preparations started; the files of an interrupted one are written again under a new number. */
  attempt: number;
  prepared: boolean;
  layout?: BulkRowLayout;
  /** The mapping VAN names for survey responses, found when the run started. */
  surveyMapping?: string;
  /**
   * The job action's mappings with the fields the run fills (CanvassedBy's user among them), fixed
   * when the run started so every job of the run, resumed or not, sends the same.
   */
  mappings?: {
    name: string;
    fieldValueMappings?: { fieldName: string; columnName?: string; staticValue?: string | number }[];
  }[];
  jobs: BulkJobRecord[];
  /** Calls sent in the jobs: what per-call posting would have spent, one request each. */
  calls: number;
  /** VAN requests the bulk part spent (mapping types, job creation, polls, result files). */
  requests: number;
  /** Set when the key lacks a mapping and the candidate falls back to posting call by call. */
  fallback?: 'per-call';
}

/** What the run remembers of a CSV export, so a redelivered job never uploads twice. */
export interface RunExportRecord {
  key: string;
  uploadedAt?: Date;
  rows?: number;
}

/** What a run would do with a window's unsynced calls, decided exactly as the extractor decides. */
export interface DryRunResult {
  calls: number;
  /** Where each call would go: one VAN post, a bulk-import row, a CSV, or nowhere. */
  byRoute: Record<CallRoute, number>;
  /** The status each call would be claimed into. */
  byStatus: Partial<Record<SyncStatus, number>>;
  byDisplayName: Record<string, number>;
  /** Calls that would fail before reaching VAN, by message (the validate page's wording). */
  errors: { error: string; count: number }[];
  vanRequests: { canvassPosts: number; bulkImport: number; metadata: number; total: number };
  /**
   * A `bulk` run's rows, its Bulk Import jobs, and the requests posting those rows call by call
   * would take. Absent on dry runs stored before bulk rows were counted.
   */
  bulkImport?: { rows: number; jobs: number; perCallRequests: number };
  /** VAN bills 1¢ a request beyond 1,000 a day; this assumes the key spent nothing else today. */
  estimatedCostCents: number;
}

/**
 * A `runs` document: core's Run with `_id = runId`, and what the pipeline records on it as it
 * works. `progress` lives here rather than on core's Run: its shape is the pipeline's business.
 */
/**
 * Unsynced calls no scheduled run will reach, counted when a scheduled run opens: made after the
 * candidate's first run began its window (earlier calls predate syncing) and before this run's
 * window, which starts where the last completed run stopped or at the catch-up limit.
 */
export interface LeftBehind {
  calls: number;
  /** The calls are before this instant (this run's window start)... */
  before: Date;
  /** ...and at or after this one (the candidate's first run's window start). */
  since: Date;
}

export interface RunDocument extends Run {
  _id: string;
  leftBehind?: LeftBehind;
  progress?: RunProgress;
  progressEventAt?: Date;
  /**
   * Set with the move to completed/failed and cleared once run.completed/run.failed is on the topic:
   * a worker that dies in between leaves it set, and the hourly extractor publishes the event then.
   */
  finalEventPending?: boolean;
  bulkImport?: RunBulkImport;
  csvExport?: RunExportRecord;
  callerExport?: RunExportRecord;
  /** An operator's dry run (the config service decides it at once, without the extractor). */
  dryRunResult?: DryRunResult;
}

export function runsCollection(db: Db): Collection<RunDocument> {
  return db.collection<RunDocument>(Collections.Runs);
}

type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface ReportDelivery {
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: Date;
  sentAt?: Date;
  /** When the retry loop may try again; also a lease so two replicas never send at once. */
  nextAttemptAt: Date;
}

/** One report per run: `_id` is the runId, so a redelivered run.completed cannot make a second. */
export interface ReportDocument {
  _id: string;
  runId: string;
  candidate: string;
  kind: 'completed' | 'failed';
  /** Send Report To of the candidate, when the listing has one. */
  to?: string;
  subject: string;
  text: string;
  createdAt: Date;
  delivery: ReportDelivery;
}

export function reportsCollection(db: Db): Collection<ReportDocument> {
  return db.collection<ReportDocument>(Collections.Reports);
}

/** VAN requests one key spent on one Eastern day (see van-request-budget). */
export interface VanBudgetDocument {
  /** `<keyFingerprint>:<day>` */
  _id: string;
  keyFingerprint: string;
  day: string;
  used: number;
}

export function vanBudgetsCollection(db: Db): Collection<VanBudgetDocument> {
  return db.collection<VanBudgetDocument>(Collections.VanBudgets);
}
