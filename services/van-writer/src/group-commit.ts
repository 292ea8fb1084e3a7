// Writes that many callers need at once (every key's posting marks, outcomes and run counters),
// gathered into one MongoDB command: while one write is out, the next callers' items wait and
// leave together. With forty keys side by side this is one round trip for all of them instead of
// one per key, and the database parses one command instead of forty.

interface Waiting<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private writing = false;

  /**
   * `write` gets the items in submission order and answers one result per item, in order. With
   * `lingerMs`, a write waits that long for more items before it leaves.
   */
  constructor(
    private readonly write: (items: I[]) => Promise<R[]>,
    private readonly options: { lingerMs?: number } = {},
  ) {}

  /** Resolves with the items' results once the write that carried them has ended. */
  submit(items: readonly I[]): Promise<R[]> {
    const results = items.map(
      (item) => new Promise<R>((resolve, reject) => this.waiting.push({ item, resolve, reject })),
    );
    this.schedule();
    return Promise.all(results);
  }

  private schedule(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    // Callers of the same tick join the first write; with a linger, those of the next few ms too.
    if (this.options.lingerMs) setTimeout(() => void this.flush(), this.options.lingerMs);
    else queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.writing = false;
      this.schedule();
    }
  }
}
