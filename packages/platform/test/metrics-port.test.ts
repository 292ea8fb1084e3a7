import { startServiceRuntime, type ServiceRuntime } from '@call-sync/platform';
import { serverEnv, uniqueName } from '../../../test/support/env';

// In Kubernetes the ingress routes the service port; METRICS_PORT keeps /metrics off it.

function runtimeEnv(extra: Record<string, string>): Record<string, string> {
  const { kafkaBrokers, mongoUrl } = serverEnv();
  return {
    MONGODB_URL: mongoUrl,
    MONGODB_DATABASE: uniqueName('metrics-port'),
    KAFKA_BROKERS: kafkaBrokers.join(','),
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...extra,
  };
}

let runtime: ServiceRuntime | undefined;
afterEach(async () => {
  await runtime?.db.dropDatabase();
  await runtime?.shutdown();
  runtime = undefined;
});

test('with METRICS_PORT set, the service port answers 404 on /metrics and the metrics port serves it', async () => {
  runtime = await startServiceRuntime({
    service: 'metrics-port-test',
    defaultPort: 0,
    topics: [],
    env: runtimeEnv({ METRICS_PORT: '0' }),
  });
  const { server } = runtime;
  expect(server.metricsPort).toEqual(expect.any(Number));
  expect(server.metricsPort).not.toBe(server.port);

  expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

  const metrics = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
  expect(metrics.status).toBe(200);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await metrics.text()).toContain('callsync_process_cpu_seconds_total{component="metrics-port-test"}');
  // The metrics port carries nothing else.
  expect((await fetch(`http://127.0.0.1:${server.metricsPort}/healthz`)).status).toBe(404);
});

test('without METRICS_PORT, /metrics is served on the service port', async () => {
  runtime = await startServiceRuntime({
    service: 'metrics-port-test',
    defaultPort: 0,
    topics: [],
    env: runtimeEnv({}),
  });
  expect(runtime.server.metricsPort).toBeUndefined();
  const metrics = await fetch(`${runtime.server.url}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('callsync_process_cpu_seconds_total{component="metrics-port-test"}');
});
