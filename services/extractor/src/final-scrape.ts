import { Gauge, type Registry } from '@call-sync/platform';

/** What a run alert counts (callsync_run_alerts_total), each served from the start at 0. */
export const RUN_ALERT_REASONS = ['run_stalled_resumed', 'run_stalled_failed', 'report_missing'] as const;

/**
 * Resolves shortly after the next scrape of `registry`, or after `waitMs` without one. A one-shot
 * command's counters die with its process: waiting for one scrape after the work is done lets a
 * Prometheus that scrapes the job's pod see the final numbers rather than those of mid-run.
 */
export function nextScrape(registry: Registry, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), waitMs);
    new Gauge({
      name: 'callsync_job_work_done',
      help: "1 once the command's work is done: the numbers of this scrape are its final ones",
      registers: [registry],
      collect() {
        this.set(1);
        clearTimeout(timer);
        // The scrape's answer is still being written: shutting the server down now would cut it.
        setTimeout(() => resolve(true), 250).unref();
      },
    });
  });
}
