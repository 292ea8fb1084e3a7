import { ClaimSlots } from '../src/claim-slots';

const tick = () => new Promise((resolve) => setImmediate(resolve));

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
