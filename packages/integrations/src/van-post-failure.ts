// What a failed canvass-response POST means for the call, in one place for every path that posts
// one (the van-writer's window and a person's re-post from the worklist): whether VAN may hold it.

import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanOutcomeUnknownError,
  VanRequestRefusedError,
  VanServerError,
  VanThrottledError,
  VanValidationError,
} from './van-errors';

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
