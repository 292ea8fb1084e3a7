import {
  createAirtableClient,
  readConfigurationInStages,
  type ResultTablesCopy,
  type StagedConfiguration,
} from '@call-sync/integrations';
import type { ExtractorSettings } from './settings';

/**
 * The candidates' configuration as the organisers left it in Airtable, read once per invocation:
 * the listing now, each candidate's result table when its work first needs it, from the config
 * service's recent copy when `copy` holds it.
 */
export async function loadConfiguration(
  settings: Pick<
    ExtractorSettings,
    | 'AIRTABLE_API_KEY'
    | 'AIRTABLE_BASE_ID'
    | 'AIRTABLE_ENDPOINT_URL'
    | 'AIRTABLE_LISTING_TABLE'
    | 'AIRTABLE_TERM_CODES_TABLE'
  >,
  copy?: Promise<ResultTablesCopy | undefined>,
): Promise<StagedConfiguration> {
  const airtable = createAirtableClient({
    apiKey: settings.AIRTABLE_API_KEY,
    baseId: settings.AIRTABLE_BASE_ID,
    endpointUrl: settings.AIRTABLE_ENDPOINT_URL,
  });
  return readConfigurationInStages(airtable, {
    listingTable: settings.AIRTABLE_LISTING_TABLE,
    termCodesTable: settings.AIRTABLE_TERM_CODES_TABLE,
    ...(copy ? { copy } : {}),
  });
}
