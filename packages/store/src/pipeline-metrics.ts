import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Call } from '@call-sync/core';

/**
 * The pipeline's own metrics, made once per registry (each service has one). Labels are
 * candidates, statuses and reasons: never a key, a call id or a voter.
 */
export interface PipelineMetrics {
  callOutcomes: Counter<'candidate' | 'status'>;
  runsFinished: Counter<'candidate' | 'state'>;
  runDuration: Histogram<'strategy' | 'state'>;
  runAlerts: Counter<'reason'>;
  budgetRemaining: Gauge<'candidate'>;
  /** See observeFinishToPost. */
  finishToPost: Histogram<'candidate'>;
}

/**
 * From a call's end (finish_time, else its start) to its VAN post being recorded finished: what
 * VAN's guidance asks to keep short ("as close to real time as possible"). Nightly runs show
 * hours here, a continuous mode minutes; the buckets cover both, up to the two-day catch-up.
 */
const FINISH_TO_POST_BUCKETS = [
  30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800,
];

const metricsByRegistry = new WeakMap<Registry, PipelineMetrics>();

export function pipelineMetricsFor(registry: Registry): PipelineMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      callOutcomes: new Counter({
        name: 'callsync_calls_total',
        help: 'Calls that reached a status (claim or outcome), by candidate and status',
        labelNames: ['candidate', 'status'],
        registers: [registry],
      }),
      runsFinished: new Counter({
        name: 'callsync_runs_finished_total',
        help: 'Runs that ended, by candidate and final state (completed | failed)',
        labelNames: ['candidate', 'state'],
        registers: [registry],
      }),
      runDuration: new Histogram({
        name: 'callsync_run_duration_seconds',
        help: 'From a run being taken by the extractor to its end, by strategy and final state',
        labelNames: ['strategy', 'state'],
        buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
        registers: [registry],
      }),
      runAlerts: new Counter({
        name: 'callsync_run_alerts_total',
        help: 'Conditions a person must look at: stalled runs resumed or failed, missing reports',
        labelNames: ['reason'],
        registers: [registry],
      }),
      budgetRemaining: new Gauge({
        name: 'callsync_van_budget_remaining',
        help: "VAN requests left today in the candidate key's daily budget",
        labelNames: ['candidate'],
        registers: [registry],
      }),
      finishToPost: new Histogram({
        name: 'callsync_call_finish_to_post_seconds',
        help: "From a call's finish (or start, without one) to its VAN post being recorded, by candidate",
        labelNames: ['candidate'],
        buckets: FINISH_TO_POST_BUCKETS,
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/**
 * Observes one call whose VAN post was just recorded finished. A clock skew that puts the finish
 * after the post counts as 0 rather than as a negative delay.
 */
export function observeFinishToPost(
  registry: Registry,
  candidate: string,
  call: Pick<Call, 'finish_time' | 'timestamp'>,
  postedAt: Date = new Date(),
): void {
  const finishedAt = call.finish_time ?? call.timestamp;
  const seconds = Math.max(0, (postedAt.getTime() - new Date(finishedAt).getTime()) / 1000);
  if (Number.isFinite(seconds)) pipelineMetricsFor(registry).finishToPost.observe({ candidate }, seconds);
}
