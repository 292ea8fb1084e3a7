import { createLivevoxClient } from '@call-sync/integrations';
import { createPublisher, runMain, startServiceRuntime } from '@call-sync/platform';
import { findRun, pipelineMetricsFor, recordJobRun, republishPendingFinalEvents } from '@call-sync/store';
import { archiveCalls } from './archive-calls';
import { auditReports } from './audit-reports';
import { parseCommandLine, UsageError } from './command-line';
import { extractionContinuer, extractOpenRuns } from './extract-runs';
import { loadConfiguration } from './load-configuration';
import { openDueRuns, openRunsForDay } from './open-due-runs';
import { checkLiveRuns, resumeRun } from './resume-runs';
import { loadExtractorSettings } from './settings';

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
  const settings = loadExtractorSettings();
  const runtime = await startServiceRuntime({ service: 'extractor', defaultPort: 8081 });
  const { db, logger, registry } = runtime;
  pipelineMetricsFor(registry);
  const publisher = await createPublisher(runtime.kafka);
  const startedAt = new Date();
  let exitCode = 0;
  let failure: string | undefined;
  try {
    switch (command.name) {
      case 'extract': {
        const now = command.now ?? new Date();
        const configuration = await loadConfiguration(settings);
        if (command.window) {
          await openRunsForDay(db, configuration, command.window, {
            now,
            ...(command.candidate ? { candidate: command.candidate } : {}),
          });
        } else {
          await openDueRuns(db, logger, configuration, {
            now,
            maxCatchUpDays: settings.CATCH_UP_MAX_DAYS,
            ...(command.candidate ? { candidate: command.candidate } : {}),
          });
        }
        const livevox =
          settings.LIVEVOX_API_URL &&
          settings.LIVEVOX_USER_NAME &&
          settings.LIVEVOX_PASSWORD &&
          settings.LIVEVOX_CLIENT_NAME
            ? createLivevoxClient({
                baseUrl: settings.LIVEVOX_API_URL,
                userName: settings.LIVEVOX_USER_NAME,
                password: settings.LIVEVOX_PASSWORD,
                clientName: settings.LIVEVOX_CLIENT_NAME,
                phoneIdField: settings.LIVEVOX_PHONE_ID_FIELD,
              })
            : undefined;
        const extraction = { db, publisher, logger, registry, settings, ...(livevox ? { livevox } : {}) };
        const runs = await extractOpenRuns(extraction, configuration);
        const checks = await checkLiveRuns(
          {
            db,
            publisher,
            logger,
            registry,
            vanSyncBatchSize: settings.VAN_SYNC_BATCH_SIZE,
            continueExtraction: extractionContinuer(extraction, configuration),
          },
          { now: new Date(), stallAfterMs: settings.RUN_STALL_AFTER_MS },
        );
        // A minute's grace so a worker that is publishing right now is not raced.
        const republished = await republishPendingFinalEvents(
          { db, publisher, logger, registry },
          { olderThanMs: 60_000 },
        );
        logger.info(
          {
            runs: runs.map((r) => ({ runId: r.runId, candidate: r.candidate, state: r.state })),
            checks,
            republished,
          },
          'extract done',
        );
        break;
      }
      case 'resume': {
        const run = await findRun(db, command.runId);
        if (!run) throw new Error(`no run ${command.runId}`);
        const published = await resumeRun(
          {
            db,
            publisher,
            logger,
            registry,
            vanSyncBatchSize: settings.VAN_SYNC_BATCH_SIZE,
            continueExtraction: extractionContinuer(
              { db, publisher, logger, registry, settings },
              await loadConfiguration(settings),
            ),
          },
          run,
        );
        logger.info({ runId: run.runId, published }, 'run work re-published');
        break;
      }
      case 'archive': {
        const olderThan = new Date(Date.now() - settings.ARCHIVE_AFTER_DAYS * 86_400_000);
        const { moved } = await archiveCalls(db, logger, { olderThan });
        logger.info({ moved, olderThan }, 'archive done');
        break;
      }
      case 'audit-reports': {
        const configuration = await loadConfiguration(settings);
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
    await recordJobRun(db, command.name, {
      startedAt,
      finishedAt: new Date(),
      outcome: failure === undefined ? 'ok' : 'error',
      ...(failure !== undefined ? { error: failure } : {}),
    }).catch((error: unknown) => logger.warn({ err: error }, 'job run not recorded'));
    await publisher.disconnect();
    await runtime.shutdown();
  }
  process.exit(exitCode);
}

runMain('extractor', main);
