import { useConfigWorld } from './support/config-world';

// The config service reaches a candidate's VAN the way the pipeline does: through the key's
// limiter at VAN_RATE_PER_SECOND, so pages opened during a night cannot push the key over its limit.

const world = useConfigWorld({ VAN_RATE_PER_SECOND: '4' });

test("validate's VAN requests are paced by the key's limiter", async () => {
  world.van.reset();
  expect((await world.api('/validate/good-candidate')).status).toBe(200);
  const arrivals = world.van
    .requestLog()
    .filter((entry) => entry.method === 'GET')
    .map((entry) => entry.at)
    .sort((a, b) => a - b);
  // The key profile and the metadata lists: several requests, one at a time.
  expect(arrivals.length).toBeGreaterThanOrEqual(5);
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
  // 4 a second is one every 250 ms; arrival times jitter by a few milliseconds.
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(200);
});
