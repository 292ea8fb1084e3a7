// The csv-writer's way to the S3 server, through a gate the fault suite can shut: while shut, the
// port refuses connections and every connection through it (a part or object on its way up) is
// reset — what a writer sees when the S3 server stops. The shared SeaweedFS stays up for the other
// tests (and keeps its objects, as a real S3 does through an outage). The gate also counts the
// uploads S3 completed per key: a second completed upload of one export is a CSV uploaded twice.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface S3Gate {
  url: string;
  /**
   * Shuts the gate when the `nth` upload request (PutObject, a part, or a multipart start) begins;
   * resolves with the kind of request it cut off.
   */
  shutOnUpload(nth: number): Promise<UploadRequest>;
  open(): Promise<void>;
  /** Uploads S3 completed (a PutObject or CompleteMultipartUpload answered 2xx), by object key. */
  completedUploads(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export type UploadRequest = 'object' | 'part' | 'multipart start';

/** The upload a request begins (PutObject, a part, a multipart start), or undefined for any other. */
const uploadStart = (method: string, query: URLSearchParams): UploadRequest | undefined => {
  if (method === 'PUT') return query.has('partNumber') ? 'part' : 'object';
  return method === 'POST' && query.has('uploads') ? 'multipart start' : undefined;
};

const isUploadEnd = (method: string, query: URLSearchParams) =>
  (method === 'PUT' && !query.has('partNumber')) || (method === 'POST' && query.has('uploadId'));

export async function startS3Gate(target: string): Promise<S3Gate> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let completed = new Map<string, number>();
  let uploadsSeen = 0;
  let shutAt: { nth: number; shut: (cut: UploadRequest) => void } | undefined;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://gate');
    const { method = 'GET' } = request;
    const upload = uploadStart(method, url.searchParams);
    if (upload) {
      uploadsSeen += 1;
      if (shutAt && uploadsSeen >= shutAt.nth) {
        const { shut } = shutAt;
        shutAt = undefined;
        // The request's body is on its way: the server goes away under it.
        void close().then(() => shut(upload));
        return;
      }
    }
    // The Host header is passed on as it came: the client signed it.
    const forwarded = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        if (
          answer.statusCode !== undefined &&
          answer.statusCode < 300 &&
          isUploadEnd(method, url.searchParams)
        ) {
          const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
          completed.set(key, (completed.get(key) ?? 0) + 1);
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('socket', (socket) => track(socket));
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);

  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    shutOnUpload: (nth) => new Promise<UploadRequest>((shut) => (shutAt = { nth: uploadsSeen + nth, shut })),
    open: listen,
    completedUploads: () => completed,
    reset: () => {
      completed = new Map();
      shutAt = undefined;
    },
    close,
  };
}
