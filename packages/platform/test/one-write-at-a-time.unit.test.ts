import { oneWriteAtATime } from '@call-sync/platform';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

test('batches are written one at a time, in order, while the caller goes on', async () => {
  const writes = oneWriteAtATime();
  const events: string[] = [];
  const batch = (name: string) => async () => {
    events.push(`${name} start`);
    await tick();
    events.push(`${name} end`);
  };
  await writes.write(batch('a'));
  events.push('caller reads the next batch');
  await writes.write(batch('b'));
  await writes.finish();
  expect(events).toEqual(['a start', 'caller reads the next batch', 'a end', 'b start', 'b end']);
});

test('a failed batch is thrown by the next write, and is not an unhandled rejection meanwhile', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const writes = oneWriteAtATime();
    let secondStarted = false;
    await writes.write(async () => {
      await tick();
      throw new Error('the database went away');
    });
    await tick();
    await tick();
    await expect(
      writes.write(async () => {
        secondStarted = true;
      }),
    ).rejects.toThrow('the database went away');
    expect(secondStarted).toBe(false);
    await expect(writes.finish()).rejects.toThrow('the database went away');
    await expect(writes.settle()).resolves.toBeUndefined();
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
