// Takes the open runs (requested by the config service, or scheduled just now), candidates side
// by side: fetches the candidate's VAN metadata once, claims the run, pulls and claims its calls,
// and hands it on — to the van-writer (state `writing`), the csv-writer (`exporting`), or straight
// to `completed` when nothing is left to deliver.

import type { Db } from 'mongodb';
import type { Registry } from 'prom-client';
import { deliversOnlyCsv, RunState, type Strategy, type VanMetadata } from '@call-sync/core';
import {
  createCandidateVan,
  VanBudgetExhaustedError,
  type CandidateConfiguration,
  type Configuration,
  type LivevoxClient,
  type StagedConfiguration,
} from '@call-sync/integrations';
import { trace, type Logger, type Publisher } from '@call-sync/platform';
import {
  createMongoRequestBudget,
  failRun,
  handOnClaimedRun,
  hasLiveRun,
  openRuns,
  publishRunEvent,
  transitionRun,
  type SharedRequestBudget,
  updateLiveRun,
  type RunDocument,
} from '@call-sync/store';
import { claimRunCalls } from './claim-calls';
import { ClaimSlots, FirstBatches, handleKeyedQueues, inClaimSlot } from './extraction-turns';
import { pullLivevoxCalls } from './pull-livevox-calls';
import type { ExtractorSettings } from './settings';

export interface ExtractionDeps {
  db: Db;
  publisher: Publisher;
  logger: Logger;
  registry?: Registry;
  settings: Pick<
    ExtractorSettings,
    | 'VAN_API_URL'
    | 'VAN_APPLICATION_NAME'
    | 'VAN_RATE_PER_SECOND'
    | 'VAN_DAILY_BUDGET'
    | 'VAN_TIMEOUT_MS'
    | 'VAN_SYNC_BATCH_SIZE'
    | 'EXTRACT_CANDIDATES_AT_ONCE'
  >;
  livevox?: LivevoxClient;
  /** Shared by the runs of one extraction (extractOpenRuns); see extraction-turns.ts. */
  claimSlots?: ClaimSlots;
  /** Called once the run's first calls are claimed and their VAN work published (or none were). */
  onFirstBatch?: () => void;
  /** What a run's batches past the first wait for, beside a claim slot (claim-calls.ts). */
  largeClaimsAfter?: Promise<void>;
}

const tracer = trace.getTracer('call-sync.extractor');

/**
 * Candidates whose runs start side by side: each holds a run's first small batch (250 calls)
 * and a few MongoDB and Kafka requests in flight, far less than one large batch.
 */
const CANDIDATES_STARTED_AT_ONCE = 64;

/**
 * How long CSV-only candidates' runs wait, at most, for every VAN candidate's first calls to be
 * on their way: a key's seconds are the night's scarce resource, and the MongoDB work of a CSV
 * run (its file is written after the run anyway) otherwise delays every key's first post.
 */
const CSV_WAITS_AT_MOST_MS = 5_000;

/** The strategy the run follows: a System `csv` candidate delivers like `all csv` whatever its Strategy says. */
function effectiveStrategy(config: CandidateConfiguration): Strategy {
  return deliversOnlyCsv(config.candidate) ? 'all csv' : config.candidate.strategy;
}

/** Why a candidate's configuration cannot be used at all (rather than per row). */
export function unusableConfiguration(config: CandidateConfiguration): string | undefined {
  if (config.rows.length > 0) return undefined;
  const tableError = config.errors.find((e) => e.rowId === '');
  return tableError
    ? `configuration unusable: ${tableError.message}`
    : 'configuration unusable: the result table is empty';
}

type MetadataOutcome =
  | { kind: 'ok'; metadata: VanMetadata | undefined; requests: number }
  | { kind: 'budget' }
  | { kind: 'error'; error: string };

/**
 * The reads behind VanClient.fetchMetadata, sent together: paced one at a time they put ~300 ms
 * before a run's first claim, and five at once stay within any key's one-second limit. One
 * reservation of the key's day covers them, instead of one MongoDB write each.
 */
const METADATA_READS = 5;

/** VAN metadata, once per run: the ids step 6 of the decision checks every call against. */
async function fetchRunMetadata(
  deps: ExtractionDeps,
  config: CandidateConfiguration,
): Promise<MetadataOutcome> {
  if (deliversOnlyCsv(config.candidate)) return { kind: 'ok', metadata: undefined, requests: 0 };
  if (!config.candidate.apiKey) return { kind: 'error', error: 'no API Key in the listing row' };
  let budget: SharedRequestBudget | undefined;
  const van = createCandidateVan({
    settings: deps.settings,
    candidate: config.candidate,
    budgetFor: (fingerprint) =>
      (budget = createMongoRequestBudget(deps.db, fingerprint, deps.settings.VAN_DAILY_BUDGET, {
        reserveAhead: METADATA_READS,
      })),
    burst: METADATA_READS,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  try {
    const metadata = await van.client.fetchMetadata();
    return { kind: 'ok', metadata, requests: van.requestsUsed() };
  } catch (error) {
    if (error instanceof VanBudgetExhaustedError) return { kind: 'budget' };
    return { kind: 'error', error: `could not read VAN metadata: ${(error as Error).message}` };
  } finally {
    // Units of the block a read did not use (a failure part-way) go back to the key's day.
    await budget?.release().catch(() => undefined);
  }
}

/** Milliseconds spent in each named phase of a run's extraction, for the log that says where it went. */
function phaseTimer(): { end(phase: string): void; spent: Record<string, number> } {
  const spent: Record<string, number> = {};
  let since = performance.now();
  return {
    end(phase) {
      const at = performance.now();
      spent[phase] = Math.round(at - since);
      since = at;
    },
    spent,
  };
}

/** Extracts one open run; returns the run as it stands afterwards (or undefined if another process took it). */
async function extractRun(
  deps: ExtractionDeps,
  configuration: StagedConfiguration,
  run: RunDocument,
  readAhead?: Promise<MetadataOutcome>,
): Promise<RunDocument | undefined> {
  const phases = phaseTimer();
  const config = await configuration.candidate(run.candidate);
  phases.end('configuration');
  // Real time, even when `--now` replays a schedule: durations and stall checks need it.
  const now = new Date();
  if (!config) return (await failRun(deps, run.runId, `unknown candidate "${run.candidate}"`)) ?? undefined;
  const unusable = unusableConfiguration(config);
  if (unusable) return (await failRun(deps, run.runId, unusable)) ?? undefined;

  const metadata = (await readAhead) ?? (await fetchRunMetadata(deps, config));
  phases.end('vanMetadata');
  if (metadata.kind === 'budget') {
    // Visible, not failed: the next hourly extractor tries again once the day's budget is back.
    await updateLiveRun(deps.db, run.runId, { waitingFor: 'the VAN daily request budget is spent' });
    deps.logger.warn({ runId: run.runId, candidate: run.candidate }, 'run waits for the VAN budget');
    return { ...run, waitingFor: 'the VAN daily request budget is spent' };
  }
  if (metadata.kind === 'error') return (await failRun(deps, run.runId, metadata.error)) ?? undefined;

  const strategy = effectiveStrategy(config);
  const taken = await transitionRun(
    deps.db,
    run.runId,
    RunState.Open,
    RunState.Extracting,
    {
      set: {
        strategy,
        startedAt: now,
        vanRequestsUsed: (run.vanRequestsUsed ?? 0) + metadata.requests,
        progress: { callsDecided: 0, vanCalls: 0, vanDone: 0, lastActivityAt: now },
        // A continuous day decides calls all day long with the metadata read now.
        ...(run.continuous
          ? {
              continuous: {
                ...run.continuous,
                ...(metadata.metadata ? { vanMetadata: metadata.metadata } : {}),
              },
            }
          : {}),
      },
      unset: ['waitingFor'],
    },
    now,
  );
  if (!taken) return undefined; // another extractor took it first
  await publishRunEvent(deps.publisher, taken, 'run.opened');
  phases.end('take');
  // A continuous day stays in `extracting`: its cycles claim the calls as they settle.
  if (taken.continuous) return taken;

  return tracer.startActiveSpan(
    'extract run',
    {
      attributes: {
        'callsync.run_id': run.runId,
        'callsync.candidate': run.candidate,
        'callsync.strategy': strategy,
      },
    },
    async (span) => {
      try {
        const livevox = deps.livevox;
        if (livevox)
          await inClaimSlot(deps.claimSlots, () =>
            pullLivevoxCalls(deps.db, deps.logger, livevox, configuration.listing, config, run.window),
          );
        phases.end('livevox');
        const summary = await claimRunCalls(
          { ...deps, vanSyncBatchSize: deps.settings.VAN_SYNC_BATCH_SIZE },
          taken,
          config,
          metadata.metadata,
        );
        phases.end('claim');
        if (taken.dryRun) {
          const done = await transitionRun(deps.db, run.runId, RunState.Extracting, RunState.Completed, {
            set: {
              counts: summary.counts,
              dryRunPlan: {
                counts: summary.counts,
                vanPosts: summary.vanCalls,
                bulkRows: summary.bulkCalls,
                csvRows: summary.csvCalls,
              },
            },
          });
          if (done) await publishRunEvent(deps.publisher, done, 'run.completed', { counts: summary.counts });
          return done ?? undefined;
        }
        const handedOn = await handOnClaimedRun(deps, taken, summary.counts);
        phases.end('handOn');
        deps.logger.info(
          { runId: run.runId, candidate: run.candidate, phasesMs: phases.spent },
          'run extracted',
        );
        return handedOn ?? undefined;
      } catch (error) {
        // Calls claimed so far stay claimed; the stall check resumes or fails the run loudly.
        span.recordException(error as Error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * For a run whose extractor died mid-claim (resume-runs.ts): claims the calls of its window that
 * are still unsynced, with the candidate's configuration and VAN metadata read now, and publishes
 * their work. Calls claimed before the crash are left alone (claims only take unsynced calls).
 */
export function extractionContinuer(
  deps: ExtractionDeps,
  configuration: Configuration,
): (run: RunDocument) => Promise<void> {
  return async (run) => {
    const config = configuration.candidates.get(run.candidate);
    if (!config) throw new Error(`candidate "${run.candidate}" is no longer in the configuration`);
    const metadata = await fetchRunMetadata(deps, config);
    if (metadata.kind === 'budget') throw new Error('the VAN daily request budget is spent');
    if (metadata.kind === 'error') throw new Error(metadata.error);
    // The pull may be what stopped the first extraction (Livevox failing part-way): the window's
    // calls it had not brought in yet are pulled now, or none of them would ever be claimed.
    if (deps.livevox)
      await pullLivevoxCalls(deps.db, deps.logger, deps.livevox, configuration, config, run.window);
    const summary = await claimRunCalls(
      { ...deps, vanSyncBatchSize: deps.settings.VAN_SYNC_BATCH_SIZE },
      run,
      config,
      metadata.metadata,
    );
    deps.logger.info(
      { runId: run.runId, candidate: run.candidate, claimed: summary.counts },
      'extraction continued after a crash',
    );
  };
}

/**
 * Every open run, oldest first. A run waits while another run of its candidate is live, so two
 * runs never share a candidate's calls or its VAN budget at once. Different candidates are taken
 * side by side, all of them up to CANDIDATES_STARTED_AT_ONCE, so every candidate's writer has its
 * first calls within the first seconds; only their large claims (and Livevox pulls) take turns,
 * `EXTRACT_CANDIDATES_AT_ONCE` at a time, which bounds the memory (extraction-turns.ts). VAN
 * candidates go first: CSV-only runs, and every run's batches past its first, wait until each
 * VAN candidate's first calls are on their way (CSV_WAITS_AT_MOST_MS at most). One candidate's
 * runs stay one after another, in order. A run that throws stops only its candidate's later
 * runs; the others finish, then the first error is thrown.
 */
export async function extractOpenRuns(
  deps: ExtractionDeps,
  configuration: StagedConfiguration,
): Promise<RunDocument[]> {
  const opened = await openRuns(deps.db);
  const postsToVan = (run: RunDocument): boolean => {
    const listed = configuration.listing.candidates.get(run.candidate)?.candidate;
    return listed !== undefined && !deliversOnlyCsv(listed);
  };
  // VAN candidates' queues first: they are the ones started at once, and the ones waited for.
  const vanRuns = opened.filter(postsToVan);
  const open = [...vanRuns, ...opened.filter((run) => !postsToVan(run))];
  const vanCandidates = [...new Set(vanRuns.map((run) => run.candidate))];
  const vanFirst = new FirstBatches(vanCandidates.slice(0, CANDIDATES_STARTED_AT_ONCE), CSV_WAITS_AT_MOST_MS);
  const metadata = readMetadataAhead(deps, configuration, open);
  const shared = {
    ...deps,
    claimSlots: new ClaimSlots(deps.settings.EXTRACT_CANDIDATES_AT_ONCE),
    largeClaimsAfter: vanFirst.out,
  };
  const extracted = await handleKeyedQueues(
    open,
    (run) => run.candidate,
    CANDIDATES_STARTED_AT_ONCE,
    async (run) => {
      if (!postsToVan(run)) {
        await vanFirst.out;
        return extractIfNoLiveRun(shared, configuration, run, metadata.get(run));
      }
      const firstBatchOut = () => vanFirst.done(run.candidate);
      try {
        return await extractIfNoLiveRun(
          { ...shared, onFirstBatch: firstBatchOut },
          configuration,
          run,
          metadata.get(run),
        );
      } finally {
        firstBatchOut();
      }
    },
  );
  // Oldest first, as the runs were opened, whatever order they were taken or finished in.
  const outcomes = new Map(open.map((run, i) => [run, extracted[i]]));
  return opened.map((run) => outcomes.get(run)).filter((run): run is RunDocument => run !== undefined);
}

/**
 * The VAN metadata of each candidate's first open run, asked for at once: a candidate's few
 * metadata requests wait on VAN, not on this process, so they need not wait for a claiming slot
 * (`EXTRACT_CANDIDATES_AT_ONCE` bounds the memory of claims, not these). A candidate's later runs
 * read theirs when they start, after the run before has spent from the same budget.
 */
function readMetadataAhead(
  deps: ExtractionDeps,
  configuration: StagedConfiguration,
  runs: readonly RunDocument[],
): Map<RunDocument, Promise<MetadataOutcome>> {
  const ahead = new Map<RunDocument, Promise<MetadataOutcome>>();
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.candidate)) continue;
    seen.add(run.candidate);
    const read = configuration
      .candidate(run.candidate)
      .then((config): Promise<MetadataOutcome> | MetadataOutcome =>
        config && !unusableConfiguration(config)
          ? fetchRunMetadata(deps, config)
          : { kind: 'error', error: 'no usable configuration' },
      );
    // A run that waits for its candidate's live run never reads it: no unhandled rejection then.
    read.catch(() => undefined);
    ahead.set(run, read);
  }
  return ahead;
}

async function extractIfNoLiveRun(
  deps: ExtractionDeps,
  configuration: StagedConfiguration,
  run: RunDocument,
  readAhead?: Promise<MetadataOutcome>,
): Promise<RunDocument | undefined> {
  if (await hasLiveRun(deps.db, run.candidate, run._id)) {
    await updateLiveRun(deps.db, run.runId, {
      waitingFor: 'another run of this candidate is still running',
    });
    deps.logger.info(
      { runId: run.runId, candidate: run.candidate },
      'run waits for the live run of its candidate',
    );
    return undefined;
  }
  return extractRun(deps, configuration, run, readAhead);
}
