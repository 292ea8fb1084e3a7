import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { repoRoot } from '../servers';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * A port nothing listens on now, chosen by the kernel. A random pick in 20000-40000 ran into the
 * ephemeral range that outgoing connections (Kafka, Mongo) take their ports from.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Node's arguments that run a built script the way the services' images start it: the OpenTelemetry
 * SDK preloaded (it stays off without OTEL_EXPORTER_OTLP_ENDPOINT), then the script.
 */
export function serviceNodeArgs(script: string, args: string[] = []): string[] {
  return ['--require', path.join(repoRoot, 'packages/platform/dist/instrumentation.js'), script, ...args];
}

export type ServiceName = 'config' | 'extractor' | 'van-writer' | 'csv-writer';

/** Starts a built service (`services/<name>/dist/main.js`) and waits until `/readyz` says ready. */
export async function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(
    process.execPath,
    serviceNodeArgs(path.join(repoRoot, 'services', name, 'dist', 'main.js'), args),
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: port },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/readyz`);
      // Another process on the same port (a parallel suite's service) would answer too: only this
      // service's own answer counts.
      const body = (await response.json().catch(() => ({}))) as { service?: string };
      if (response.status === 200 && body.service === name && child.exitCode === null) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
