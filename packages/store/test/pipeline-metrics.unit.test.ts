import { Registry } from 'prom-client';
import { observeFinishToPost } from '../src/pipeline-metrics';

// The finish-to-post histogram as Prometheus scrapes it: one series per candidate, the delay
// counted from the call's finish, or from its start when the dialer gave no finish time.

async function series(registry: Registry): Promise<Map<string, number>> {
  const text = await registry.getSingleMetricAsString('callsync_call_finish_to_post_seconds');
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(callsync_call_finish_to_post_seconds_\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match) values.set(`${match[1]}{${match[2]}}`, Number(match[3]));
  }
  return values;
}

test('observes seconds from finish_time, else from the start, per candidate', async () => {
  const registry = new Registry();
  const postedAt = new Date('2026-10-21T03:30:00Z');
  // Finished 23:00 Eastern the evening before (03:00Z), posted 30 minutes later: 1800 s.
  observeFinishToPost(
    registry,
    'maria-lopez',
    { finish_time: new Date('2026-10-21T03:00:00Z'), timestamp: new Date('2026-10-21T02:55:00Z') },
    postedAt,
  );
  // No finish time: from the start, 2 hours before.
  observeFinishToPost(registry, 'maria-lopez', { timestamp: new Date('2026-10-21T01:30:00Z') }, postedAt);
  // A finish after the post (clock skew) is a zero delay, not a negative one.
  observeFinishToPost(
    registry,
    'james-carter',
    { finish_time: new Date('2026-10-21T03:31:00Z'), timestamp: new Date('2026-10-21T03:29:00Z') },
    postedAt,
  );

  const values = await series(registry);
  expect(values.get('callsync_call_finish_to_post_seconds_count{candidate="maria-lopez"}')).toBe(2);
  expect(values.get('callsync_call_finish_to_post_seconds_sum{candidate="maria-lopez"}')).toBe(1800 + 7200);
  expect(values.get('callsync_call_finish_to_post_seconds_bucket{le="1800",candidate="maria-lopez"}')).toBe(
    1,
  );
  expect(values.get('callsync_call_finish_to_post_seconds_bucket{le="7200",candidate="maria-lopez"}')).toBe(
    2,
  );
  expect(values.get('callsync_call_finish_to_post_seconds_sum{candidate="james-carter"}')).toBe(0);
  expect(values.get('callsync_call_finish_to_post_seconds_bucket{le="30",candidate="james-carter"}')).toBe(1);
});
