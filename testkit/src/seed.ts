import { parseLivevoxExportRow, type Call } from '@call-sync/core';
import { parseConfiguration, type Configuration } from '@call-sync/integrations';
import type { SeededFixture } from '@call-sync/sandbox';

// A seed's night without the sandboxes' HTTP in between: its configuration as Airtable's tables
// hold it, and its dialer rows as the config service's import stores them.

/** The seed's configuration, parsed from its Airtable base's tables. */
export function seedConfiguration(fixture: SeededFixture): Configuration {
  const tables = fixture.airtable.bases[0]!.tables;
  const { listingTable, termCodeTable } = fixture.meta;
  return parseConfiguration({
    loadedAt: new Date(),
    listing: tables[listingTable]!,
    termCodes: tables[termCodeTable]!,
    resultTables: Object.fromEntries(
      Object.entries(tables).filter(([name]) => name !== listingTable && name !== termCodeTable),
    ),
    unreadableTables: [],
  });
}

/** The seed's dialer calls as the import stores them (test accounts and bad rows left out). */
export function seedCalls(fixture: SeededFixture, configuration: Configuration): Call[] {
  const slugOfDistrict = new Map(fixture.meta.candidates.map((c) => [c.district, c.slug]));
  const calls: Call[] = [];
  fixture.livevox.calls.forEach(({ row }, index) => {
    const outcome = parseLivevoxExportRow({ ...row }, index + 2, {
      termCodes: configuration.termCodes,
      clientForDistrict: (district) => slugOfDistrict.get(district),
      serviceName: row.service_name,
    });
    if (outcome.kind === 'call') calls.push(outcome.call);
  });
  return calls;
}
