import type { Db } from 'mongodb';
import type { StagedConfiguration } from '@call-sync/integrations';
import { createPublisher, runMain, startServiceRuntime } from '@call-sync/platform';
import { findRun, freshResultTables, pipelineMetricsFor, recordJobRun } from '@call-sync/store';
import { nextScrape, RUN_ALERT_REASONS } from './final-scrape';
import { archiveCalls } from './archive-calls';
import { auditReports } from './audit-reports';
import { parseCommandLine, UsageError } from './command-line';
import { livevoxFromSettings, resumeOneRun, runExtract } from './extract-sequence';
import { loadConfiguration } from './load-configuration';
import { migrate } from './migrate';
import { loadExtractorSettings, type ExtractorSettings } from './settings';

function livevoxOption(settings: ExtractorSettings) {
  const livevox = livevoxFromSettings(settings);
  return livevox ? { livevox } : {};
}

// Wiring only: a one-shot process (the CronJob's, or a person's) that runs one command and exits.
async function main(): Promise<void> {
  let command;
  try {
    command = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(64); // EX_USAGE
    }
    throw error;
  }
  if (command.name === 'migrate') {
    await migrate();
    process.exit(0);
  }
  const settings = loadExtractorSettings();
  // Airtable is read while MongoDB, Kafka and the HTTP side start: one after the other, the
  // configuration's second or so came before a night's first VAN post. A failure is reported
  // where the command awaits it, like any other.
  // The result tables' copy is read once MongoDB is reachable, while the listing's read is under way.
  let databaseReady: (db: Db) => void = () => undefined;
  const database = new Promise<Db>((resolve) => (databaseReady = resolve));
  const copy = database.then((db) => freshResultTables(db, { maxAgeMs: settings.CONFIG_COPY_MAX_AGE_MS }));
  let configurationLoad: Promise<StagedConfiguration> | undefined;
  const loadedConfiguration = () => (configurationLoad ??= loadConfiguration(settings, copy));
  if (command.name !== 'archive') loadedConfiguration().catch(() => undefined);
  const runtime = await startServiceRuntime({ service: 'extractor', defaultPort: 8081 });
  const { db, logger, registry } = runtime;
  databaseReady(db);
  copy.then(
    (fresh) =>
      logger.info(
        fresh
          ? { resultTablesFrom: 'config copy', copyLoadedAt: fresh.loadedAt }
          : { resultTablesFrom: 'airtable' },
        'where the result tables are read from',
      ),
    (error: unknown) => logger.warn({ err: error }, 'config copy unreadable; result tables from Airtable'),
  );
  const runAlerts = pipelineMetricsFor(registry).runAlerts;
  for (const reason of RUN_ALERT_REASONS) runAlerts.inc({ reason }, 0);
  const publisher = await createPublisher(runtime.kafka);
  const startedAt = new Date();
  let exitCode = 0;
  let failure: string | undefined;
  let details: Record<string, number> | undefined;
  try {
    switch (command.name) {
      case 'extract': {
        const deps = { db, publisher, logger, registry, settings, ...livevoxOption(settings) };
        await runExtract(deps, await loadedConfiguration(), {
          now: command.now ?? new Date(),
          ...(command.candidate ? { candidate: command.candidate } : {}),
          ...(command.window ? { window: command.window } : {}),
          ...(command.continuous ? { continuousOnly: true } : {}),
        });
        break;
      }
      case 'resume': {
        const run = await findRun(db, command.runId);
        if (!run) throw new Error(`no run ${command.runId}`);
        const configuration = await (await loadedConfiguration()).complete();
        await resumeOneRun({ db, publisher, logger, registry, settings }, configuration, run);
        break;
      }
      case 'archive': {
        const olderThan = new Date(Date.now() - settings.ARCHIVE_AFTER_DAYS * 86_400_000);
        const { moved, restored, keptBack } = await archiveCalls(db, logger, { olderThan });
        logger.info({ moved, restored, keptBack, olderThan }, 'archive done');
        details = { moved, restored, ...keptBack };
        break;
      }
      case 'audit-reports': {
        const configuration = await (await loadedConfiguration()).complete();
        const audit = await auditReports(
          { db, logger, registry, alertWebhookUrl: settings.ALERT_WEBHOOK_URL },
          configuration,
          command.now ?? new Date(),
        );
        if (audit.missing.length > 0) exitCode = 2;
        break;
      }
    }
  } catch (error) {
    failure = (error as Error).message;
    logger.error({ err: failure }, `${command.name} failed`);
    exitCode = 1;
  } finally {
    // Its own job name: the short CronJob's successes must not hide the hourly one's failures.
    const job = command.name === 'extract' && command.continuous ? 'extract-continuous' : command.name;
    await recordJobRun(db, job, {
      startedAt,
      finishedAt: new Date(),
      outcome: failure === undefined ? 'ok' : 'error',
      ...(failure !== undefined ? { error: failure } : {}),
      ...(details ? { details } : {}),
    }).catch((error: unknown) => logger.warn({ err: error }, 'job run not recorded'));
    await publisher.disconnect();
    if (settings.METRICS_FINAL_SCRAPE_WAIT_MS > 0)
      await nextScrape(registry, settings.METRICS_FINAL_SCRAPE_WAIT_MS);
    await runtime.shutdown();
  }
  process.exit(exitCode);
}

runMain('extractor', main);
