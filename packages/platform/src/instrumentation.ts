// Preloaded before a service's own code, as the OpenTelemetry Node SDK asks:
//   node --require @call-sync/platform/dist/instrumentation.js services/<name>/dist/main.js
// The instrumentations can patch koa and mongodb only if they start before those load.
// With no OTEL_EXPORTER_OTLP_ENDPOINT it does nothing.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTracing } from './tracing';

/** The component a script belongs to: its nearest package.json's name without the scope. */
function componentOf(script: string | undefined): string {
  for (let dir = path.dirname(path.resolve(script ?? '.')); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      return (name ?? path.basename(dir)).replace(/^@[^/]+\//, '');
    }
    if (path.dirname(dir) === dir) return 'unknown_service:node';
  }
}

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) startTracing(process.env.OTEL_SERVICE_NAME || componentOf(process.argv[1]), endpoint);
