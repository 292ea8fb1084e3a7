// Wiring of the `bulk` strategy's consumer (bulk-import.ts): its own topic and consumer group, so a
// long poll of a Bulk Import job never holds up the per-call posts of callsync.van-sync.

import {
  createS3Client,
  ensureBucket,
  envVars,
  parseEnv,
  startTopicWorker,
  bulkImportGroupId,
  Topics,
  type ServiceRuntime,
} from '@call-sync/platform';
import { z } from 'zod';
import { VanBulkImportMessage, vanSyncMessageEnv } from '@call-sync/core';
import { bulkImportJobEnv } from '@call-sync/integrations';
import { runBulkImport, type BulkImportDeps } from './bulk-import';
import type { CandidateVanAccess } from './posting-window';

const bulkImportEnv = {
  S3_ENDPOINT: envVars.S3_ENDPOINT,
  S3_PUBLIC_ENDPOINT: envVars.S3_PUBLIC_ENDPOINT,
  S3_REGION: envVars.S3_REGION,
  S3_BUCKET: envVars.S3_BUCKET,
  S3_FORCE_PATH_STYLE: envVars.S3_FORCE_PATH_STYLE,
  S3_ACCESS_KEY_ID: envVars.S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY: envVars.S3_SECRET_ACCESS_KEY,
  ...bulkImportJobEnv,
  ...vanSyncMessageEnv,
  /** How long VAN may take to fetch a Bulk Import file: the presigned link's lifetime (max 7 days). */
  VAN_BULK_LINK_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(6 * 3600),
  /** A Bulk Import job's zipped file stays below this; VAN's documented limits are 20 and 100 MB. */
  VAN_BULK_MAX_ZIP_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(20 * 1024 * 1024)
    .default(19 * 1024 * 1024),
  /** First and longest wait between two status reads of a Bulk Import job (doubling in between). */
  VAN_BULK_POLL_MIN_MS: z.coerce.number().int().min(10).default(1_000),
  VAN_BULK_POLL_MAX_MS: z.coerce.number().int().min(10).default(60_000),
  /**
   * Candidates (comma-separated slugs, or `*`) whose `bulk` runs post call by call when their key
   * lacks a Bulk Import mapping; any other such run fails naming the mapping.
   */
  VAN_BULK_FALLBACK_CANDIDATES: z.string().default(''),
  KAFKA_CONSUMER_GROUP: envVars.KAFKA_CONSUMER_GROUP,
};

function loadBulkImportSettings(source: Record<string, string | undefined> = process.env) {
  return parseEnv(bulkImportEnv, source);
}

export async function startBulkImportWorker(
  runtime: ServiceRuntime,
  vanAccessFor: (candidate: string) => Promise<CandidateVanAccess | undefined>,
  source: Record<string, string | undefined> = process.env,
): Promise<void> {
  const env = loadBulkImportSettings(source);
  const s3Settings = {
    region: env.S3_REGION,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
  };
  const s3 = createS3Client({ ...s3Settings, endpoint: env.S3_ENDPOINT });
  // Links are signed for the host VAN will use; signing needs no request, so this client only signs.
  const publicS3 = createS3Client({ ...s3Settings, endpoint: env.S3_PUBLIC_ENDPOINT ?? env.S3_ENDPOINT });
  await ensureBucket(s3, env.S3_BUCKET);
  runtime.onShutdown({ name: 's3 (bulk import)', run: async () => s3.destroy() });
  const stopping = new AbortController();
  const deps: Omit<BulkImportDeps, 'publisher'> = {
    db: runtime.db,
    logger: runtime.logger,
    s3,
    publicS3,
    vanAccessFor,
    signal: stopping.signal,
    settings: {
      bucket: env.S3_BUCKET,
      linkSeconds: env.VAN_BULK_LINK_SECONDS,
      maxZipBytes: env.VAN_BULK_MAX_ZIP_BYTES,
      maxRowsPerJob: env.VAN_BULK_MAX_ROWS_PER_JOB,
      pollMinMs: env.VAN_BULK_POLL_MIN_MS,
      pollMaxMs: env.VAN_BULK_POLL_MAX_MS,
      fallbackCandidates: env.VAN_BULK_FALLBACK_CANDIDATES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      vanSyncBatchSize: env.VAN_SYNC_BATCH_SIZE,
    },
  };
  await startTopicWorker(runtime, {
    topic: Topics.VanBulkImport,
    schema: VanBulkImportMessage,
    groupId: bulkImportGroupId(env.KAFKA_CONSUMER_GROUP ?? 'callsync-van-writer'),
    handle: (message, _meta, publisher) => runBulkImport({ ...deps, publisher }, message),
  });
  // Registered last, so it runs first on SIGTERM: a poll in progress stops, its message stays
  // uncommitted and the job is polled again after the restart.
  runtime.onShutdown({ name: 'bulk import polls', run: async () => stopping.abort() });
}
