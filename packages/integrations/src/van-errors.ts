import type { VanErrorItem } from '@call-sync/core';

// Every VAN failure the client can report. Messages carry the endpoint template and VAN's own
// text, never the API key, the Authorization header or the axios error (whose config holds the
// credentials), so any of these can be logged or stored on a call as they are. What a failed
// canvass-response POST means for the call is read from these errors, so it is decided here too,
// once for every path that posts one (the van-writer's window and a person's re-post from the
// worklist): whether VAN may hold it.

export abstract class VanError extends Error {
  /** The endpoint template, e.g. `/people/{vanId}/canvassResponses`. */
  readonly endpoint: string;
  readonly status: number | undefined;

  protected constructor(message: string, endpoint: string, status: number | undefined) {
    super(message);
    this.name = new.target.name;
    this.endpoint = endpoint;
    this.status = status;
  }
}

/** VAN refused what we sent (400, 404, 422...). Final: sending it again gets the same answer. */
export class VanValidationError extends VanError {
  readonly errors: VanErrorItem[];
  /** VAN's texts joined, e.g. "'resultCodeId' must be a valid result code in the current context." */
  readonly text: string;
  readonly properties: string[];
  readonly referenceCode: string | undefined;

  constructor(endpoint: string, status: number, errors: VanErrorItem[]) {
    const text = errors.map((e) => e.text).join(' ') || `VAN answered ${status}`;
    super(text, endpoint, status);
    this.errors = errors;
    this.text = text;
    this.properties = errors.flatMap((e) => e.properties ?? []);
    this.referenceCode = errors.find((e) => e.referenceCode)?.referenceCode;
  }
}

/** 401/403: a wrong key, or the right key in the wrong mode (VAN does not tell them apart). */
export class VanAuthError extends VanError {
  constructor(endpoint: string, status: number) {
    super(
      `VAN refused the API key (${status}): check the key and its mode (|0 MyVoters, |1 MyCampaign)`,
      endpoint,
      status,
    );
  }
}

/** Still 429 after the retries we allow; `retryAfterMs` is VAN's hint when it gave one. */
export class VanThrottledError extends VanError {
  readonly retryAfterMs: number | undefined;
  constructor(endpoint: string, text: string, retryAfterMs: number | undefined) {
    super(`VAN throttled ${endpoint}: ${text}`, endpoint, 429);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx, a proxy's HTML page, or an answer we cannot read, on a request that is safe to report as failed. */
export class VanServerError extends VanError {
  constructor(endpoint: string, status: number | undefined, detail: string) {
    super(`VAN failed on ${endpoint}${status ? ` (${status})` : ''}: ${detail}`, endpoint, status);
  }
}

/** A read that did not answer within the timeout, after its retries. */
export class VanTimeoutError extends VanError {
  constructor(endpoint: string, timeoutMs: number) {
    super(`VAN did not answer ${endpoint} within ${timeoutMs} ms`, endpoint, undefined);
  }
}

/**
 * A write whose outcome we cannot know: it may or may not have been recorded by VAN. Never
 * re-post it automatically; the call is flagged for a person to check in VAN.
 */
export class VanOutcomeUnknownError extends VanError {
  readonly reason: 'timeout' | 'server-error' | 'connection-lost';
  constructor(endpoint: string, reason: 'timeout' | 'server-error' | 'connection-lost', status?: number) {
    super(
      `VAN outcome unknown on ${endpoint} (${reason}${status ? ` ${status}` : ''}): it may have been recorded; ` +
        'not retried, check in VAN before sending it again',
      endpoint,
      status,
    );
    this.reason = reason;
  }
}

/** Our own check refused the request before it left (a VAN id that cannot exist); nothing was sent. */
export class VanRequestRefusedError extends VanError {
  constructor(endpoint: string, detail: string) {
    super(`not sent to ${endpoint}: ${detail}`, endpoint, undefined);
  }
}

/** Today's request budget for this key is spent; nothing was sent. */
export class VanBudgetExhaustedError extends VanError {
  readonly keyFingerprint: string;
  constructor(endpoint: string, keyFingerprint: string) {
    super(
      `Daily VAN request budget spent for key ${keyFingerprint}; ${endpoint} not sent`,
      endpoint,
      undefined,
    );
    this.keyFingerprint = keyFingerprint;
  }
}

export type VanPostFailure =
  /** The key's daily budget is spent: nothing was sent. */
  | { kind: 'budget'; message: string }
  /** 429 after the client's retries, or a connection that never opened: VAN did not process it. */
  | { kind: 'not-sent'; message: string }
  /** Our own check stopped it before it left: bad dialer data, not a doubt about VAN. */
  | { kind: 'refused'; message: string }
  /** VAN answered and refused it (its error text): it holds nothing. */
  | { kind: 'rejected'; message: string }
  /** It may have reached VAN: never posted again without a person. */
  | { kind: 'unknown'; message: string };

export function classifyVanPostFailure(error: unknown): VanPostFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof VanBudgetExhaustedError) return { kind: 'budget', message };
  if (error instanceof VanThrottledError || error instanceof VanServerError)
    return { kind: 'not-sent', message };
  if (error instanceof VanRequestRefusedError) return { kind: 'refused', message };
  if (error instanceof VanOutcomeUnknownError) return { kind: 'unknown', message: error.reason };
  if (error instanceof VanValidationError || error instanceof VanAuthError)
    return { kind: 'rejected', message };
  // Anything we cannot classify may have reached VAN.
  return { kind: 'unknown', message };
}
