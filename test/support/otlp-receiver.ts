// A collector's smallest stand-in for the tests: an OTLP/HTTP receiver that keeps every span the
// services export (JSON, the trace exporter's default) and the raw bodies, for the observability
// test's trace checks and the secret grep.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ExportedSpan {
  service: string;
  /** The instrumentation scope (tracer name) that made the span. */
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

/** The OTLP/HTTP JSON body (`ExportTraceServiceRequest`) flattened to spans with their service. */
function spansOf(body: unknown): ExportedSpan[] {
  const attributes = (list: OtlpAttribute[] = []): Record<string, unknown> =>
    Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));
  const request = body as {
    resourceSpans?: {
      resource?: { attributes?: OtlpAttribute[] };
      scopeSpans?: {
        scope?: { name?: string };
        spans?: {
          name: string;
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          attributes?: OtlpAttribute[];
        }[];
      }[];
    }[];
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const service = String(attributes(resourceSpans.resource?.attributes)['service.name']);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        service,
        scope: scope.scope?.name ?? '',
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        attributes: attributes(span.attributes),
      })),
    );
  });
}

/** A collector's smallest stand-in: accepts POST /v1/traces (OTLP/HTTP JSON) and keeps what came. */
export async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ExportedSpan[];
  rawBodies: string[];
  contentTypes: string[];
  close(): Promise<void>;
}> {
  const spans: ExportedSpan[] = [];
  const rawBodies: string[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let payload = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') payload = gunzipSync(payload);
      if (request.method === 'POST' && request.url === '/v1/traces') {
        // The OTLP/HTTP trace exporter sends JSON unless told otherwise (asserted by the test).
        const text = payload.toString();
        contentTypes.push(request.headers['content-type'] ?? '');
        rawBodies.push(text);
        if (request.headers['content-type']?.startsWith('application/json'))
          spans.push(...spansOf(JSON.parse(text)));
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    rawBodies,
    contentTypes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
