// The large part of a candidate's extraction (its Livevox pull, the main cursor's 5,000-call
// batches) holds one of a few slots, which bound the extractor's memory; everything before it
// (configuration, VAN metadata, the run's first small batch) runs for every candidate at once, so
// each candidate's writer has work within the first seconds whatever the number of candidates.

export class ClaimSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = Math.max(1, slots);
  }

  /** Runs `work` once a slot is free, and frees it when `work` ends, however it ends. */
  async run<R>(work: () => Promise<R>): Promise<R> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, or back to the pool.
      if (next) next();
      else this.free += 1;
    }
  }
}

/** Runs `work` in one of `slots`, or at once when the extraction shares none. */
export function inClaimSlot<R>(slots: ClaimSlots | undefined, work: () => Promise<R>): Promise<R> {
  return slots ? slots.run(work) : work();
}
