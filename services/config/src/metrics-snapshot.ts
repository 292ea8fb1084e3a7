/**
 * Gauges collected from MongoDB are read on each scrape, and prom-client collects the gauges of
 * one scrape concurrently: they share one read, kept for `maxAgeMs` so two Prometheus replicas
 * scraping together do not double the load. A failed read answers `fallback` (the gauges then
 * keep their last values) rather than failing the whole /metrics answer.
 */
export function sharedRead<T>(read: () => Promise<T>, fallback: T, maxAgeMs = 1_000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeMs) {
      last = { at: Date.now(), value: read().catch(() => fallback) };
    }
    return last.value;
  };
}
