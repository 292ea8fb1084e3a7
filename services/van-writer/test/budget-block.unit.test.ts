import { budgetBlock } from '../src/candidate-van-access';

describe('budgetBlock: the units of a key’s daily budget a writer takes at once', () => {
  it.each([
    // rate per second, daily budget, units taken at once
    [15, 10_000_000, 15],
    [200, 10_000_000, 200],
    [0.5, 10_000_000, 1],
    // A hundredth of the day at most: what a writer that dies holds is lost to the day.
    [200, 1_000, 10],
    [15, 1_000, 10],
    [15, 50, 1],
  ])('%p/s with %p a day: %p', (rate, daily, expected) => {
    expect(budgetBlock(rate, daily)).toBe(expected);
  });
});
