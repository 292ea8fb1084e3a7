import { budgetBlock } from '../src/candidate-van-access';

describe('budgetBlock: the units of a key’s daily budget a writer takes at once', () => {
  it.each([
    // rate per second, daily budget, units taken at once
    // Four seconds of posts.
    [15, 10_000_000, 60],
    [200, 10_000_000, 800],
    [0.5, 10_000_000, 2],
    // A hundredth of the day at most: what a writer that dies holds is lost to the day.
    [200, 1_000, 10],
    [15, 1_000, 10],
    [15, 50, 1],
  ])('%p/s with %p a day: %p', (rate, daily, expected) => {
    expect(budgetBlock(rate, daily)).toBe(expected);
  });
});
