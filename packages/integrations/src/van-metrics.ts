import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The VAN client's metrics in one registry. Labels never include the key or a vanId. The endpoint
 * label is `van_endpoint`: Prometheus Operator scrapes set `endpoint` (the port name) on every
 * target, which would rename a metric's own `endpoint` to `exported_endpoint`.
 */
export interface VanMetrics {
  requests: Counter<'van_endpoint' | 'method' | 'status'>;
  duration: Histogram<'van_endpoint' | 'method'>;
}

// prom-client refuses to register a name twice in one registry, and every client (one per
// candidate) shares the service's registry, so the metrics are made once per registry.
const metricsByRegistry = new WeakMap<Registry, VanMetrics>();

export function vanMetricsFor(registry: Registry): VanMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      requests: new Counter({
        name: 'van_requests_total',
        help: 'Requests sent to VAN, by endpoint template, method and HTTP status (or timeout / network_error)',
        labelNames: ['van_endpoint', 'method', 'status'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'van_request_duration_seconds',
        help: 'Time VAN took to answer, by endpoint template and method',
        labelNames: ['van_endpoint', 'method'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}
