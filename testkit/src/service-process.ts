import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { waitUntil } from './wait';

// The built services as processes (`node services/<name>/dist/main.js`), as in production: for the
// tests, which preload what the images preload, and for the benchmarks, which add the chart's
// variables and their own node flags.

/** The repository's root, from this file in src/ or in dist/ alike. */
export const repoRoot = path.resolve(__dirname, '..', '..');

export type ServiceName = 'config' | 'extractor' | 'van-writer' | 'csv-writer';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr (the last `outputLimit` characters). */
  output(): string;
  /** Sends the signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ServiceProcessOptions {
  /** The service's own arguments, after its script. */
  args?: string[];
  /** Node's arguments, before the script. */
  nodeArgs?: string[];
  timeoutMs?: number;
  /** How much of the output is kept: a long benchmark's service writes more than it needs. */
  outputLimit?: number;
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

/** The built script of a service. */
export function serviceScript(name: ServiceName): string {
  return path.join(repoRoot, 'services', name, 'dist', 'main.js');
}

/**
 * Starts a built service with `env` over this process's environment and waits until its own
 * `/readyz` says ready; `env.PORT`, when given, is the port it listens on.
 */
export async function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  options: ServiceProcessOptions = {},
): Promise<ServiceProcess> {
  const { args = [], nodeArgs = [], timeoutMs = 30_000, outputLimit = Infinity } = options;
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, [...nodeArgs, serviceScript(name), ...args], {
    env: { ...process.env, ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > outputLimit) output = output.slice(-outputLimit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(() => answersReady(name, url, child), {
      timeoutMs,
      intervalMs: 200,
      what: `${name} ready`,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}:\n${output}`);
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

/** Whether the service itself answers ready; throws once it has exited. */
async function answersReady(name: ServiceName, url: string, child: ChildProcess): Promise<boolean> {
  if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
  try {
    const response = await fetch(`${url}/readyz`);
    // Another process on the same port (a parallel suite's service) would answer too: only this
    // service's own answer counts.
    const body = (await response.json().catch(() => ({}))) as { service?: string };
    return response.status === 200 && body.service === name && child.exitCode === null;
  } catch {
    return false;
  }
}
