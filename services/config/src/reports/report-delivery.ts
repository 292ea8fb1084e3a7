import { withRetries } from '@call-sync/integrations';
import type { Logger } from '@call-sync/platform';
import type { ReportDelivery, ReportDocument } from '@call-sync/store';
import type { ReportsRepository } from '../data-access/reports-repository';

export interface ReportDeliveryOptions {
  reports: ReportsRepository;
  webhookUrl: string | undefined;
  logger: Logger;
  /** First wait before a failed report is tried again; doubles per failed round, up to an hour. */
  retryIntervalMs: number;
  /** Attempts within one round before the report waits for the retry loop. */
  attemptsPerRound?: number;
  timeoutMs?: number;
}

export interface ReportSender {
  /** Sends the report of `runId` if it is due and not sent; never throws for a webhook failure. */
  deliver(runId: string): Promise<void>;
  /** One pass of the retry loop: every due, undelivered report. */
  retryDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 3_600_000;
/** While one replica sends a report, the others leave it alone for this long. */
const SEND_LEASE_MS = 60_000;

/**
 * Reports go to a webhook (the original used Zapier to e-mail "Send Report To"). A failure is
 * recorded on the report — the run page shows it — and the report waits for the retry loop:
 * it is never dropped. The lease taken before sending keeps two replicas (or the consumer and the
 * loop) from sending the same report at once.
 */
export function createReportSender(options: ReportDeliveryOptions): ReportSender {
  const { reports, webhookUrl, logger } = options;
  const attemptsPerRound = options.attemptsPerRound ?? 3;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  async function post(report: ReportDocument): Promise<void> {
    const response = await fetch(webhookUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        to: report.to ?? null,
        subject: report.subject,
        text: report.text,
        candidate: report.candidate,
        runId: report.runId,
      }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the report webhook answered ${response.status}`);
  }

  async function send(report: ReportDocument): Promise<void> {
    if (!webhookUrl) {
      await reports.recordDelivery(report.runId, {
        ...report.delivery,
        status: 'pending',
        lastError: 'REPORT_WEBHOOK_URL is not set',
        nextAttemptAt: new Date(Date.now() + MAX_BACKOFF_MS),
      });
      return;
    }
    let delivery: ReportDelivery = { ...report.delivery };
    const sent = await withRetries(() => post(report), {
      maxAttempts: attemptsPerRound,
      delayMs: (attempt) => 250 * 4 ** (attempt - 1),
      onFailure: (error) => {
        // Only our own message or fetch's cause: the webhook URL may carry a token in its path.
        const reason =
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : (error as Error).message;
        delivery = {
          ...delivery,
          status: 'failed',
          attempts: delivery.attempts + 1,
          lastError: reason,
          lastAttemptAt: new Date(),
        };
      },
    }).then(
      () => true,
      () => false,
    );
    if (sent) {
      delivery = {
        ...delivery,
        status: 'sent',
        attempts: delivery.attempts + 1,
        sentAt: new Date(),
        lastAttemptAt: new Date(),
      };
      delete delivery.lastError;
      await reports.recordDelivery(report.runId, delivery);
      logger.info({ runId: report.runId, candidate: report.candidate }, 'report sent');
      return;
    }
    // Every attempt of this round failed: the report waits for the retry loop.
    const rounds = Math.ceil(delivery.attempts / attemptsPerRound);
    const waitMs = Math.min(options.retryIntervalMs * 2 ** Math.max(0, rounds - 1), MAX_BACKOFF_MS);
    await reports.recordDelivery(report.runId, { ...delivery, nextAttemptAt: new Date(Date.now() + waitMs) });
    logger.warn(
      { runId: report.runId, attempts: delivery.attempts, err: delivery.lastError },
      'report not delivered; will retry',
    );
  }

  const deliver = async (runId: string): Promise<void> => {
    const claimed = await reports.claimDue(new Date(), SEND_LEASE_MS, runId);
    if (claimed) await send(claimed);
  };

  async function retryDue(): Promise<number> {
    if (!webhookUrl) return 0;
    let sent = 0;
    for (
      let claimed = await reports.claimDue(new Date(), SEND_LEASE_MS);
      claimed;
      claimed = await reports.claimDue(new Date(), SEND_LEASE_MS)
    ) {
      await send(claimed);
      sent += 1;
    }
    return sent;
  }

  return {
    deliver,
    retryDue,
    start() {
      timer = setInterval(() => {
        running = retryDue().catch((error: unknown) =>
          logger.warn({ err: error }, 'report retry pass failed'),
        );
      }, options.retryIntervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
