// Work grouped by key, the keys side by side and each key's items one after another: the
// extractor takes candidates at once but one candidate's runs in order.

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
