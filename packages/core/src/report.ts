// The morning report (docs/behaviour.md#a-run): what a campaign reads to know its phone bank reached VAN.

import { deliversOnlyCsv, type CandidateSystem, type Strategy } from './candidate';
import { formatEasternDate, formatEasternMonthDay, formatEasternTime } from './eastern-time';
import type { SyncStatus } from './sync-status';
import { callingDay, type TimeWindow } from './time-window';

export interface RunSummary {
  candidate: string;
  strategy: Strategy;
  system: CandidateSystem;
  window: TimeWindow;
  totalCalls: number;
  countsByStatus: Partial<Record<SyncStatus, number>>;
  /** Calls per Display Name (the labels organisers chose). */
  countsByDisplayName: Readonly<Record<string, number>>;
  /**
   * Calls VAN accepted. Hybrid runs also finish the calls they export to CSV, so `finished` alone
   * would overstate what reached the voter file; absent, `finished` stands in.
   */
  syncedToVan?: number;
  /** The presigned link of this run's CSV, when one was made. */
  csvUrl?: string;
  /** The presigned link of the run's caller file (every run that had calls has one). */
  callerCsvUrl?: string;
  /**
   * A `bulk` run's VAN requests (mapping check, jobs, polls, results files) and what posting
   * its calls one by one would have taken (one request per call).
   */
  vanRequests?: { used: number; perCall: number };
}

export interface ReportText {
  subject: string;
  text: string;
}

export const CSV_LINK_LIFETIME_DAYS = 2;

const when = (instant: Date): string => `${formatEasternDate(instant)} ${formatEasternTime(instant)}`;

/** Named after the day the calls were made, as the results file is. */
export function reportSubject(window: TimeWindow): string {
  return `Dialer Results for ${formatEasternMonthDay(callingDay(window))}`;
}

function countLines(countsByDisplayName: Readonly<Record<string, number>>): string[] {
  return Object.entries(countsByDisplayName)
    .filter(([, count]) => count > 0)
    .sort(([nameA, countA], [nameB, countB]) => countB - countA || nameA.localeCompare(nameB))
    .map(([name, count]) => `${name}: ${count}`);
}

function callerLine(summary: RunSummary): string {
  return summary.callerCsvUrl
    ? `\n\nThe callers of this run are in this file (the link expires after ${CSV_LINK_LIFETIME_DAYS} days):\n${summary.callerCsvUrl}`
    : '';
}

export function buildReport(summary: RunSummary): ReportText {
  const subject = reportSubject(summary.window);
  const period = `between ${when(summary.window.start)} and ${when(summary.window.end)} (Eastern)`;
  if (summary.totalCalls === 0) {
    return {
      subject,
      text:
        `No calls were made for ${summary.candidate} ${period}, so there was nothing to sync.\n` +
        'This message is to let you know the reporting system is up and running.',
    };
  }

  const finished = summary.countsByStatus.finished ?? 0;
  const errors =
    (summary.countsByStatus.attempted_error ?? 0) + (summary.countsByStatus.unattempted_error ?? 0);
  const counts = countLines(summary.countsByDisplayName).join('\n');
  const intro = `Here are the dialer results for ${summary.candidate}, ${summary.totalCalls} calls ${period}.`;
  const csvLink = `(the link expires after ${CSV_LINK_LIFETIME_DAYS} days):\n${summary.csvUrl}`;

  if (deliversOnlyCsv(summary)) {
    const file = summary.csvUrl
      ? `Your results are in this CSV file ${csvLink}`
      : 'None of the results needed a CSV file this time.';
    const errorLine = errors > 0 ? `\n\nThere were ${errors} errors.` : '';
    return {
      subject,
      text: `${intro}\n\n${file}\n\n${counts}\n\nWe exported ${finished} calls.${errorLine}${callerLine(summary)}`,
    };
  }

  const synced = `We successfully synced ${summary.syncedToVan ?? finished}, and there were ${errors} errors.`;
  let text = `${intro}\n\n${counts}\n\n${synced}`;
  if (summary.strategy === 'hybrid') {
    text += summary.csvUrl
      ? `\n\nThe results we did not sync to VAN, to save you money, are in this CSV ${csvLink}`
      : '\n\nEvery result worth keeping was synced to VAN, so there is no CSV this time.';
  }
  if (summary.strategy === 'bulk' && summary.vanRequests) {
    const { used, perCall } = summary.vanRequests;
    text += `\n\nVAN Bulk Import took ${used} VAN ${used === 1 ? 'request' : 'requests'}; posting call by call would have taken ${perCall}.`;
  }
  return { subject, text: text + callerLine(summary) };
}
