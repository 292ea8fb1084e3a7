import type Koa from 'koa';
import { RunEvent } from '@call-sync/core';
import {
  DEAD_LETTERS_REVIEWED_GROUP,
  registerConsumerLag,
  runMain,
  startServiceRuntime,
  startTopicWorker,
  Topics,
  type ServiceRuntime,
} from '@call-sync/platform';
import { createAirtableClient } from '@call-sync/integrations';
import { createConfigCacheRepository, createOperatorCalls, createOperatorRuns } from '@call-sync/store';
import { loadConfigSettings, type ConfigSettings } from './settings';
import { createConfigCache } from './config-cache';
import { createVanMetadataCache } from './van-metadata-cache';
import { mountRoutes } from './http/routes';
import { configRouters } from './http/routers';
import { registerJobMetrics } from './job-metrics';
import { measuredCandidates, registerRunMetrics } from './run-metrics';
import { httpMetrics } from './http-metrics';
import { createImportsRepository } from './data-access/imports-repository';
import { createReportSender, type ReportSender } from './reports/report-delivery';
import { handleRunEvent, type RunEventsDeps } from './reports/run-event-reports';
import { createReportsRepository } from './data-access/reports-repository';
import { createAuditRepository } from './data-access/audit-repository';
import { createSessionsRepository } from './data-access/sessions-repository';
import { createSignInFailuresRepository } from './data-access/sign-in-failures-repository';

interface Mounted {
  stopRefresh(): void;
  reportDeps: RunEventsDeps & { delivery: ReportSender };
}

/** The HTTP side: the configuration cache, the repositories, the metrics and the routes. */
function mountConfig(
  settings: ConfigSettings,
  app: Koa,
  { db, logger, registry }: Omit<ServiceRuntime, 'server'>,
): Mounted {
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
  const vanCache = createVanMetadataCache({
    settings,
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
  const delivery = createReportSender({
    reports,
    webhookUrl: settings.REPORT_WEBHOOK_URL,
    logger,
    retryIntervalMs: settings.REPORT_RETRY_INTERVAL_MS,
  });
  const audit = createAuditRepository(db);
  mountRoutes(app, {
    logger,
    apiTokens: settings.API_TOKENS,
    sessionSecret: settings.SESSION_SECRET,
    audit,
    frontDoor: {
      trustedProxies: settings.TRUSTED_PROXIES,
      sessionIdleMs: settings.SESSION_IDLE_MINUTES * 60_000,
      signInLimits: {
        perClient: settings.SIGN_IN_MAX_FAILURES_PER_CLIENT,
        perTokenName: settings.SIGN_IN_MAX_FAILURES_PER_TOKEN_NAME,
        windowMs: settings.SIGN_IN_WINDOW_MINUTES * 60_000,
      },
      sessions: createSessionsRepository(db),
      signInFailures: createSignInFailuresRepository(db),
    },
    routers: configRouters({
      db,
      cache,
      vanCache,
      calls,
      runs,
      reports,
      imports: createImportsRepository(db),
      audit,
      maxImportBytes: settings.IMPORT_MAX_BYTES,
      phoneIdShareCacheMs: settings.PHONE_ID_SHARE_CACHE_MS,
      bulkRowsPerJob: settings.VAN_BULK_MAX_ROWS_PER_JOB,
      vanDailyBudget: settings.VAN_DAILY_BUDGET,
      vanPersonUrl: settings.VAN_PERSON_URL,
      vanTimeoutMs: settings.VAN_TIMEOUT_MS,
    }),
  });
  return { stopRefresh: () => cache.stop(), reportDeps: { cache, runs, calls, reports, delivery, logger } };
}

// Wiring only: the HTTP side (above), then the run-events consumer that stores and sends reports.
async function main(): Promise<void> {
  const settings = loadConfigSettings();
  const runtime = await startServiceRuntime({
    service: 'config',
    defaultPort: 8080,
    routes: (app, base) => mountConfig(settings, app, base),
  });
  const { stopRefresh, reportDeps } = runtime.mounted!;
  runtime.onShutdown({ name: 'config refresh', run: async () => stopRefresh() });
  runtime.onShutdown({ name: 'report retries', run: () => reportDeps.delivery.stop() });
  await startTopicWorker(runtime, {
    topic: Topics.RunEvents,
    schema: RunEvent,
    groupId: settings.KAFKA_CONSUMER_GROUP,
    handle: (event) => handleRunEvent(event, reportDeps),
  });
  // Dead letters still waiting for a person, served by the one service that is always up.
  const stopDeadLetterLag = registerConsumerLag(
    runtime.kafka,
    runtime.registry,
    DEAD_LETTERS_REVIEWED_GROUP,
    Topics.DeadLetter,
  );
  runtime.onShutdown({ name: 'dead-letter lag', run: stopDeadLetterLag });
  reportDeps.delivery.start();
}

runMain('config', main);
