import path from 'node:path';
import {
  startServiceProcess as startBuiltService,
  type ServiceName,
  type ServiceProcess,
} from '@call-sync/testkit';
import { repoRoot } from '../servers';

export type { ServiceName, ServiceProcess };

/** What the services' images preload: the OpenTelemetry SDK, off without OTEL_EXPORTER_OTLP_ENDPOINT. */
const PRELOAD = ['--require', path.join(repoRoot, 'packages/platform/dist/instrumentation.js')];

/** Node's arguments that run a built script the way the services' images start it. */
export function serviceNodeArgs(script: string, args: string[] = []): string[] {
  return [...PRELOAD, script, ...args];
}

/** Starts a built service as its image does, logging only warnings, and waits until it is ready. */
export function startServiceProcess(
  name: ServiceName,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  return startBuiltService(name, { LOG_LEVEL: 'warn', ...env }, { args, timeoutMs, nodeArgs: PRELOAD });
}
