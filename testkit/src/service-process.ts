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

/** How a built service's node is started: shared by the long-running services and the one-shot commands. */
export interface LaunchOptions {
  /** Node's arguments, before the script. */
  nodeArgs?: string[];
  /** Modules node loads before the script (`--require`), as an image's entry point preloads them. */
  preload?: string[];
  /** LOG_LEVEL, unless `env` sets its own. */
  logLevel?: string;
  /** How much of the output is kept: a long benchmark's service writes more than it needs. */
  outputLimit?: number;
}

export interface ServiceProcessOptions extends LaunchOptions {
  /** The service's own arguments, after its script. */
  args?: string[];
  timeoutMs?: number;
}

/** What the services' images preload: the OpenTelemetry SDK, off without OTEL_EXPORTER_OTLP_ENDPOINT. */
export const IMAGE_PRELOAD = [path.join(repoRoot, 'packages/platform/dist/instrumentation.js')];

/** The tests run a service as its image does, and read only its warnings. */
export const TEST_LAUNCH: LaunchOptions = { preload: IMAGE_PRELOAD, logLevel: 'warn' };

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

/** Node's arguments that run a built service with `args`, its node flags and preloads first. */
function serviceNodeArgs(
  name: ServiceName,
  args: string[] = [],
  { nodeArgs = [], preload = [] }: LaunchOptions = {},
): string[] {
  return [...nodeArgs, ...preload.flatMap((module) => ['--require', module]), serviceScript(name), ...args];
}

/** Spawns a built service with `env` over this process's environment, keeping its output. */
function launch(
  name: ServiceName,
  env: Record<string, string>,
  args: string[],
  options: LaunchOptions,
): { child: ChildProcess; output: () => string } {
  const { logLevel, outputLimit = Infinity } = options;
  const child = spawn(process.execPath, serviceNodeArgs(name, args, options), {
    env: { ...process.env, ...(logLevel ? { LOG_LEVEL: logLevel } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > outputLimit) output = output.slice(-outputLimit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => output };
}

/**
 * Runs a one-shot command of a built service (no port of its own: PORT=0); `done` resolves with its
 * exit code and output once it exits. `child` is there for whoever watches it meanwhile.
 */
export function runServiceCommand(
  name: ServiceName,
  env: Record<string, string>,
  args: string[],
  options: LaunchOptions = {},
): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const { child, output } = launch(name, { ...env, PORT: '0' }, args, options);
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, output: output() })),
  );
  return { child, done };
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
  const { args = [], timeoutMs = 30_000 } = options;
  const port = env.PORT ?? String(await freePort());
  const { child, output } = launch(name, { ...env, PORT: port }, args, options);
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
    throw new Error(`${(error as Error).message}:\n${output()}`);
  }
  return {
    url,
    child,
    output,
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
