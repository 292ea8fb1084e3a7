import { ClaimSlots, FirstBatches, handleKeyedQueues } from '../src/extraction-turns';

// Keys side by side, each key's items in order: the extractor's candidates and their runs. Then
// the slots the large claims take turns in.

interface Item {
  key: string;
  n: number;
}
const items: Item[] = [
  { key: 'a', n: 1 },
  { key: 'b', n: 1 },
  { key: 'a', n: 2 },
  { key: 'c', n: 1 },
  { key: 'b', n: 2 },
];

/** A handler that records when each item starts and ends; each item waits for `release(item)`. */
function recorder() {
  const events: string[] = [];
  const pending = new Map<string, () => void>();
  const name = (item: Item) => `${item.key}${item.n}`;
  return {
    events,
    release: (label: string) => pending.get(label)!(),
    started: (label: string) => events.includes(`start ${label}`),
    handle: (item: Item) =>
      new Promise<string>((resolve, reject) => {
        events.push(`start ${name(item)}`);
        pending.set(name(item), () => {
          events.push(`end ${name(item)}`);
          if (item.key === 'fail') reject(new Error(`${name(item)} failed`));
          else resolve(name(item).toUpperCase());
        });
      }),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test("at most `atOnce` keys run at once, each key's items one after another, results in the items' order", async () => {
  const r = recorder();
  const done = handleKeyedQueues(items, (i) => i.key, 2, r.handle);
  await tick();
  // Two keys at once: a1 and b1; c waits for a free slot, a2 for a1.
  expect(r.events).toEqual(['start a1', 'start b1']);
  r.release('a1');
  await tick();
  expect(r.started('a2')).toBe(true);
  expect(r.started('c1')).toBe(false);
  r.release('a2');
  await tick();
  expect(r.started('c1')).toBe(true);
  r.release('b1');
  await tick();
  r.release('b2');
  r.release('c1');
  await expect(done).resolves.toEqual(['A1', 'B1', 'A2', 'C1', 'B2']);
});

test("an item that throws stops only its key's later items; the others finish, then the error is thrown", async () => {
  const r = recorder();
  const withFailure: Item[] = [
    { key: 'fail', n: 1 },
    { key: 'ok', n: 1 },
    { key: 'fail', n: 2 },
    { key: 'ok', n: 2 },
  ];
  const done = handleKeyedQueues(withFailure, (i) => i.key, 4, r.handle);
  const outcome = done.then(
    () => undefined,
    (error: Error) => error.message,
  );
  let settled = false;
  void outcome.then(() => (settled = true));
  await tick();
  r.release('fail1');
  await tick();
  r.release('ok1');
  await tick();
  // The failure is not reported while another key still works.
  expect(settled).toBe(false);
  r.release('ok2');
  expect(await outcome).toBe('fail1 failed');
  expect(r.started('fail2')).toBe(false);
  expect(r.events).toContain('end ok2');
});

test('nothing to handle resolves with nothing', async () => {
  await expect(
    handleKeyedQueues(
      [],
      () => 'k',
      4,
      async () => 1,
    ),
  ).resolves.toEqual([]);
});

test('at most the given number of works run at once, the others in the order they asked', async () => {
  const slots = new ClaimSlots(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const releases: (() => void)[] = [];
  const works = [0, 1, 2, 3, 4].map((i) =>
    slots.run(async () => {
      running += 1;
      most = Math.max(most, running);
      order.push(i);
      await new Promise<void>((resolve) => releases.push(resolve));
      running -= 1;
      return i;
    }),
  );
  await tick();
  expect(order).toEqual([0, 1]);
  releases.shift()!();
  await tick();
  expect(order).toEqual([0, 1, 2]);
  while (order.length < 5 || releases.length > 0) {
    releases.shift()?.();
    await tick();
  }
  expect(await Promise.all(works)).toEqual([0, 1, 2, 3, 4]);
  expect(order).toEqual([0, 1, 2, 3, 4]);
  expect(most).toBe(2);
});

test('a work that throws frees its slot', async () => {
  const slots = new ClaimSlots(1);
  await expect(slots.run(() => Promise.reject(new Error('claim failed')))).rejects.toThrow('claim failed');
  await expect(slots.run(async () => 'next')).resolves.toBe('next');
});

/** Whether `gate` has opened by the next turn of the event loop. */
async function isOpen(gate: FirstBatches): Promise<boolean> {
  let open = false;
  void gate.out.then(() => (open = true));
  await tick();
  return open;
}

test('the first-batches gate opens once every key has said its first batch is out, each once', async () => {
  const gate = new FirstBatches(['a', 'b', 'a'], 60_000);
  gate.done('a');
  gate.done('a');
  gate.done('someone else');
  expect(await isOpen(gate)).toBe(false);
  gate.done('b');
  expect(await isOpen(gate)).toBe(true);
});

test('the first-batches gate opens at once with no key to wait for', async () => {
  expect(await isOpen(new FirstBatches([], 60_000))).toBe(true);
});

test('the first-batches gate opens after its longest wait when a key never says', async () => {
  jest.useFakeTimers();
  try {
    const gate = new FirstBatches(['a', 'b'], 5_000);
    gate.done('a');
    let open = false;
    void gate.out.then(() => (open = true));
    await jest.advanceTimersByTimeAsync(4_999);
    expect(open).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(open).toBe(true);
  } finally {
    jest.useRealTimers();
  }
});
