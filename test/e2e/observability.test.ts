// Issue 8's observability, through the built services: one small candidate synced end to end
// with the OpenTelemetry SDK exporting to a tiny OTLP/HTTP receiver in this test, then the
// services' /metrics scraped. The trace must cross Kafka (extractor → van-writer), and neither
// spans nor metrics may carry a VAN key. Build first: `npx tsc -b`.
//
// The extractor is one-shot and exits before anything could scrape it: its own metrics are not
// asserted here, only the job record it leaves for the config service (services/config/test/
// job-metrics.test.ts shows that served); the metrics asserted are the long-running writers'.

import { SyncStatus, type Call } from '@call-sync/core';
import { Collections, createKafka, createLogger, topicOffsets, Topics } from '@call-sync/platform';
import { type ServiceProcess, startServiceProcess, TEST_LAUNCH, waitAtMost } from '@call-sync/testkit';
import { startOtlpReceiver, type ExportedSpan } from '../support/otlp-receiver';
import { freshServiceGroup } from '../support/consumer-groups';
import { uniqueName } from '../support/env';
import { createWorld, expectedOutcome, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(90_000);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, the lines that carry samples. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(service: ServiceProcess): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return { text, samples: parseMetrics(text) };
}

const named = (samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const sum = (samples: Sample[]): number => samples.reduce((total, s) => total + s.value, 0);

let world: World;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
const services: ServiceProcess[] = [];
let groups: { van: string; csv: string };

beforeAll(async () => {
  world = await createWorld({ candidates: 1, callsPerCandidate: 40, seed: 31 });
  receiver = await startOtlpReceiver();
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
  world.env = { ...world.env, ...tracing };
  groups = { van: await freshServiceGroup('e2e-obs-van'), csv: await freshServiceGroup('e2e-obs-csv') };
  services.push(
    await startServiceProcess('van-writer', { ...world.env, KAFKA_CONSUMER_GROUP: groups.van }, TEST_LAUNCH),
    await startServiceProcess('csv-writer', { ...world.env, KAFKA_CONSUMER_GROUP: groups.csv }, TEST_LAUNCH),
  );
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await receiver?.close();
  await world?.close();
});

test('a call is traced from the extractor through Kafka to its VAN post, and the writers serve the pipeline metrics without a key', async () => {
  const [vanWriter, csvWriter] = services as [ServiceProcess, ServiceProcess];
  const candidate = [...world.configuration.candidates.values()][0]!.candidate;
  const apiKey = candidate.apiKey!.reveal();
  expect(candidate.strategy).toBe('full');

  const extraction = await runExtractor(world.env, ['extract', '--now', NOW]);
  expect(extraction.code).toBe(0);
  // The one-shot extractor leaves its outcome where the config service serves it as metrics.
  expect(
    await world.mongo.db.collection(Collections.JobRuns).findOne({ _id: 'extract' as never }),
  ).toMatchObject({
    lastOutcome: 'ok',
    lastSuccessAt: expect.any(Date),
    lastDurationSeconds: expect.any(Number),
  });
  const [run] = await waitForRuns(world, 1, 45_000);
  expect(run!.state).toBe('completed');
  const vanPosts = world.van.journal().length;
  const calls = await world.mongo.db
    .collection<Call>(Collections.Calls)
    .find({ run_id: run!.runId })
    .toArray();
  const expectedVanCalls = calls.filter((call) => expectedOutcome(world, call)?.route === 'van').length;
  expect(vanPosts).toBe(expectedVanCalls);
  expect(vanPosts).toBeGreaterThan(5);

  // Traces: every VAN post has its span, in the trace of the extractor's run. The services start
  // with the OpenTelemetry SDK preloaded: the platform publisher's "send" span (extractor, under
  // "publish van work") puts its context in the message's headers, and the consumer's "process"
  // span (van-writer), the post's parent, continues from there.
  const postSpans = () => receiver.spans.filter((s) => s.name === 'post canvass response');
  await waitAtMost(() => postSpans().length >= vanPosts, { timeoutMs: 10_000, intervalMs: 100 });
  const posts = postSpans();
  expect(posts).toHaveLength(vanPosts);
  expect(new Set(posts.map((s) => s.service))).toEqual(new Set(['van-writer']));
  const published = receiver.spans.filter((s) => s.service === 'extractor' && s.name === 'publish van work');
  const extractRun = receiver.spans.find((s) => s.service === 'extractor' && s.name === 'extract run');
  expect(published.length).toBeGreaterThan(0);
  expect(extractRun?.attributes['callsync.run_id']).toBe(run!.runId);
  const parentOf = (span: ExportedSpan) =>
    receiver.spans.find((s) => s.traceId === span.traceId && s.spanId === span.parentSpanId);
  for (const post of posts) {
    const processed = parentOf(post);
    const sent = processed && parentOf(processed);
    expect([processed?.service, processed?.name]).toEqual(['van-writer', `process ${Topics.VanSync}`]);
    expect([sent?.service, sent?.name]).toEqual(['extractor', `send ${Topics.VanSync}`]);
    expect(published).toContainEqual(parentOf(sent!));
    expect(post.traceId).toBe(extractRun!.traceId);
    expect(post.attributes['callsync.run_id']).toBe(run!.runId);
  }
  // The maintained instrumentations are active in both services: the MongoDB driver's commands
  // are spans of the run's trace, and the platform's Kafka spans are on both sides.
  const inTrace = receiver.spans.filter((s) => s.traceId === extractRun!.traceId);
  for (const service of ['extractor', 'van-writer']) {
    const scopes = (spans: ExportedSpan[]) =>
      new Set(spans.filter((s) => s.service === service).map((s) => s.scope));
    expect(scopes(inTrace)).toContain('@opentelemetry/instrumentation-mongodb');
    expect(scopes(receiver.spans)).toContain('call-sync.kafka');
  }
  expect(inTrace).toContainEqual(
    expect.objectContaining({ attributes: expect.objectContaining({ 'db.system.name': 'mongodb' }) }),
  );
  expect(new Set(posts.map((s) => s.attributes['callsync.result']))).toEqual(
    new Set(calls.filter((call) => call.van_request).map((call) => call.sync_status as string)),
  );
  expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/json']));
  // No span, attribute or resource carries the key.
  expect(receiver.rawBodies.length).toBeGreaterThan(0);
  for (const body of receiver.rawBodies) expect(body).not.toContain(apiKey);

  // Metrics of the van-writer: the calls it finished, its VAN requests, the budget, the run.
  const { text, samples } = await scrape(vanWriter);
  expect(text).not.toContain(apiKey);
  expect(named(samples, 'callsync_calls_total', { candidate: run!.candidate, status: 'finished' })).toEqual([
    expect.objectContaining({ value: run!.counts[SyncStatus.Finished] }),
  ]);
  // How long each call waited from its finish to its VAN post: one observation per finished post.
  expect(
    sum(named(samples, 'callsync_call_finish_to_post_seconds_count', { candidate: run!.candidate })),
  ).toBe(run!.counts[SyncStatus.Finished]);
  const requests = named(samples, 'van_requests_total');
  expect(sum(requests)).toBe(vanPosts);
  expect(new Set(requests.map((s) => `${s.labels.method} ${s.labels.van_endpoint}`))).toEqual(
    new Set(['POST /people/{vanId}/canvassResponses']),
  );
  expect(sum(named(requests, 'van_requests_total', { status: '204' }))).toBe(
    run!.counts[SyncStatus.Finished],
  );
  expect(sum(named(samples, 'van_request_duration_seconds_count'))).toBe(vanPosts);
  // The budget is the key's, shared with the extractor's metadata reads: all of the run's requests.
  expect(run!.vanRequestsUsed).toBeGreaterThan(vanPosts);
  expect(named(samples, 'callsync_van_budget_remaining', { candidate: run!.candidate })).toEqual([
    expect.objectContaining({ value: Number(world.env.VAN_DAILY_BUDGET) - run!.vanRequestsUsed! }),
  ]);
  // The run ends where its last step ran: a full run's caller file, written by the csv-writer.
  const ended = (await scrape(csvWriter)).samples;
  expect(
    named(ended, 'callsync_run_duration_seconds_count', { strategy: 'full', state: 'completed' }),
  ).toEqual([expect.objectContaining({ value: 1 })]);
  expect(named(ended, 'callsync_runs_finished_total', { candidate: run!.candidate })).toEqual([
    expect.objectContaining({ labels: expect.objectContaining({ state: 'completed' }), value: 1 }),
  ]);

  // Consumer lag: one series per partition of each writer's topic; the partitions the van-writer's
  // group committed (its messages) drain to 0 once the offsets are committed.
  const { kafka } = createKafka(
    uniqueName('e2e-obs-admin'),
    world.env.KAFKA_BROKERS!.split(','),
    createLogger('e2e', 'silent'),
  );
  const admin = kafka.admin();
  try {
    for (const [service, topic, group] of [
      [vanWriter, Topics.VanSync, groups.van],
      [csvWriter, Topics.CsvExport, groups.csv],
    ] as const) {
      const partitions = await topicOffsets(admin, topic);
      const lag = named((await scrape(service)).samples, 'callsync_consumer_lag', { topic });
      expect(lag.map((s) => s.labels.partition).sort()).toEqual(
        partitions.map((p) => String(p.partition)).sort(),
      );
      if (group !== groups.van) continue;
      let committed: number[] = [];
      let lagOfCommitted: number[] = [];
      await waitAtMost(
        async () => {
          const [offsets] = await admin.listConsumerGroupOffsets({ groups: [group] });
          committed = (offsets?.topics.find((t) => t.name === topic)?.partitions ?? [])
            .filter((p) => p.committedOffset >= 0n)
            .map((p) => p.partitionIndex);
          const now = named((await scrape(service)).samples, 'callsync_consumer_lag', { topic });
          lagOfCommitted = now
            .filter((s) => committed.includes(Number(s.labels.partition)))
            .map((s) => s.value);
          return committed.length > 0 && lagOfCommitted.every((v) => v === 0);
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      expect(committed.length).toBeGreaterThan(0);
      expect(lagOfCommitted).toEqual(committed.map(() => 0));
    }
  } finally {
    await admin.close();
  }
  expect((await scrape(csvWriter)).text).not.toContain(apiKey);
});
