// Every rule of what the VAN client does after an attempt, one row each. The waits are worked out
// by hand: full jitter with random() = 0.5 is half the ceiling min(10 000, 250 × 2^(attempt-1)),
// so 125 ms after attempt 1 and 500 ms after attempt 3.

import {
  classifyVanAttempt,
  type VanAttemptFacts,
  type VanAttemptResult,
  type VanVerdict,
} from '../src/van-retry-rules';
import { VanThrottledError, VanValidationError } from '../src/van-errors';

const NOW = Date.parse('2026-11-03T23:00:00Z');
const LAST = 5;
const JSON_TYPE = 'application/json; charset=utf-8';
const THROTTLED = JSON.stringify({
  errors: [{ code: '429', text: 'Rate limit exceeded. Try again in 30 ms.' }],
});
const GATEWAY_ERRORS = JSON.stringify({
  errors: [{ code: 'INTERNAL_SERVER_ERROR', text: 'An unknown error occurred.' }],
});
const INVALID = JSON.stringify({
  errors: [{ code: 'INVALID_PARAMETER', text: 'Bad result code.', properties: ['resultCodeId'] }],
});
const HTML = '<html><body>502 Bad Gateway</body></html>';

const answered = (
  status: number,
  contentType: string,
  body: string,
  retryAfter?: string,
): VanAttemptResult => ({ outcome: 'answered', status, contentType, body, retryAfter });

interface Row {
  method: 'GET' | 'POST';
  attempt: number;
  result: VanAttemptResult;
  errorsAreData?: boolean;
  expected: Record<string, unknown>;
}

const rows: Record<string, Row> = {
  'a JSON answer to a read': {
    method: 'GET',
    attempt: 1,
    result: answered(200, JSON_TYPE, '{"items":[]}'),
    expected: { kind: 'answer', status: 200, json: { items: [] } },
  },
  'a 204 to a post, with no body': {
    method: 'POST',
    attempt: 1,
    result: answered(204, '', ''),
    expected: { kind: 'answer', status: 204, json: undefined },
  },
  'a 200 to a post that is not JSON (a post needs no body)': {
    method: 'POST',
    attempt: 1,
    result: answered(200, 'text/html', HTML),
    expected: { kind: 'answer', status: 200, json: undefined },
  },
  '429 with Retry-After in seconds': {
    method: 'GET',
    attempt: 1,
    result: answered(429, JSON_TYPE, THROTTLED, '2'),
    expected: { kind: 'retry', afterMs: 2000 },
  },
  '429 with Retry-After as an HTTP date': {
    method: 'GET',
    attempt: 1,
    result: answered(429, JSON_TYPE, THROTTLED, 'Tue, 03 Nov 2026 23:00:03 GMT'),
    expected: { kind: 'retry', afterMs: 3000 },
  },
  '429 without Retry-After waits VAN\'s "Try again in N ms"': {
    method: 'GET',
    attempt: 1,
    result: answered(429, JSON_TYPE, THROTTLED),
    expected: { kind: 'retry', afterMs: 30 },
  },
  '429 on a post is retried: VAN refused it before processing': {
    method: 'POST',
    attempt: 2,
    result: answered(429, JSON_TYPE, THROTTLED),
    expected: { kind: 'retry', afterMs: 30 },
  },
  '429 with no hint at all backs off': {
    method: 'POST',
    attempt: 1,
    result: answered(429, JSON_TYPE, '{}'),
    expected: { kind: 'retry', afterMs: 125 },
  },
  '429 with a Retry-After beyond the longest wait ends the retries': {
    method: 'GET',
    attempt: 1,
    result: answered(429, JSON_TYPE, THROTTLED, '11'),
    expected: { kind: 'final', error: 'VanThrottledError', status: 429, retryAfterMs: 11_000 },
  },
  '429 on the last attempt': {
    method: 'POST',
    attempt: LAST,
    result: answered(429, JSON_TYPE, THROTTLED),
    expected: { kind: 'final', error: 'VanThrottledError', status: 429, retryAfterMs: 30 },
  },
  '500 on a read backs off': {
    method: 'GET',
    attempt: 3,
    result: answered(500, JSON_TYPE, GATEWAY_ERRORS),
    expected: { kind: 'retry', afterMs: 500 },
  },
  '503 on a read with a Retry-After it can wait for': {
    method: 'GET',
    attempt: 1,
    result: answered(503, JSON_TYPE, '{}', '1'),
    expected: { kind: 'retry', afterMs: 1000 },
  },
  '503 on a read with a Retry-After too long to wait: backs off instead': {
    method: 'GET',
    attempt: 1,
    result: answered(503, JSON_TYPE, '{}', '20'),
    expected: { kind: 'retry', afterMs: 125 },
  },
  "500 on a read on the last attempt carries VAN's text": {
    method: 'GET',
    attempt: LAST,
    result: answered(500, JSON_TYPE, GATEWAY_ERRORS),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      status: 500,
      message: 'VAN failed on /test (500): An unknown error occurred.',
    },
  },
  '500 on a post: outcome unknown, never retried': {
    method: 'POST',
    attempt: 1,
    result: answered(500, JSON_TYPE, GATEWAY_ERRORS),
    expected: { kind: 'outcome-unknown', reason: 'server-error', status: 500 },
  },
  "a proxy's HTML 502 on a read is retried": {
    method: 'GET',
    attempt: 1,
    result: answered(502, 'text/html', HTML),
    expected: { kind: 'retry', afterMs: 125 },
  },
  "a proxy's HTML 502 on a read, last attempt": {
    method: 'GET',
    attempt: LAST,
    result: answered(502, 'text/html', HTML),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      status: 502,
      message: 'VAN failed on /test (502): text/html error page (from a proxy?)',
    },
  },
  "a proxy's HTML 502 on a post: outcome unknown": {
    method: 'POST',
    attempt: 1,
    result: answered(502, 'text/html', HTML),
    expected: { kind: 'outcome-unknown', reason: 'server-error', status: 502 },
  },
  "a proxy's HTML 404 on a read is final": {
    method: 'GET',
    attempt: 1,
    result: answered(404, 'text/html', HTML),
    expected: {
      kind: 'final',
      error: 'VanValidationError',
      status: 404,
      message: 'text/html error page (from a proxy?)',
    },
  },
  "a proxy's HTML 404 on a post: outcome unknown (it may have passed the proxy)": {
    method: 'POST',
    attempt: 1,
    result: answered(404, 'text/html', HTML),
    expected: { kind: 'outcome-unknown', reason: 'server-error', status: 404 },
  },
  "a proxy's HTML 408 on a read is retried": {
    method: 'GET',
    attempt: 1,
    result: answered(408, 'text/html', HTML),
    expected: { kind: 'retry', afterMs: 125 },
  },
  'a 200 with an error body on a read is retried like a 5xx': {
    method: 'GET',
    attempt: 1,
    result: answered(200, JSON_TYPE, GATEWAY_ERRORS),
    expected: { kind: 'retry', afterMs: 125 },
  },
  'a 200 with an error body on a read, last attempt': {
    method: 'GET',
    attempt: LAST,
    result: answered(200, JSON_TYPE, GATEWAY_ERRORS),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      status: 200,
      message: 'VAN failed on /test (200): a 200 with errors: An unknown error occurred.',
    },
  },
  'a 200 with an error body on a post: outcome unknown': {
    method: 'POST',
    attempt: 1,
    result: answered(200, JSON_TYPE, GATEWAY_ERRORS),
    expected: { kind: 'outcome-unknown', reason: 'server-error', status: 200 },
  },
  'a 200 whose errors are data (a failed import job) is an answer': {
    method: 'GET',
    attempt: 1,
    errorsAreData: true,
    result: answered(200, JSON_TYPE, GATEWAY_ERRORS),
    expected: { kind: 'answer', status: 200, json: JSON.parse(GATEWAY_ERRORS) as unknown },
  },
  'a 200 HTML page on a read is retried': {
    method: 'GET',
    attempt: 1,
    result: answered(200, 'text/html', HTML),
    expected: { kind: 'retry', afterMs: 125 },
  },
  'a 200 HTML page on a read, last attempt': {
    method: 'GET',
    attempt: LAST,
    result: answered(200, 'text/html', HTML),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      message: 'VAN failed on /test (200): unexpected text/html answer',
    },
  },
  'a 200 read cut short, last attempt': {
    method: 'GET',
    attempt: LAST,
    result: answered(200, JSON_TYPE, '{"items":[{"resultCodeId":1,"name":"Not H'),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      message: 'VAN failed on /test (200): answer is not readable JSON (cut short?)',
    },
  },
  'a 200 read with no content type, last attempt': {
    method: 'GET',
    attempt: LAST,
    result: answered(200, '', ''),
    expected: {
      kind: 'final',
      error: 'VanServerError',
      message: 'VAN failed on /test (200): unexpected untyped answer',
    },
  },
  '401 is final': {
    method: 'GET',
    attempt: 1,
    result: answered(401, JSON_TYPE, '{}'),
    expected: { kind: 'final', error: 'VanAuthError', status: 401 },
  },
  '403 on a post is final': {
    method: 'POST',
    attempt: 1,
    result: answered(403, JSON_TYPE, '{}'),
    expected: { kind: 'final', error: 'VanAuthError', status: 403 },
  },
  "a 400 carries VAN's errors and is final": {
    method: 'POST',
    attempt: 1,
    result: answered(400, JSON_TYPE, INVALID),
    expected: {
      kind: 'final',
      error: 'VanValidationError',
      status: 400,
      message: 'Bad result code.',
      properties: ['resultCodeId'],
    },
  },
  'a 404 with no error body is final': {
    method: 'GET',
    attempt: 1,
    result: answered(404, JSON_TYPE, ''),
    expected: { kind: 'final', error: 'VanValidationError', status: 404, message: 'VAN answered 404' },
  },
  'a read that times out backs off': {
    method: 'GET',
    attempt: 1,
    result: { outcome: 'timeout' },
    expected: { kind: 'retry', afterMs: 125 },
  },
  'a read that times out on the last attempt': {
    method: 'GET',
    attempt: LAST,
    result: { outcome: 'timeout' },
    expected: {
      kind: 'final',
      error: 'VanTimeoutError',
      message: 'VAN did not answer /test within 60000 ms',
    },
  },
  'a post that times out: outcome unknown': {
    method: 'POST',
    attempt: 1,
    result: { outcome: 'timeout' },
    expected: { kind: 'outcome-unknown', reason: 'timeout', status: undefined },
  },
  'a read whose connection is reset is retried': {
    method: 'GET',
    attempt: 1,
    result: { outcome: 'connection-lost', code: 'ECONNRESET' },
    expected: { kind: 'retry', afterMs: 125 },
  },
  'a post whose connection is reset after sending: outcome unknown': {
    method: 'POST',
    attempt: 1,
    result: { outcome: 'connection-lost', code: 'ECONNRESET' },
    expected: { kind: 'outcome-unknown', reason: 'connection-lost', status: undefined },
  },
  'a post whose connection was refused before sending is retried': {
    method: 'POST',
    attempt: 3,
    result: { outcome: 'not-sent', code: 'ECONNREFUSED' },
    expected: { kind: 'retry', afterMs: 500 },
  },
  'a refused connection on the last attempt': {
    method: 'POST',
    attempt: LAST,
    result: { outcome: 'not-sent', code: 'ECONNREFUSED' },
    expected: {
      kind: 'final',
      error: 'VanServerError',
      status: undefined,
      message: 'VAN failed on /test: connection failed (ECONNREFUSED)',
    },
  },
  'a spent budget refuses before sending': {
    method: 'POST',
    attempt: 1,
    result: { outcome: 'budget-spent' },
    expected: {
      kind: 'final',
      error: 'VanBudgetExhaustedError',
      message: 'Daily VAN request budget spent for key key-1234; /test not sent',
    },
  },
};

function summary(verdict: VanVerdict): Record<string, unknown> {
  switch (verdict.kind) {
    case 'answer':
      return { kind: 'answer', status: verdict.status, json: verdict.json };
    case 'retry':
      return { kind: 'retry', afterMs: verdict.afterMs };
    case 'outcome-unknown':
      return { kind: 'outcome-unknown', reason: verdict.error.reason, status: verdict.error.status };
    case 'final': {
      const { error } = verdict;
      return {
        kind: 'final',
        error: error.name,
        status: error.status,
        message: error.message,
        ...(error instanceof VanThrottledError ? { retryAfterMs: error.retryAfterMs } : {}),
        ...(error instanceof VanValidationError ? { properties: error.properties } : {}),
      };
    }
  }
}

test.each(Object.entries(rows))('%s', (_what, row) => {
  const facts: VanAttemptFacts = {
    method: row.method,
    endpoint: '/test',
    errorsAreData: row.errorsAreData,
    attempt: row.attempt,
    result: row.result,
    policy: { maxAttempts: LAST, baseDelayMs: 250, maxDelayMs: 10_000 },
    timeoutMs: 60_000,
    keyFingerprint: 'key-1234',
    random: () => 0.5,
    now: NOW,
  };
  expect(summary(classifyVanAttempt(facts))).toMatchObject(row.expected);
});
