// Housekeeping (8 am): every active candidate, and every client whose phone bank made calls in
// the last 24 hours, must have had a report in the last 12 hours. A missing report means a run
// never happened or never completed, which nobody would otherwise notice until a campaign asks:
// we alert on the webhook and in a metric.

import type { Db } from 'mongodb';
import { Gauge, type Registry } from 'prom-client';
import type { Configuration } from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import { callsCollection, pipelineMetricsFor, reportsCollection } from '@call-sync/store';

export interface ReportAudit {
  expected: string[];
  missing: string[];
  alerted: boolean;
}

const HOUR = 3_600_000;

export async function auditReports(
  deps: { db: Db; logger: Logger; registry?: Registry; alertWebhookUrl?: string | undefined },
  configuration: Configuration,
  now = new Date(),
): Promise<ReportAudit> {
  const active = [...configuration.candidates.values()]
    .filter((c) => c.candidate.active)
    .map((c) => c.candidate.slug);
  const clients = await callsCollection(deps.db)
    .aggregate<{ _id: string | null }>([
      { $match: { timestamp: { $gte: new Date(now.getTime() - 24 * HOUR) } } },
      { $group: { _id: '$client' } },
    ])
    .toArray();
  const expected = [
    ...new Set([...active, ...clients.map((c) => c._id).filter((c): c is string => !!c)]),
  ].sort();
  const reports = reportsCollection(deps.db);
  const missing: string[] = [];
  for (const candidate of expected) {
    const recent = await reports.countDocuments(
      { candidate, createdAt: { $gte: new Date(now.getTime() - 12 * HOUR) } },
      { limit: 1 },
    );
    if (recent === 0) missing.push(candidate);
  }
  if (deps.registry) {
    const gauge =
      (deps.registry.getSingleMetric('callsync_reports_missing') as Gauge | undefined) ??
      new Gauge({
        name: 'callsync_reports_missing',
        help: 'Candidates (or clients with calls) without a report in the last 12 hours, at the last audit',
        registers: [deps.registry],
      });
    gauge.set(missing.length);
    if (missing.length > 0)
      pipelineMetricsFor(deps.registry).runAlerts.inc({ reason: 'report_missing' }, missing.length);
  }
  let alerted = false;
  if (missing.length > 0) {
    deps.logger.warn({ missing }, 'candidates without a report in the last 12 hours');
    if (deps.alertWebhookUrl) {
      const text = `call-sync: no report in the last 12 hours for ${missing.join(', ')}. Check their runs.`;
      const response = await fetch(deps.alertWebhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, missing }),
      });
      alerted = response.ok;
      if (!response.ok) deps.logger.error({ status: response.status }, 'the alert webhook refused the alert');
    }
  }
  return { expected, missing, alerted };
}
