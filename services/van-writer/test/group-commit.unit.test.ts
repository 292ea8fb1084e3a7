import { GroupCommit } from '../src/group-commit';

describe('GroupCommit', () => {
  test('items submitted while a write is out leave together in the next write, each with its own result', async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit<number, string>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => `r${n}`);
    });
    const first = commit.submit([1, 2]);
    await Promise.resolve(); // the first write starts
    await Promise.resolve();
    const second = commit.submit([3]);
    const third = commit.submit([4, 5]);
    release();
    expect(await first).toEqual(['r1', 'r2']);
    expect(await second).toEqual(['r3']);
    expect(await third).toEqual(['r4', 'r5']);
    expect(writes).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  test('a failed write fails only its own items; the next write goes on', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('MongoDB blinked');
      return items.map((n) => n * 10);
    });
    const failed = commit.submit([1]);
    await expect(failed).rejects.toThrow('MongoDB blinked');
    expect(await commit.submit([2, 3])).toEqual([20, 30]);
  });

  test('callers of the same tick share one write', async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      writes.push(items);
      return items;
    });
    await Promise.all([commit.submit([1]), commit.submit([2]), commit.submit([3])]);
    expect(writes).toEqual([[1, 2, 3]]);
  });
  test('with a linger, callers of the next turns of the event loop join the write too', async () => {
    const writes: number[][] = [];
    const write = async (items: number[]) => {
      writes.push(items);
      return items;
    };
    const lingering = new GroupCommit<number, number>(write, { lingerMs: 50 });
    const first = lingering.submit([1]);
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([first, lingering.submit([2])]);
    const eager = new GroupCommit<number, number>(write);
    const alone = eager.submit([3]);
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([alone, eager.submit([4])]);
    expect(writes).toEqual([[1, 2], [3], [4]]);
  });
});
