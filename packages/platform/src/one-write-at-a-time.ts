/**
 * Batches written one at a time, in order, while the caller reads the next: the extractor's claims
 * and the import's upserts. `write` waits for the batch before to end, starts this one and returns;
 * a failed batch is thrown by the next `write` or by `finish`, and until then it is not an
 * unhandled rejection (which would end the process while the caller awaits its cursor or parser).
 */
export interface OneWriteAtATime {
  write(batch: () => Promise<void>): Promise<void>;
  /** Waits for the last batch; throws if it failed. */
  finish(): Promise<void>;
  /** Waits for the last batch, whatever its end (on the way out of a failure). */
  settle(): Promise<void>;
}

export function oneWriteAtATime(): OneWriteAtATime {
  let last: Promise<void> = Promise.resolve();
  return {
    async write(batch) {
      await last;
      last = batch();
      last.catch(() => undefined);
    },
    finish: () => last,
    settle: () => last.catch(() => undefined),
  };
}
