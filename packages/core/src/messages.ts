// What travels on Kafka. Messages are versioned JSON checked with zod where they enter a
// service; Mongo stays the source of truth, so a message carries ids, never the only copy.
// Topic names live with the Kafka client, in packages/platform/src/kafka/topics.ts.

import { z } from 'zod';
import { RunState } from './run';
import { SYNC_STATUSES, type SyncStatus } from './sync-status';

const runId = z.string().min(1);
const candidate = z.string().min(1);

/** Calls claimed for VAN; key = candidate, so one key's budget lives in one consumer. */
export const VanSyncMessage = z.object({
  v: z.literal(1),
  runId,
  candidate,
  callIds: z.array(z.string().min(1)).min(1),
});
export type VanSyncMessage = z.infer<typeof VanSyncMessage>;

/** The setting that sizes a van-sync message, read by the extractor and the van-writer's bulk worker. */
export const vanSyncMessageEnv = {
  /** Call ids per `callsync.van-sync` message. */
  VAN_SYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(20),
};

/**
 * A `bulk` run whose calls are claimed: the van-writer sends them as VAN Bulk Import job(s). The
 * run document holds the jobs, so a redelivery resumes them instead of creating new ones.
 */
export const VanBulkImportMessage = z.object({ v: z.literal(1), runId, candidate });
export type VanBulkImportMessage = z.infer<typeof VanBulkImportMessage>;

/**
 * One CSV job. `results` exports the run's calls that are in `fromStatus` (in_progress for
 * all csv, queued_for_csv for hybrid); `callers` writes the run's caller file.
 */
export const CsvExportMessage = z.discriminatedUnion('kind', [
  z.object({
    v: z.literal(1),
    runId,
    candidate,
    kind: z.literal('results'),
    fromStatus: z.enum(['in_progress', 'queued_for_csv']),
  }),
  z.object({ v: z.literal(1), runId, candidate, kind: z.literal('callers') }),
]);
export type CsvExportMessage = z.infer<typeof CsvExportMessage>;

const RUN_EVENT_TYPES = ['run.opened', 'run.progress', 'run.completed', 'run.failed'] as const;

const statusCounts = z.partialRecord(
  z.enum(SYNC_STATUSES as [SyncStatus, ...SyncStatus[]]),
  z.number().int().min(0),
);

export const RunEvent = z.object({
  v: z.literal(1),
  runId,
  candidate,
  type: z.enum(RUN_EVENT_TYPES),
  /** ISO 8601. */
  at: z.iso.datetime({ offset: true }),
  state: z.enum(Object.values(RunState) as [RunState, ...RunState[]]).optional(),
  counts: statusCounts.optional(),
  /** Only on run.failed; never contains secrets. */
  error: z.string().optional(),
  /** Only with csv-export completions: the presigned link for the report. */
  csvUrl: z.url().optional(),
});
export type RunEvent = z.infer<typeof RunEvent>;

export type MessageDecoding<T> = { ok: true; message: T } | { ok: false; error: string };

/** JSON text → a checked message, or the reason it is not one (for the dead-letter topic). */
export function decodeMessage<T>(schema: z.ZodType<T>, text: string): MessageDecoding<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: z.prettifyError(parsed.error) };
}
