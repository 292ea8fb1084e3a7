import { collectDefaultMetrics, Registry } from 'prom-client';

export { Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per service process, with Node's default metrics and the `component` label. Not
 * `service`: Prometheus Operator scrapes set `service` (the Kubernetes Service) on every target,
 * and a metric's own label of that name would be renamed `exported_service`.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component: service });
  collectDefaultMetrics({ register: registry, prefix: 'callsync_' });
  return registry;
}
