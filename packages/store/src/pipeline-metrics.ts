import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

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
}

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
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}
