import type { Db } from 'mongodb';
import { easternDayOf, RunState, SYNC_STATUSES, type RunCounts, type Secret } from '@call-sync/core';
import { Gauge, type Registry } from '@call-sync/platform';
import {
  countOutcomeUnknownByCandidate,
  LIVE_RUN_STATES,
  reportsCollection,
  runsCollection,
  vanBudgetsCollection,
  type RunDocument,
  type RunExportRecord,
} from '@call-sync/store';
import { sharedRead } from './metrics-snapshot';
import { apiKeyFingerprint } from './unloaded-api-key';

// The pipeline's state as Prometheus sees it, read from MongoDB by the config service (always up)
// rather than counted in the one-shot extractor, whose counters die with it. Each gauge answers a
// question an alert or a dashboard panel asks; every active candidate gets a series (0 when there
// is nothing to count) so an alert can tell "nothing wrong" from "not measured".

const HOUR_MS = 3_600_000;
/** How far back runs and reports are read: a week and a day covers "the last one" for alerts. */
const LOOKBACK_MS = 8 * 24 * HOUR_MS;
/** Finished runs and CSV exports count on the dashboard for a day. */
const RECENT_MS = 24 * HOUR_MS;

export interface MeasuredCandidate {
  slug: string;
  /** The candidate's Sync Mode: alerts on a continuous candidate's delay join on it. */
  syncMode: string;
  /** Fingerprint of the candidate's VAN key, when it has one: its budget document's id. */
  keyFingerprint?: string;
}

export interface RunMetricsOptions {
  db: Db;
  registry: Registry;
  /** The active candidates of the configuration in service. */
  activeCandidates(): Promise<MeasuredCandidate[]>;
  /** VAN requests a key may make per Eastern day (VAN_DAILY_BUDGET). */
  vanDailyBudget: number;
  now?: () => Date;
}

type RunFields = Pick<
  RunDocument,
  | 'candidate'
  | 'state'
  | 'trigger'
  | 'counts'
  | 'openedAt'
  | 'updatedAt'
  | 'finishedAt'
  | 'progressEventAt'
  | 'waitingFor'
  | 'leftBehind'
> & {
  csvExport?: Pick<RunExportRecord, 'uploadedAt' | 'rows'>;
  callerExport?: Pick<RunExportRecord, 'uploadedAt' | 'rows'>;
};

interface Snapshot {
  at: Date;
  candidates: MeasuredCandidate[];
  runs: RunFields[];
  lastReportAt: Map<string, Date>;
  outcomeUnknown: Map<string, number>;
  budgetUsed: Map<string, number>;
}

async function readSnapshot(options: RunMetricsOptions): Promise<Snapshot> {
  const { db } = options;
  const at = options.now?.() ?? new Date();
  const since = new Date(at.getTime() - LOOKBACK_MS);
  // Before the first configuration load this waits; a scrape must not (Prometheus would time out).
  const candidates = await Promise.race([
    options.activeCandidates(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('configuration not loaded yet')), 2_000).unref(),
    ),
  ]);
  const [runs, reports, unknown, budgets] = await Promise.all([
    runsCollection(db)
      .find(
        { $or: [{ openedAt: { $gte: since } }, { state: { $in: [...LIVE_RUN_STATES] } }] },
        {
          projection: {
            candidate: 1,
            state: 1,
            trigger: 1,
            counts: 1,
            openedAt: 1,
            updatedAt: 1,
            finishedAt: 1,
            progressEventAt: 1,
            waitingFor: 1,
            'leftBehind.calls': 1,
            'csvExport.uploadedAt': 1,
            'csvExport.rows': 1,
            'callerExport.uploadedAt': 1,
            'callerExport.rows': 1,
          },
        },
      )
      .toArray() as Promise<RunFields[]>,
    reportsCollection(db)
      .find({ createdAt: { $gte: since } }, { projection: { candidate: 1, createdAt: 1 } })
      .toArray(),
    countOutcomeUnknownByCandidate(db),
    vanBudgetsCollection(db)
      .find({ day: easternDayOf(at) }, { projection: { keyFingerprint: 1, used: 1 } })
      .toArray(),
  ]);
  const lastReportAt = new Map<string, Date>();
  for (const report of reports) {
    const seen = lastReportAt.get(report.candidate);
    if (!seen || report.createdAt > seen) lastReportAt.set(report.candidate, report.createdAt);
  }
  return {
    at,
    candidates,
    runs,
    lastReportAt,
    outcomeUnknown: new Map([...unknown].map(([client, n]) => [client || '(none)', n])),
    budgetUsed: new Map(budgets.map((b) => [b.keyFingerprint, b.used])),
  };
}

const isFinished = (run: RunFields): boolean =>
  run.state === RunState.Completed || run.state === RunState.Failed;
const seconds = (date: Date | undefined): number => (date ? date.getTime() / 1000 : 0);

/** The latest finished run of each candidate among those read. */
function lastFinished(runs: RunFields[]): Map<string, RunFields> {
  const last = new Map<string, RunFields>();
  for (const run of runs.filter(isFinished)) {
    const seen = last.get(run.candidate);
    if (!seen || (run.finishedAt ?? run.updatedAt) > (seen.finishedAt ?? seen.updatedAt))
      last.set(run.candidate, run);
  }
  return last;
}

export function registerRunMetrics(options: RunMetricsOptions): void {
  const { registry } = options;
  const snapshot = sharedRead<Snapshot | undefined>(() => readSnapshot(options), undefined);
  const slugs = (s: Snapshot): string[] => s.candidates.map((c) => c.slug);
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (s: Snapshot, set: (labels: Record<L, string>, value: number) => void) => void,
  ): void => {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        if (!s) return; // Mongo unreachable: keep the last values rather than report none
        this.reset();
        fill(s, (labels, value) => this.set(labels, value));
      },
    });
  };

  gauge(
    'callsync_runs',
    'Runs by candidate and state: every live run, and the runs that finished in the last 24 hours',
    ['candidate', 'state'],
    (s, set) => {
      const recent = s.at.getTime() - RECENT_MS;
      const counts = new Map<string, number>();
      for (const slug of slugs(s))
        for (const state of Object.values(RunState)) counts.set(`${slug}\n${state}`, 0);
      for (const run of s.runs) {
        if (isFinished(run) && (run.finishedAt ?? run.updatedAt).getTime() < recent) continue;
        const key = `${run.candidate}\n${run.state}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const [candidate = '', state = ''] = key.split('\n');
        set({ candidate, state }, n);
      }
    },
  );
  gauge(
    'callsync_candidate_info',
    'One series of value 1 per active candidate, labelled with its Sync Mode (nightly | continuous)',
    ['candidate', 'sync_mode'],
    (s, set) => {
      for (const { slug, syncMode } of s.candidates) set({ candidate: slug, sync_mode: syncMode }, 1);
    },
  );
  gauge(
    'callsync_calls_left_behind',
    "Unsynced calls no scheduled run will reach (older than the candidate's latest scheduled run's window), as counted when it opened",
    ['candidate'],
    (s, set) => {
      const latest = new Map<string, RunFields>();
      for (const run of s.runs) {
        if (run.trigger !== 'schedule') continue;
        const seen = latest.get(run.candidate);
        if (!seen || run.openedAt > seen.openedAt) latest.set(run.candidate, run);
      }
      for (const candidate of slugs(s)) set({ candidate }, latest.get(candidate)?.leftBehind?.calls ?? 0);
    },
  );
  gauge(
    'callsync_last_run_failed',
    "1 when the candidate's latest finished run failed, 0 when it completed",
    ['candidate'],
    (s, set) => {
      for (const [candidate, run] of lastFinished(s.runs))
        set({ candidate }, run.state === RunState.Failed ? 1 : 0);
    },
  );
  gauge(
    'callsync_last_run_calls',
    "Calls of the candidate's latest finished run, by the status they ended in",
    ['candidate', 'status'],
    (s, set) => {
      for (const [candidate, run] of lastFinished(s.runs)) {
        const counts: Partial<RunCounts> = run.counts ?? {};
        for (const status of SYNC_STATUSES) set({ candidate, status }, counts[status] ?? 0);
      }
    },
  );
  gauge(
    'callsync_last_scheduled_run_timestamp_seconds',
    'When the latest nightly (scheduled) run of each active candidate opened; 0 when none in 8 days',
    ['candidate'],
    (s, set) => {
      for (const candidate of slugs(s)) {
        const opened = s.runs
          .filter((r) => r.candidate === candidate && r.trigger === 'schedule')
          .map((r) => r.openedAt.getTime());
        set({ candidate }, opened.length > 0 ? Math.max(...opened) / 1000 : 0);
      }
    },
  );
  gauge(
    'callsync_live_run_idle_seconds',
    "Seconds since the candidate's least recently moved live run last changed; 0 when none is live. A run waiting on purpose (the day's VAN budget is spent) is not idle",
    ['candidate'],
    (s, set) => {
      const idle = new Map(slugs(s).map((slug) => [slug, 0]));
      const live = s.runs.filter(
        (r) => (LIVE_RUN_STATES as readonly string[]).includes(r.state) && !r.waitingFor,
      );
      for (const run of live) {
        const moved = Math.max(run.updatedAt.getTime(), run.progressEventAt?.getTime() ?? 0);
        const age = Math.max(0, (s.at.getTime() - moved) / 1000);
        idle.set(run.candidate, Math.max(idle.get(run.candidate) ?? 0, age));
      }
      for (const [candidate, age] of idle) set({ candidate }, age);
    },
  );
  gauge(
    'callsync_last_report_timestamp_seconds',
    'When the latest report of each active candidate was written; 0 when none in 8 days',
    ['candidate'],
    (s, set) => {
      for (const candidate of slugs(s)) set({ candidate }, seconds(s.lastReportAt.get(candidate)));
    },
  );
  gauge(
    'callsync_calls_outcome_unknown',
    "Calls still to resolve whose outcome is unknown (VAN may or may not hold the response), in calls or the archive, by the call's client",
    ['candidate'],
    (s, set) => {
      for (const candidate of slugs(s)) set({ candidate }, 0);
      for (const [candidate, n] of s.outcomeUnknown) set({ candidate }, n);
    },
  );
  gauge(
    'callsync_csv_exports',
    'CSV files uploaded in the last 24 hours, by candidate and kind (results | callers)',
    ['candidate', 'kind'],
    (s, set) => fillCsvExports(s, set, () => 1),
  );
  gauge(
    'callsync_csv_export_rows',
    'Rows of the CSV files uploaded in the last 24 hours, by candidate and kind (results | callers)',
    ['candidate', 'kind'],
    (s, set) => fillCsvExports(s, set, (rows) => rows),
  );
  gauge(
    'callsync_van_budget_remaining_today',
    "VAN requests left in today's (Eastern) budget of each active candidate's key, read from the shared budget",
    ['candidate'],
    (s, set) => {
      for (const { slug, keyFingerprint } of s.candidates) {
        if (!keyFingerprint) continue;
        const used = s.budgetUsed.get(keyFingerprint) ?? 0;
        set({ candidate: slug }, Math.max(0, options.vanDailyBudget - used));
      }
    },
  );
  new Gauge({
    name: 'callsync_van_budget_daily_limit',
    help: 'VAN requests a key may make per Eastern day (VAN_DAILY_BUDGET)',
    registers: [registry],
    collect() {
      this.set(options.vanDailyBudget);
    },
  });
}

function fillCsvExports(
  s: Snapshot,
  set: (labels: { candidate: string; kind: string }, value: number) => void,
  amount: (rows: number) => number,
): void {
  const recent = s.at.getTime() - RECENT_MS;
  const totals = new Map<string, number>();
  for (const candidate of s.candidates)
    for (const kind of ['results', 'callers']) totals.set(`${candidate.slug}\n${kind}`, 0);
  for (const run of s.runs) {
    for (const [kind, file] of [
      ['results', run.csvExport],
      ['callers', run.callerExport],
    ] as const) {
      if (!file?.uploadedAt || file.uploadedAt.getTime() < recent) continue;
      const key = `${run.candidate}\n${kind}`;
      totals.set(key, (totals.get(key) ?? 0) + amount(file.rows ?? 0));
    }
  }
  for (const [key, n] of totals) {
    const [candidate = '', kind = ''] = key.split('\n');
    set({ candidate, kind }, n);
  }
}

/** The active candidates of a configuration, with their key's fingerprint (never the key). */
export function measuredCandidates(
  candidates: Iterable<{
    candidate: { slug: string; active: boolean; apiKey: Secret | undefined; syncMode: string };
  }>,
): MeasuredCandidate[] {
  return [...candidates]
    .filter((c) => c.candidate.active)
    .map(({ candidate }) => {
      const measured = { slug: candidate.slug, syncMode: candidate.syncMode };
      return candidate.apiKey
        ? { ...measured, keyFingerprint: apiKeyFingerprint(candidate.apiKey) }
        : measured;
    });
}
