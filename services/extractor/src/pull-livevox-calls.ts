// Before a run claims anything it can pull its window's calls straight from Livevox (when
// LIVEVOX_* is configured), so a night whose CSV export nobody uploaded is still synced. The
// upsert is by the dialer's call id and sets only the dialer's fields: pulling twice, or after
// an import, changes nothing, and a call's sync fields are never touched.

import type { AnyBulkWriteOperation, Db } from 'mongodb';
import { parseLivevoxExportRow, type Call, type TimeWindow } from '@call-sync/core';
import type { CandidateConfiguration, ConfigurationListing, LivevoxClient } from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import { callsCollection } from '@call-sync/store';

export interface LivevoxPullSummary {
  rows: number;
  upserted: number;
  testAccountsSkipped: number;
  errors: number;
  /** Calls that carried VAN's phone id: 0 with calls pulled suggests LIVEVOX_PHONE_ID_FIELD is wrong. */
  withPhoneId: number;
}

export async function pullLivevoxCalls(
  db: Db,
  logger: Logger,
  livevox: LivevoxClient,
  configuration: Pick<ConfigurationListing, 'termCodes'>,
  config: CandidateConfiguration,
  window: TimeWindow,
): Promise<LivevoxPullSummary> {
  const summary: LivevoxPullSummary = {
    rows: 0,
    upserted: 0,
    testAccountsSkipped: 0,
    errors: 0,
    withPhoneId: 0,
  };
  const wanted = new Set(config.candidate.serviceNames.map((name) => name.trim().toLowerCase()));
  const services = (await livevox.listServices()).filter((s) => wanted.has(s.name.trim().toLowerCase()));
  const clientForDistrict = (district: string): string | undefined =>
    district === config.candidate.district ? config.candidate.slug : undefined;
  for (const service of services) {
    const rows = await livevox.fetchCallDetail(service.id, window);
    const operations: AnyBulkWriteOperation<Call>[] = [];
    rows.forEach((row, index) => {
      summary.rows += 1;
      const outcome = parseLivevoxExportRow({ ...row }, index + 2, {
        termCodes: configuration.termCodes,
        clientForDistrict,
        serviceName: service.name,
      });
      if (outcome.kind === 'test-account') summary.testAccountsSkipped += 1;
      else if (outcome.kind === 'error') summary.errors += 1;
      else {
        if (outcome.call.phone_id !== undefined) summary.withPhoneId += 1;
        operations.push({
          updateOne: { filter: { id: outcome.call.id }, update: { $set: outcome.call }, upsert: true },
        });
      }
    });
    for (let i = 0; i < operations.length; i += 500) {
      const result = await callsCollection(db).bulkWrite(operations.slice(i, i + 500), { ordered: false });
      summary.upserted += result.upsertedCount;
    }
  }
  logger.info({ candidate: config.candidate.slug, ...summary }, 'calls pulled from Livevox');
  return summary;
}
