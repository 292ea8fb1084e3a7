// The report webhook of a repetition: the config service posts each run's report here (as it
// would to the mail relay), and the sink counts what arrived per run — a run reported twice is a
// fault the matrix counts.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReportSink {
  url: string;
  /** Reports received, by run id. */
  deliveries(): Map<string, number>;
  close(): Promise<void>;
}

export async function startReportSink(): Promise<ReportSink> {
  const deliveries = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const { runId } = JSON.parse(Buffer.concat(chunks).toString()) as { runId?: unknown };
        const key = String(runId);
        deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`,
    deliveries: () => deliveries,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
