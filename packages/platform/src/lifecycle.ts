import type { Logger } from './logger';

export type ShutdownStep = { name: string; run: () => Promise<void> };

/**
 * Graceful shutdown on SIGTERM/SIGINT: the steps run in the order given (stop taking work, finish
 * in-flight work, close clients), each bounded by the overall timeout so a stuck client cannot
 * keep the pod from terminating. Kubernetes sends SIGTERM, waits, then SIGKILLs.
 */
export function installShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  timeoutMs: number,
): () => Promise<void> {
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (shuttingDown) return shuttingDown;
    shuttingDown = (async () => {
      logger.info('shutting down');
      const deadline = Date.now() + timeoutMs;
      for (const step of steps) {
        const left = Math.max(0, deadline - Date.now());
        try {
          await Promise.race([
            step.run(),
            new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), left).unref()),
          ]);
        } catch (error) {
          logger.warn({ step: step.name, err: error }, 'shutdown step failed');
        }
      }
      logger.info('shut down');
    })();
    return shuttingDown;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    void shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return shutdown;
}

/**
 * Runs a service's main and turns a start-up failure into a clear one-line reason and an exit
 * code the orchestrator can tell apart: 78 (EX_CONFIG) for bad configuration, 1 otherwise.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${service} failed to start: ${message}`);
    process.exit(error instanceof Error && error.name === 'EnvError' ? 78 : 1);
  });
}
