// What one `extract` does, in order: open the runs that are due (the nightly ones, a requested day,
// the continuous days that have begun), extract every open run, run one cycle of each continuous
// day, check the live runs for stalls, and sweep the outbox of final events. `extract --continuous`
// (the short CronJob) does the continuous part only and leaves the nightly runs and the stall
// check to the hourly job. Every step is a compare-and-set in MongoDB, so two extractors at once
// (the two CronJobs overlapping) never claim a call twice.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import {
  createLivevoxClient,
  type Configuration,
  type LivevoxClient,
  type StagedConfiguration,
} from '@call-sync/integrations';
import type { Logger, Publisher } from '@call-sync/platform';
import { republishPendingFinalEvents, type RunDocument } from '@call-sync/store';
import { openContinuousDays, runContinuousCycles, type CycleResult } from './continuous-cycle';
import { extractionContinuer, extractOpenRuns, type ExtractionDeps } from './extract-runs';
import { openDueRuns, openRunsForDay } from './open-due-runs';
import { checkLiveRuns, resumeRun, type RunCheck } from './resume-runs';
import type { ExtractorSettings } from './settings';

export interface ExtractSequenceDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  settings: ExtractorSettings;
  /** The Livevox client, when LIVEVOX_* is set (livevoxFromSettings). */
  livevox?: LivevoxClient;
}

export interface ExtractRequest {
  /** The schedule's instant; `--now` replays another. */
  now: Date;
  candidate?: string;
  /** `--window YYYY-MM-DD`: a requested run over that Eastern day instead of the schedule. */
  window?: string;
  /** `--continuous`: the continuous days only. */
  continuousOnly?: boolean;
}

export interface ExtractOutcome {
  runs: Pick<RunDocument, 'runId' | 'candidate' | 'state'>[];
  cycles: CycleResult[];
  checks: Record<string, RunCheck>;
  republished: string[];
}

/** A final event is published again only once it has been pending this long: a worker publishing it now is not raced. */
const OUTBOX_GRACE_MS = 60_000;
/** Longer than any cycle takes: only a holder that died keeps a day past it. */
const CYCLE_LEASE_MS = 10 * 60_000;

export function livevoxFromSettings(settings: ExtractorSettings): LivevoxClient | undefined {
  const { LIVEVOX_API_URL, LIVEVOX_USER_NAME, LIVEVOX_PASSWORD, LIVEVOX_CLIENT_NAME } = settings;
  if (!LIVEVOX_API_URL || !LIVEVOX_USER_NAME || !LIVEVOX_PASSWORD || !LIVEVOX_CLIENT_NAME) return undefined;
  return createLivevoxClient({
    baseUrl: LIVEVOX_API_URL,
    userName: LIVEVOX_USER_NAME,
    password: LIVEVOX_PASSWORD,
    clientName: LIVEVOX_CLIENT_NAME,
    phoneIdField: settings.LIVEVOX_PHONE_ID_FIELD,
  });
}

function extractionDeps(deps: ExtractSequenceDeps): ExtractionDeps {
  const { db, publisher, logger, registry, settings, livevox } = deps;
  return {
    db,
    publisher,
    logger,
    settings,
    ...(registry ? { registry } : {}),
    ...(livevox ? { livevox } : {}),
  };
}

function resumeDeps(deps: ExtractSequenceDeps, configuration: Configuration) {
  return {
    db: deps.db,
    publisher: deps.publisher,
    logger: deps.logger,
    ...(deps.registry ? { registry: deps.registry } : {}),
    vanSyncBatchSize: deps.settings.VAN_SYNC_BATCH_SIZE,
    continueExtraction: extractionContinuer(extractionDeps(deps), configuration),
  };
}

/**
 * One `extract`: open, extract, continuous cycles, stall check, outbox sweep. Opening needs only
 * the listing, and each run waits only for its own candidate's result table: the first claims do
 * not wait for every candidate's table to be read.
 */
export async function runExtract(
  deps: ExtractSequenceDeps,
  staged: StagedConfiguration,
  request: ExtractRequest,
): Promise<ExtractOutcome> {
  const { db, logger, settings } = deps;
  const listing = staged.listing;
  const { now } = request;
  const only = request.candidate !== undefined ? { candidate: request.candidate } : {};
  if (request.window) {
    await openRunsForDay(db, listing, request.window, { now, ...only });
  } else if (!request.continuousOnly) {
    await openDueRuns(db, logger, listing, {
      now,
      maxCatchUpDays: settings.CATCH_UP_MAX_DAYS,
      ...only,
    });
  }
  const continuous = {
    now,
    settleMs: settings.CONTINUOUS_SETTLE_MS,
    maxCatchUpDays: settings.CATCH_UP_MAX_DAYS,
    stallAfterMs: settings.RUN_STALL_AFTER_MS,
    leaseMs: CYCLE_LEASE_MS,
    ...only,
  };
  if (!request.window) await openContinuousDays(db, logger, listing, continuous);
  const extraction = extractionDeps(deps);
  const runs = await extractOpenRuns(extraction, staged);
  const configuration = await staged.complete();
  const cycles = await runContinuousCycles(extraction, configuration, continuous);
  const checks = request.continuousOnly
    ? {}
    : await checkLiveRuns(resumeDeps(deps, configuration), {
        now: new Date(),
        stallAfterMs: settings.RUN_STALL_AFTER_MS,
      });
  const republished = await republishPendingFinalEvents(deps, { olderThanMs: OUTBOX_GRACE_MS });
  const outcome: ExtractOutcome = {
    runs: runs.map((r) => ({ runId: r.runId, candidate: r.candidate, state: r.state })),
    cycles,
    checks,
    republished,
  };
  logger.info(outcome, 'extract done');
  return outcome;
}

/** `extractor resume --run <id>`: re-publishes the unfinished work of one run now. */
export async function resumeOneRun(
  deps: ExtractSequenceDeps,
  configuration: Configuration,
  run: RunDocument,
): Promise<number> {
  const published = await resumeRun(resumeDeps(deps, configuration), run);
  deps.logger.info({ runId: run.runId, published }, 'run work re-published');
  return published;
}
