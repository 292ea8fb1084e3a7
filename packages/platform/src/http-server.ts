import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

export type ReadinessCheck = () => Promise<void>;

export interface ServiceServerOptions<Mounted = void> {
  service: string;
  port: number;
  /**
   * When set, `/metrics` is served on this port only and the service's port answers 404 for it, so
   * an ingress in front of the service port cannot expose the metrics.
   */
  metricsPort?: number;
  logger: Logger;
  registry: Registry;
  /** Each check throws when its dependency is not usable; `/readyz` answers 503 naming it (the error is logged). */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Routes of the service itself, mounted after the operational ones; what it returns (the parts
   * it built) comes back as the server's `mounted`, so the caller needs no variable set inside it.
   */
  routes?: (app: Koa) => Mounted;
}

export interface ServiceServer {
  app: Koa;
  server: http.Server;
  port: number;
  url: string;
  /** The separate metrics port, when one was asked for. */
  metricsPort?: number;
  /** Refuses new connections and waits for in-flight requests. */
  close(): Promise<void>;
  /** While draining, readiness fails so the load balancer stops sending traffic. */
  setDraining(): void;
}

function metricsRouter(registry: Registry): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}

async function listen(app: Koa, port: number): Promise<http.Server> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Every service starts its HTTP side the same way: `/healthz` (the process lives), `/readyz`
 * (its dependencies answer), `/metrics` (Prometheus; on its own port when `metricsPort` is set).
 * The service's own routes come after.
 */
export async function startServiceServer<Mounted = void>(
  options: ServiceServerOptions<Mounted>,
): Promise<ServiceServer & { mounted: Mounted | undefined }> {
  const { logger, registry } = options;
  const app = new Koa();
  // Koa's proxy mode would believe X-Forwarded-For/-Proto/-Host from anyone who can reach the port.
  // A service behind the ingress believes them per request, from its trusted proxies only (config's
  // TRUSTED_PROXIES); the others never read them.
  app.proxy = false;
  // Koa's last-resort handler prints to stderr outside the log; an error no handler of the service
  // caught goes to the log with its stack (pino's serializer keeps it, without request configs).
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
    if (status === 404 || expose === true) return;
    logger.error({ err: error, method: ctx?.method, path: ctx?.path }, 'request failed');
  });
  let draining = false;
  const ops = new Router();

  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok', service: options.service };
  });
  ops.get('/readyz', async (ctx) => {
    const failures: Record<string, string> = {};
    if (draining) failures.server = 'shutting down';
    await Promise.all(
      Object.entries(options.readiness ?? {}).map(async ([name, check]) => {
        try {
          await check();
        } catch (error) {
          // The answer names the dependency only: a driver's message carries hosts, ports and
          // sometimes user names, and the probe port answers anyone who can reach the pod.
          failures[name] = 'does not answer';
          logger.warn({ err: error, dependency: name }, 'readiness check failed');
        }
      }),
    );
    const ready = Object.keys(failures).length === 0;
    ctx.status = ready ? 200 : 503;
    ctx.body = ready ? { status: 'ready', service: options.service } : { status: 'not ready', failures };
  });

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      if (!ctx.path.startsWith('/healthz') && !ctx.path.startsWith('/readyz') && ctx.path !== '/metrics') {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        logger.info(
          { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms) },
          'request',
        );
      }
    }
  });
  app.use(ops.routes());
  app.use(ops.allowedMethods());
  let metricsServer: http.Server | undefined;
  if (options.metricsPort === undefined) {
    app.use(metricsRouter(registry).routes());
  } else {
    const metricsApp = new Koa();
    metricsApp.use(metricsRouter(registry).routes());
    metricsServer = await listen(metricsApp, options.metricsPort);
  }
  const mounted = options.routes?.(app);

  const server = await listen(app, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    mounted,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    ...(metricsServer ? { metricsPort: (metricsServer.address() as AddressInfo).port } : {}),
    setDraining: () => {
      draining = true;
    },
    close: async () => {
      await Promise.all([server, metricsServer].flatMap((s) => (s ? [closeServer(s)] : [])));
    },
  };
}
