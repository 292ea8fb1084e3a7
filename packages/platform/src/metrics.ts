import { collectDefaultMetrics, Registry } from 'prom-client';

export { Gauge, Histogram, Registry } from 'prom-client';

/** One registry per service process, with Node's default metrics and the service label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'callsync_' });
  return registry;
}
