import { leasesToRenew, type HeldLease } from '../src/writer-commits';

// A lease of 15 s renewed at ticks of 5 s.
const TICK = 5_000;
const held = (entries: [string, number][]): Map<string, HeldLease> =>
  new Map(entries.map(([callId, until]) => [callId, { requestId: `r-${callId}`, until }]));

test.each([
  ['a mark just taken (15 s left)', 15_000, false],
  ['a mark taken just under a tick ago (more than two ticks left)', 10_001, false],
  ['a mark a tick old (two ticks left)', 10_000, true],
  ['a mark near its end', 1_000, true],
  ['a lease already lapsed (renewed still: only a redelivery may flag it)', -500, true],
])('%s (%i ms left): renewed %s', (_what, leftMs, renewed) => {
  const now = 1_000_000;
  expect(leasesToRenew(held([['c', now + leftMs]]), now, TICK)).toEqual(renewed ? ['c'] : []);
});

test('at a tick only the marks near their end are rewritten, whatever else is held', () => {
  const now = 50_000;
  const many = held([
    ...Array.from({ length: 200 }, (_, i): [string, number] => [`fresh-${i}`, now + 14_000]),
    ['slow-post', now + 4_000],
  ]);
  expect(leasesToRenew(many, now, TICK)).toEqual(['slow-post']);
});
