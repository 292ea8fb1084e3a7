import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { trace, type Tracer } from '@opentelemetry/api';

export { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
export type { Span, Tracer } from '@opentelemetry/api';

/**
 * Starts the OpenTelemetry SDK only when an OTLP endpoint is configured: with no collector there is
 * nothing to send to, and an exporter retrying against nothing would only add noise.
 * Returns a shutdown function that flushes pending spans.
 */
export function startTracing(service: string, endpoint: string | undefined): () => Promise<void> {
  if (!endpoint) return async () => undefined;
  const sdk = new NodeSDK({
    serviceName: service,
    traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }),
  });
  sdk.start();
  return () => sdk.shutdown();
}

export function getTracer(service: string): Tracer {
  return trace.getTracer(`call-sync.${service}`);
}
