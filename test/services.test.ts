import { type ServiceName, startServiceProcess, TEST_LAUNCH } from '@call-sync/testkit';
import { standaloneServiceEnv } from './support/env';

// Every service starts the same way: health, readiness and metrics over HTTP, and a clean exit on
// SIGTERM. These run the built services as separate processes against the real servers.

const services: ServiceName[] = ['config', 'extractor', 'van-writer', 'csv-writer'];

const serviceEnv = () => standaloneServiceEnv('services');

test.each(services)(
  '%s answers /healthz, /readyz and /metrics, and exits cleanly on SIGTERM',
  async (name) => {
    const service = await startServiceProcess(name, serviceEnv(), TEST_LAUNCH);
    try {
      const health = await fetch(`${service.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', service: name });

      const ready = await fetch(`${service.url}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', service: name });

      const metrics = await fetch(`${service.url}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toContain(`callsync_process_cpu_seconds_total{component="${name}"}`);
    } finally {
      expect(await service.stop('SIGTERM')).toBe(0);
    }
  },
);

test('a service refuses to start on a malformed variable, naming it and not echoing its value', async () => {
  const secretLookingUrl = 'postgres://user:hunter2@db';
  const failure = await startServiceProcess(
    'van-writer',
    { ...serviceEnv(), MONGODB_URL: secretLookingUrl },
    { ...TEST_LAUNCH, timeoutMs: 10_000 },
  ).then(
    () => new Error('the service started with a bad MONGODB_URL'),
    (error: Error) => error,
  );
  expect(failure.message).toMatch(/exited with 78/);
  expect(failure.message).toMatch(/MONGODB_URL: must be a mongodb/);
  expect(failure.message).not.toContain('hunter2');
});

test("a service whose port another service holds is not taken for ready on that service's answer", async () => {
  // A parallel suite's service on the same port answers /readyz too; the test harness must not
  // take that for this service being ready, or a test waits on a service that never ran.
  const holder = await startServiceProcess('config', serviceEnv(), TEST_LAUNCH);
  try {
    const port = new URL(holder.url).port;
    const failure = await startServiceProcess(
      'csv-writer',
      { ...serviceEnv(), PORT: port },
      { ...TEST_LAUNCH, timeoutMs: 15_000 },
    ).then(
      () => new Error('the csv-writer was reported ready on the config service’s port'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/csv-writer (exited with|was not ready)/);
  } finally {
    expect(await holder.stop('SIGTERM')).toBe(0);
  }
});
