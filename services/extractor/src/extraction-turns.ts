// Which candidates are extracted at once. Runs go by candidate: the candidates side by side, each
// candidate's runs one after another, in the order they were opened. Within a run, the large part
// (its Livevox pull, the main cursor's 5,000-call batches) holds one of a few slots, which bound
// the extractor's memory; everything before it (configuration, VAN metadata, the run's first small
// batch) runs for every candidate at once, so each candidate's writer has work within the first
// seconds whatever the number of candidates.

/**
 * Handles `items` grouped by `keyOf`: at most `atOnce` keys at a time, each key's items in their
 * order. An item that throws stops only its own key's later items; the other keys finish, then
 * the first error is thrown. Resolves with each item's result, in the items' order.
 */
export async function handleKeyedQueues<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  atOnce: number,
  handle: (item: T) => Promise<R>,
): Promise<R[]> {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const queue = byKey.get(key) ?? [];
    queue.push(item);
    byKey.set(key, queue);
  }
  const queues = [...byKey.values()];
  const results = new Map<T, R>();
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      try {
        for (const item of queue) results.set(item, await handle(item));
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(atOnce, queues.length)) }, worker));
  if (errors.length > 0) throw errors[0];
  return items.map((item) => results.get(item)!);
}

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

/**
 * A gate that opens once each of `keys` has said its first batch is out (or its work ended), or
 * after `atMostMs`, whichever comes first: work that can wait starts behind work that cannot.
 */
export class FirstBatches {
  private readonly pending: Set<string>;
  private opened!: () => void;
  readonly out: Promise<void>;

  constructor(keys: Iterable<string>, atMostMs: number) {
    this.pending = new Set(keys);
    this.out = new Promise<void>((resolve) => (this.opened = resolve));
    if (this.pending.size === 0) {
      this.opened();
      return;
    }
    const timer = setTimeout(() => this.opened(), atMostMs);
    timer.unref();
    void this.out.then(() => clearTimeout(timer));
  }

  /** `key`'s first batch is out, or its work ended without one. */
  done(key: string): void {
    if (this.pending.delete(key) && this.pending.size === 0) this.opened();
  }
}
