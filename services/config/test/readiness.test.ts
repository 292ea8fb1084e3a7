import net from 'node:net';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitUntil } from '@call-sync/testkit';
import { standaloneServiceEnv } from '../../../test/support/env';

// /readyz of the started service when a dependency stops answering: 503 naming the dependency,
// and nothing of the driver's error (addresses, ports, hosts, messages), which anything that can
// reach the probe port could read. The error itself goes to the log, where operators look.

/** A TCP relay to the real MongoDB that the test can cut. */
async function relay(target: URL): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

let service: ServiceProcess | undefined;
let mongo: Awaited<ReturnType<typeof relay>> | undefined;
afterAll(async () => {
  await service?.stop('SIGKILL');
  await mongo?.cut();
});

test('/readyz names the dependency that stopped answering, without its error', async () => {
  const env = standaloneServiceEnv('readiness');
  mongo = await relay(new URL(env.MONGODB_URL!));
  const mongoUrl = new URL(env.MONGODB_URL!);
  mongoUrl.host = `127.0.0.1:${mongo.port}`;
  service = await startServiceProcess('config', { ...env, MONGODB_URL: mongoUrl.toString() }, TEST_LAUNCH);
  expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

  await mongo.cut();
  const response = await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  expect(response.status).toBe(503);
  expect(JSON.parse(text)).toEqual({ status: 'not ready', failures: { mongo: 'does not answer' } });
  expect(text).not.toContain(mongoUrl.host);
  // The log line leaves before the answer, but through another pipe: it may be read after it.
  const output = () => service!.output();
  await waitUntil(() => /readiness check failed/.test(output()), { what: 'the failed check in the log' });
}, 60_000);
