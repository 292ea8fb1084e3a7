import type Koa from 'koa';
import { Histogram, type Registry } from '@call-sync/platform';

/**
 * `callsync_http_request_duration_seconds{method,route,status}` for the config service's API and
 * pages. `route` is the router's template (`/runs/:runId`), never the raw path, so ids and
 * candidate names in URLs do not each make a series; requests no route matched share one label.
 * Mounted before the routes, so the operational endpoints (/healthz, /readyz, /metrics), which
 * answer first, are not timed: a scrape would otherwise measure itself.
 */
export function httpMetrics(registry: Registry): Koa.Middleware {
  const duration = new Histogram({
    name: 'callsync_http_request_duration_seconds',
    help: 'Time the config service took to answer its API and pages, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return async (ctx, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      end({
        method: ctx.method,
        route: typeof route === 'string' ? route : 'unmatched',
        status: String(ctx.status),
      });
    }
  };
}
