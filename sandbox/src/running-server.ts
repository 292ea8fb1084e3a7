import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';

/** What every sandbox start function returns, before its own controls are added. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 picks a free port, which is what tests want. */
  port?: number;
  /** 127.0.0.1 unless the sandbox must be reachable from containers (0.0.0.0). */
  host?: string;
}

/**
 * Starts a koa app and returns its URL plus a close() that also ends requests the sandbox is
 * deliberately never answering, so a test's afterAll cannot hang on them.
 */
export async function listen(app: Koa, opts: ListenOptions, onClose: () => void): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        onClose();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Waits `ms`, or less if the sandbox is closing (then the caller's answer goes nowhere). */
export function pause(ms: number, closing: AbortSignal): Promise<void> {
  if (ms <= 0 || closing.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    // "Forever" sets no timer: only close() ends the wait.
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done(): void {
      clearTimeout(timer);
      closing.removeEventListener('abort', done);
      resolve();
    }
    closing.addEventListener('abort', done, { once: true });
  });
}

/** Counts requests in the last second per caller; the sandboxes' stand-in for a real limiter. */
export class SlidingWindowCounter {
  private readonly hits = new Map<string, number[]>();

  /** Records a request and says whether it is within `perSecond` (0 = no limit). */
  admit(caller: string, perSecond: number, now = Date.now()): boolean {
    if (perSecond <= 0) return true;
    const recent = (this.hits.get(caller) ?? []).filter((t) => t > now - 1000);
    // Only admitted requests use up the window, so "try again in N ms" is a promise the sandbox keeps.
    if (recent.length >= perSecond) {
      this.hits.set(caller, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(caller, recent);
    return true;
  }

  reset(): void {
    this.hits.clear();
  }
}
