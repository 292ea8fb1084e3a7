import {
  createAirtableClient,
  parseConfiguration,
  readConfigurationTables,
  type Configuration,
} from '@call-sync/integrations';
import type { ExtractorSettings } from './settings';

/** The candidates' configuration as the organisers left it in Airtable, read once per invocation. */
export async function loadConfiguration(
  settings: Pick<
    ExtractorSettings,
    | 'AIRTABLE_API_KEY'
    | 'AIRTABLE_BASE_ID'
    | 'AIRTABLE_ENDPOINT_URL'
    | 'AIRTABLE_LISTING_TABLE'
    | 'AIRTABLE_TERM_CODES_TABLE'
  >,
): Promise<Configuration> {
  const airtable = createAirtableClient({
    apiKey: settings.AIRTABLE_API_KEY,
    baseId: settings.AIRTABLE_BASE_ID,
    endpointUrl: settings.AIRTABLE_ENDPOINT_URL,
  });
  const tables = {
    listingTable: settings.AIRTABLE_LISTING_TABLE,
    termCodesTable: settings.AIRTABLE_TERM_CODES_TABLE,
  };
  return parseConfiguration(await readConfigurationTables(airtable, tables), tables);
}
