// What the VAN client does after each attempt, as a pure function of what happened: the
// at-most-once rules for canvass responses live here, apart from the I/O that carries them out.
//
// Reads are retried on 429, 5xx, proxy pages, timeouts and lost connections. A write (POST) is
// retried only on 429 and on connections that never opened: a 429 means VAN refused it before
// processing, so sending it again cannot record it twice. After a 5xx, a timeout or a dropped
// connection VAN may already have recorded the canvass response, and VAN has no idempotency key
// (its own merging covers only about an hour), so a retry could post the same call twice: the
// outcome is reported as unknown instead.

import { z } from 'zod';
import type { VanErrorItem } from '@call-sync/core';
import { fullJitterBackoffMs, parseRetryAfterMs, parseTryAgainHintMs } from './retries';
import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanServerError,
  VanThrottledError,
  VanTimeoutError,
  VanValidationError,
  type VanError,
} from './van-errors';

export interface VanRetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  /** Longest wait between attempts; a Retry-After beyond it ends the retries instead. */
  maxDelayMs: number;
}

/** What became of one attempt. */
export type VanAttemptResult =
  /** The day's request budget refused it: nothing was sent. */
  | { outcome: 'budget-spent' }
  | { outcome: 'answered'; status: number; contentType: string; retryAfter: string | undefined; body: string }
  | { outcome: 'timeout' }
  /** The connection failed before a byte of the request left us. */
  | { outcome: 'not-sent'; code: string }
  /** The connection failed after the request may have left. */
  | { outcome: 'connection-lost'; code: string };

export interface VanAttemptFacts {
  method: 'GET' | 'POST';
  endpoint: string;
  /** The answer may carry `errors` as data (a failed bulk import job's status). */
  errorsAreData?: boolean;
  /** 1 for the first attempt. */
  attempt: number;
  result: VanAttemptResult;
  policy: VanRetryPolicy;
  timeoutMs: number;
  keyFingerprint: string;
  /** For the full-jitter backoff. */
  random: () => number;
  /** For a Retry-After given as an HTTP date. */
  now: number;
}

export type VanVerdict =
  | { kind: 'answer'; status: number; json: unknown }
  | { kind: 'retry'; afterMs: number }
  /** Failed, and asking again would not help (or no attempts are left). */
  | { kind: 'final'; error: VanError }
  /** A write that VAN may or may not have recorded: never sent again. */
  | { kind: 'outcome-unknown'; error: VanOutcomeUnknownError };

const errorBodyShape = z.object({
  errors: z.array(
    z.object({
      code: z.union([z.string(), z.number()]).transform(String),
      text: z.string().optional().default(''),
      properties: z.array(z.string()).optional(),
      referenceCode: z.string().optional(),
    }),
  ),
});

export function classifyVanAttempt(facts: VanAttemptFacts): VanVerdict {
  const { result, endpoint } = facts;
  const isWrite = facts.method !== 'GET';
  switch (result.outcome) {
    case 'budget-spent':
      return final(new VanBudgetExhaustedError(endpoint, facts.keyFingerprint));
    case 'timeout':
      if (isWrite) return outcomeUnknown(facts, 'timeout');
      return retryOr(facts, () => new VanTimeoutError(endpoint, facts.timeoutMs));
    case 'not-sent':
    case 'connection-lost':
      if (isWrite && result.outcome === 'connection-lost') return outcomeUnknown(facts, 'connection-lost');
      return retryOr(
        facts,
        () => new VanServerError(endpoint, undefined, `connection failed (${result.code})`),
      );
    case 'answered':
      return classifyAnswer(facts, result, isWrite);
  }
}

function classifyAnswer(
  facts: VanAttemptFacts,
  answer: VanAttemptResult & { outcome: 'answered' },
  isWrite: boolean,
): VanVerdict {
  const { endpoint, policy } = facts;
  const { status, contentType, body } = answer;
  const canRetry = facts.attempt < policy.maxAttempts;
  const isJson = /\bjson\b/i.test(contentType);
  const json = isJson && body ? parseJson(body) : undefined;
  const errors = errorBodyShape.safeParse(json);
  const vanErrors: VanErrorItem[] = errors.success ? errors.data.errors : [];
  const vanText = vanErrors.map((e) => e.text).join(' ');

  if (status >= 200 && status < 300) {
    // VAN's successes never carry `errors`: a 200 that does is a gateway's failure, so a write
    // may or may not have been recorded, and a read is retried like a 5xx.
    if (vanErrors.length > 0 && !facts.errorsAreData) {
      if (isWrite) return outcomeUnknown(facts, 'server-error', status);
      return retryOr(
        facts,
        () => new VanServerError(endpoint, status, `a ${status} with errors: ${vanText}`),
      );
    }
    if (isWrite || (isJson && json !== undefined)) return { kind: 'answer', status, json };
    // A 200 that is not JSON is a proxy's page, or a body cut short; not VAN's answer.
    const detail =
      isJson && body
        ? 'answer is not readable JSON (cut short?)'
        : `unexpected ${contentType || 'untyped'} answer`;
    return retryOr(facts, () => new VanServerError(endpoint, status, detail));
  }
  if (status === 429) {
    const hintMs = parseRetryAfterMs(answer.retryAfter, facts.now) ?? parseTryAgainHintMs(vanText);
    const waitMs = hintMs ?? backoffMs(facts);
    if (!canRetry || waitMs > policy.maxDelayMs) {
      return final(new VanThrottledError(endpoint, vanText || 'rate limit exceeded', hintMs));
    }
    return { kind: 'retry', afterMs: waitMs };
  }
  if (status === 401 || status === 403) return final(new VanAuthError(endpoint, status));
  if (status >= 500 || !isJson) {
    const detail = !isJson
      ? `${contentType || 'untyped'} error page (from a proxy?)`
      : vanText || 'server error';
    if (isWrite) return outcomeUnknown(facts, 'server-error', status);
    if (status < 500 && status !== 408) {
      return final(new VanValidationError(endpoint, status, [{ code: String(status), text: detail }]));
    }
    if (!canRetry) return final(new VanServerError(endpoint, status, detail));
    const retryAfterMs = parseRetryAfterMs(answer.retryAfter, facts.now);
    return {
      kind: 'retry',
      afterMs:
        retryAfterMs !== undefined && retryAfterMs <= policy.maxDelayMs ? retryAfterMs : backoffMs(facts),
    };
  }
  // Any other 4xx is VAN's judgement of what we sent; asking again gets the same answer.
  return final(
    new VanValidationError(
      endpoint,
      status,
      vanErrors.length > 0 ? vanErrors : [{ code: String(status), text: `VAN answered ${status}` }],
    ),
  );
}

const final = (error: VanError): VanVerdict => ({ kind: 'final', error });

const outcomeUnknown = (
  facts: VanAttemptFacts,
  reason: VanOutcomeUnknownError['reason'],
  status?: number,
): VanVerdict => ({
  kind: 'outcome-unknown',
  error: new VanOutcomeUnknownError(facts.endpoint, reason, status),
});

/** The backoff while attempts are left, else the error. */
const retryOr = (facts: VanAttemptFacts, error: () => VanError): VanVerdict =>
  facts.attempt < facts.policy.maxAttempts ? { kind: 'retry', afterMs: backoffMs(facts) } : final(error());

const backoffMs = (facts: VanAttemptFacts): number =>
  fullJitterBackoffMs(facts.attempt - 1, facts.policy.baseDelayMs, facts.policy.maxDelayMs, facts.random);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
