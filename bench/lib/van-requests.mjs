// What the VAN sandbox saw during a benchmark: its request log and its journal of accepted posts.

const isCanvassPost = (entry) => entry.method === 'POST' && /\/canvassResponses$/.test(entry.path);

/** Counts what VAN saw: requests, accepted posts, and calls posted more than once. */
export function vanFigures(van, synced, fromRequest = 0) {
  const log = van.requestLog().slice(fromRequest);
  const requests = log.filter(isCanvassPost).length;
  const accepted = van.journal().filter((e) => isCanvassPost(e) && e.status !== null && e.status < 300);
  const seen = new Map();
  for (const entry of accepted) {
    const key = `${entry.vanId} ${JSON.stringify(entry.body)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const duplicates = [...seen.values()].filter((n) => n > 1).reduce((a, n) => a + n - 1, 0);
  const throttled = log.filter((e) => isCanvassPost(e) && e.status === 429).length;
  return {
    vanRequests: requests,
    acceptedPosts: accepted.length,
    requestsPerCall: synced ? requests / synced : undefined,
    duplicates,
    throttled,
  };
}

/** The most of `times` (epoch ms) that fall in any window of `widthMs`: a peak rate, not a binned one. */
export function peakInWindow(times, widthMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while (sorted[last] - sorted[first] >= widthMs) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}
