// The original call-sync algorithm (2018), re-implemented faithfully for the benchmark: query 5
// unsynced calls, post them to VAN in parallel, wait for all five, mark them synced, repeat.
// It ran against its own table of calls; here a collection of the same calls with the request
// each one posts, in the same MongoDB, against the same VAN sandbox.

import { createTokenBucket, createVanClient } from '@call-sync/integrations';

const BATCH = 5;

/**
 * @param {{ db: import('mongodb').Db, calls: { call: any, vanRequest: any, config: any }[], van: { url: string }, applicationName: string, ratePerSecond: number }} opts
 */
export async function runOriginal(opts) {
  const collection = opts.db.collection(`original_calls_${Date.now()}`);
  await collection.insertMany(
    opts.calls.map((c, i) => ({
      _id: i,
      id: c.call.id,
      candidate: c.config.candidate.slug,
      ...c.vanRequest,
      synced: false,
    })),
  );
  // One client per candidate key, at the key's own rate (as VAN's limit would impose).
  const clients = new Map();
  const clientFor = (entry) => {
    const slug = entry.config.candidate.slug;
    if (!clients.has(slug)) {
      clients.set(
        slug,
        createVanClient({
          baseUrl: opts.van.url,
          applicationName: opts.applicationName,
          apiKey: entry.config.candidate.apiKey.reveal(),
          mode: entry.config.candidate.system === 'myc' ? 1 : 0,
          rateLimiter: createTokenBucket(opts.ratePerSecond * 0.97),
        }),
      );
    }
    return clients.get(slug);
  };
  const bySlug = new Map(opts.calls.map((c) => [c.config.candidate.slug, c]));
  const latencies = [];
  const started = Date.now();
  let posted = 0;
  for (;;) {
    const batch = await collection.find({ synced: false }).limit(BATCH).toArray();
    if (batch.length === 0) break;
    await Promise.all(
      batch.map(async (row) => {
        const began = Date.now();
        await clientFor(bySlug.get(row.candidate)).postCanvassResponse(row.vanId, row.body);
        latencies.push(Date.now() - began);
        posted += 1;
      }),
    );
    await collection.updateMany({ _id: { $in: batch.map((r) => r._id) } }, { $set: { synced: true } });
  }
  const seconds = (Date.now() - started) / 1000;
  await collection.drop().catch(() => undefined);
  return { posted, seconds, latencies };
}
