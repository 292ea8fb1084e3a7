// A call's journey as the stored call and its run tell it (the page and the JSON answer of
// http/call-journey.ts): the decision, the status history, the VAN request, the receipt, the error.

import {
  describeCanvassRequest,
  formatEasternDate,
  formatEasternTime,
  type Call,
  type Strategy,
} from '@call-sync/core';
import type { RunDocument } from '@call-sync/store';
import type { CALL_ROUTES } from './http/api/answers';

/** Enough to follow one voter's calls over a campaign; a search that finds more names too little. */
export const MAX_CALLS = 50;

type Route = (typeof CALL_ROUTES)[number];

/** The last four digits: enough to tell numbers apart, too little to call anyone. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length <= 4 ? '•'.repeat(digits.length) : `•••${digits.slice(-4)}`;
}

/**
 * The stored forms a typed number may match: as typed, its digits, and with or without the
 * country code 1 (the export writes ten digits, people type +1 and dashes).
 */
export function phoneValues(typed: string): string[] {
  const digits = typed.replace(/\D/g, '');
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  return [...new Set([typed, digits, national, `1${national}`].filter((value) => value.length > 0))];
}

export interface RunFacts {
  runId: string;
  state: RunDocument['state'] | null;
  strategy: Strategy | null;
  trigger: RunDocument['trigger'] | null;
  startedAt: Date | null;
}

function decisionOf(call: Call, run: RunFacts | null): { route: Route; why: string } {
  const status = call.sync_status;
  const strategy = run?.strategy ?? null;
  const receipt = call.receipt;
  if (status === undefined)
    return {
      route: 'not yet decided',
      why: 'unsynced: no run has taken this call yet; the run of its window will',
    };
  if (status === 'ignored')
    return {
      route: 'none',
      why: call.error
        ? `ignored: ${call.error}`
        : "ignored: the candidate's result table sends this result neither to VAN nor to a CSV, or the call was dropped",
    };
  if (status === 'unattempted_error')
    return {
      route: 'none',
      why: `not sent, an error before any request: ${call.error ?? 'no reason stored'}`,
    };
  if (receipt?.kind === 'csv') return { route: 'csv', why: 'a row of the run’s results CSV' };
  if (receipt?.kind === 'van-bulk')
    return { route: 'van-bulk', why: 'a row of a VAN Bulk Import job, which VAN processed' };
  if (receipt?.kind === 'van-confirmed')
    return { route: 'van', why: 'a VAN post whose outcome was unknown, found in VAN by a person' };
  if (receipt?.kind === 'van') return { route: 'van', why: 'a VAN post, which VAN accepted' };
  if (call.van_request) {
    if (status === 'in_progress')
      return {
        route: 'van',
        why: call.posting_started_at
          ? 'a VAN post, sent and awaiting VAN’s answer'
          : 'a VAN post, waiting its turn',
      };
    if (status === 'attempted_error')
      return {
        route: 'van',
        why: call.outcome_unknown
          ? 'a VAN post whose outcome is unknown: a person must check VAN before anything is sent again'
          : `a VAN post, which VAN refused: ${call.error ?? 'no reason stored'}`,
      };
  }
  if (status === 'queued_for_csv')
    return {
      route: 'csv',
      why:
        strategy === 'full' || strategy === 'bulk'
          ? `a CSV row: its result is set to Include in CSV, and a ${strategy} run makes no results CSV`
          : 'a CSV row, waiting for the run’s export',
    };
  if (status === 'in_progress' && strategy === 'bulk')
    return { route: 'van-bulk', why: 'a row of the run’s VAN Bulk Import job, not processed yet' };
  if (status === 'in_progress' && strategy === 'all csv')
    return { route: 'csv', why: 'a row of the run’s CSV, waiting for the export' };
  return { route: 'none', why: `${status}: ${call.error ?? 'no request or receipt stored'}` };
}

const when = (at: Date) => at.toISOString();
const eastern = (at: Date) => `${formatEasternDate(at)} ${formatEasternTime(at)}`;

function historyOf(call: Call, run: RunFacts | null) {
  const steps: { at: Date; step: string; detail: string }[] = [
    {
      at: call.timestamp,
      step: 'called',
      detail: `the dialer recorded ${call.lv_result || 'no result'}${call.caller_login ? ` (caller ${call.caller_login})` : ''}`,
    },
  ];
  if (call.finish_time)
    steps.push({ at: call.finish_time, step: 'call ended', detail: 'the dialer hung up' });
  if (run?.startedAt && call.sync_status !== undefined)
    steps.push({
      at: run.startedAt,
      step: 'run started',
      detail: `run ${run.runId} took the window; it claims each call as it decides it`,
    });
  if (call.posting_started_at)
    steps.push({
      at: call.posting_started_at,
      step: 'post left for VAN',
      detail: `request ${call.posting_request_id ?? '(no id)'}, attempt ${call.attempts ?? 1}`,
    });
  if (call.receipt?.kind === 'van')
    steps.push({
      at: call.receipt.postedAt,
      step: 'VAN accepted',
      detail: `HTTP ${call.receipt.httpStatus}, request ${call.receipt.requestId}`,
    });
  if (call.synced_at)
    steps.push({
      at: call.synced_at,
      step: call.sync_status === 'finished' ? 'finished' : `recorded ${call.sync_status ?? 'unsynced'}`,
      detail: call.error ?? (call.sync_status === 'finished' ? 'nothing more will happen to it' : ''),
    });
  if (call.resolution)
    steps.push({
      at: call.resolution.at,
      step:
        call.resolution.verdict === 'in-van' ? 'found in VAN by a person' : 'not in VAN: posted once more',
      detail: `by ${call.resolution.by}`,
    });
  return steps
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((entry) => ({ ...entry, at: when(entry.at) }));
}

function receiptOf(call: Call) {
  const receipt = call.receipt;
  if (!receipt) return null;
  switch (receipt.kind) {
    case 'van':
      return {
        kind: receipt.kind,
        text: `VAN accepted the canvass response for VAN id ${receipt.vanId} (HTTP ${receipt.httpStatus}), dated ${receipt.dateCanvassed}, request ${receipt.requestId}`,
        url: null,
      };
    case 'van-bulk':
      return {
        kind: receipt.kind,
        text: `row ${receipt.row} of VAN Bulk Import job ${receipt.jobId}`,
        url: null,
      };
    case 'van-confirmed':
      return {
        kind: receipt.kind,
        text: `found in VAN by ${receipt.confirmedBy} on ${eastern(receipt.confirmedAt)} Eastern${receipt.requestId ? ` (request ${receipt.requestId})` : ''}`,
        url: null,
      };
    case 'csv':
      return { kind: receipt.kind, text: 'a row of the results CSV', url: receipt.url };
  }
}

/** The stored request as sent, with the dialed number masked like everywhere on this page. */
function vanRequestOf(call: Call) {
  if (!call.van_request) return null;
  const { vanId, body } = call.van_request;
  const context = body.canvassContext;
  const shown = context.phone
    ? {
        ...body,
        canvassContext: {
          ...context,
          phone: { ...context.phone, phoneNumber: maskPhone(context.phone.phoneNumber) },
        },
      }
    : body;
  return { vanId, sent: describeCanvassRequest(body), body: shown as unknown as Record<string, unknown> };
}

export function describeJourney(call: Call, run: RunFacts | null) {
  return {
    callId: call.id,
    candidate: call.client ?? null,
    accountNumber: call.account_number,
    voterId: call.voter_id,
    phoneDialed: maskPhone(call.phone_dialed ?? ''),
    caller: call.caller_login ?? '',
    calledAt: when(call.timestamp),
    finishedAt: call.finish_time ? when(call.finish_time) : null,
    result: {
      dialer: call.lv_result ?? '',
      fullOnScreenResult: call.full_on_screen_result ?? '',
      displayName: call.display_name ?? null,
    },
    status: call.sync_status ?? ('unsynced' as const),
    decision: decisionOf(call, run),
    run: run && { runId: run.runId, state: run.state, strategy: run.strategy, trigger: run.trigger },
    history: historyOf(call, run),
    vanRequest: vanRequestOf(call),
    receipt: receiptOf(call),
    error: call.error ?? null,
    outcomeUnknown: call.outcome_unknown === true,
    resolution: call.resolution
      ? { verdict: call.resolution.verdict, by: call.resolution.by, at: when(call.resolution.at) }
      : null,
  };
}

export type CallJourney = ReturnType<typeof describeJourney>;
