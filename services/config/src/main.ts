import { runMain, startServiceRuntime } from '@call-sync/platform';
import { createAirtableClient } from '@call-sync/integrations';
import { createOperatorCalls, createOperatorRuns } from '@call-sync/store';
import { loadConfigSettings } from './settings';
import { createConfigCache } from './config-cache';
import { createVanMetadataCache } from './van-metadata-cache';
import { createConfigCacheRepository } from './data-access/config-cache-repository';
import { mountRoutes } from './http/routes';
import { configRouters } from './http/routers';
import { registerJobMetrics } from './job-metrics';
import { measuredCandidates, registerRunMetrics } from './run-metrics';
import { httpMetrics } from './http-metrics';
import { createImportsRepository } from './data-access/imports-repository';
import { createReportSender, type ReportSender } from './reports/report-delivery';
import { startRunEventsConsumer, type RunEventsDeps } from './reports/run-events-consumer';
import { createReportsRepository } from './data-access/reports-repository';
import { createAuditRepository } from './data-access/audit-repository';

// Wiring only: the service's behaviour lives in the modules imported above.
async function main(): Promise<void> {
  const settings = loadConfigSettings();
  let stopWork = (): void => undefined;
  let reportDeps: (RunEventsDeps & { delivery: ReportSender }) | undefined;

  const runtime = await startServiceRuntime({
    service: 'config',
    defaultPort: 8080,
    routes: (app, { db, logger, registry }) => {
      const cache = createConfigCache({
        airtable: createAirtableClient({
          apiKey: settings.AIRTABLE_API_KEY,
          baseId: settings.AIRTABLE_BASE_ID,
          endpointUrl: settings.AIRTABLE_ENDPOINT_URL,
        }),
        repository: createConfigCacheRepository(db),
        logger,
        listingTable: settings.AIRTABLE_LISTING_TABLE,
        termCodesTable: settings.AIRTABLE_TERM_CODES_TABLE,
      });
      cache.start(settings.CONFIG_REFRESH_INTERVAL_MS);
      stopWork = () => cache.stop();
      const vanCache = createVanMetadataCache({
        baseUrl: settings.VAN_API_URL,
        applicationName: settings.VAN_APPLICATION_NAME,
        timeoutMs: settings.VAN_TIMEOUT_MS,
        ttlMs: settings.VAN_METADATA_CACHE_MS,
        db,
        dailyBudget: settings.VAN_DAILY_BUDGET,
        registry,
      });
      registerJobMetrics(db, registry);
      registerRunMetrics({
        db,
        registry,
        activeCandidates: async () => measuredCandidates((await cache.current()).candidates.values()),
        vanDailyBudget: settings.VAN_DAILY_BUDGET,
      });
      app.use(httpMetrics(registry));
      const calls = createOperatorCalls(db);
      const runs = createOperatorRuns(db);
      const reports = createReportsRepository(db);
      const audit = createAuditRepository(db);
      const delivery = createReportSender({
        reports,
        webhookUrl: settings.REPORT_WEBHOOK_URL,
        logger,
        retryIntervalMs: settings.REPORT_RETRY_INTERVAL_MS,
      });
      reportDeps = { cache, runs, calls, reports, delivery, logger };
      mountRoutes(app, {
        logger,
        apiTokens: settings.API_TOKENS,
        sessionSecret: settings.SESSION_SECRET,
        routers: configRouters({
          cache,
          vanCache,
          calls,
          runs,
          reports,
          imports: createImportsRepository(db),
          audit,
          maxImportBytes: settings.IMPORT_MAX_BYTES,
        }),
      });
    },
  });
  runtime.onShutdown({ name: 'config refresh', run: async () => stopWork() });
  if (reportDeps) {
    const { delivery } = reportDeps;
    const consumer = await startRunEventsConsumer(runtime.kafka, settings.KAFKA_CONSUMER_GROUP, reportDeps);
    delivery.start();
    runtime.onShutdown({ name: 'report retries', run: () => delivery.stop() });
    runtime.onShutdown({ name: 'run-events consumer', run: () => consumer.stop() });
  }
}

runMain('config', main);
