// A cursor read one batch ahead. The driver asks the server for the next batch only once the
// reader has used up this one, so the server and the reader take turns; here the next batch is
// on its way while the reader works through the current one (a night's CSV rows, a run's claims).

import type { AbstractCursor } from 'mongodb';

/**
 * The cursor's documents, a server batch at a time, with the next batch already requested. The
 * caller still closes the cursor; a request in flight when it does so is settled quietly.
 */
export async function* batchesReadAhead<T>(cursor: AbstractCursor<T>): AsyncGenerator<T[]> {
  let more = readNext(cursor);
  while (await more) {
    // Deserialised here, while nothing is in flight; the next request leaves right after.
    const batch = cursor.readBufferedDocuments();
    more = readNext(cursor);
    yield batch;
  }
}

function readNext<T>(cursor: AbstractCursor<T>): Promise<boolean> {
  const next = cursor.hasNext();
  // A reader that stops early (an error, a break) never awaits the request it left in flight.
  next.catch(() => undefined);
  return next;
}
