// This module is loaded by `instrumentation.ts` before any application code, so it imports only
// OpenTelemetry: were koa or mongodb required before the SDK starts, their instrumentations could
// no longer patch them. Kafka's spans and trace headers are the platform's own (kafka/messaging.ts).

// The SDK and its instrumentations are required only when tracing is on: loading them took about
// a second of every process start (the hourly extractor's included) with tracing off. The require
// stays synchronous, because the preload must start the SDK before the application's code loads.

import type { IncomingMessage } from 'node:http';

export { context, SpanStatusCode, trace } from '@opentelemetry/api';

/** Probes and scrapes arrive every few seconds and tell nothing about the work: no span for them. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function isProbe(request: IncomingMessage): boolean {
  return UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? '');
}

let started: { shutdown(): Promise<void> } | undefined;

/**
 * Starts the OpenTelemetry SDK, with the instrumentations for http, koa and mongodb, only
 * when an OTLP endpoint is configured: with no collector there is nothing to send to, and neither
 * patched libraries nor an exporter retrying against nothing should cost anything then.
 * Started once per process — normally by `instrumentation.ts` (`node --require`), before the
 * libraries load; a later call (the service runtime's) gets the same SDK. Started only that late,
 * the libraries already loaded stay unpatched and only the application's own spans are exported.
 * Returns a shutdown function that flushes pending spans.
 */
export function startTracing(service: string, endpoint: string | undefined): () => Promise<void> {
  if (!started && endpoint) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    const { HttpInstrumentation } =
      require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    const { KoaInstrumentation } =
      require('@opentelemetry/instrumentation-koa') as typeof import('@opentelemetry/instrumentation-koa');
    const { MongoDBInstrumentation } =
      require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const sdk = new NodeSDK({
      serviceName: service,
      traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
      instrumentations: [
        new HttpInstrumentation({ ignoreIncomingRequestHook: isProbe }),
        new KoaInstrumentation(),
        new MongoDBInstrumentation(),
      ],
    });
    sdk.start();
    started = sdk;
  }
  const sdk = started;
  return sdk ? () => sdk.shutdown() : async () => undefined;
}
