// Kafka clients side by side: kafkajs with the settings the platform gave it before
// its move (idempotent producer, acks from all replicas, one request in flight; a consumer of
// eachMessage over 6 partitions at once, committing each message) and @platformatic/kafka with the
// same settings, on the local broker, each run of one client followed by one of the other (the
// order alternates).
//   node bench/kafka-clients.mjs [--messages 50000] [--batch 100] [--paced 3000] [--paced-batch 10]
//        [--rate 500] [--runs 3] [--clients kafkajs,platformatic] [--out bench/results/kafka-clients.json]
// Per client and run, on a fresh topic of 6 partitions: a producer process sends `messages` of the
// van-sync shape (keyed by 40 candidates, ~1 KB) in sends of `batch`, one after the other, as the
// extractor publishes; a consumer process then reads that backlog in a fresh group, committing as
// it goes; once it is committed, another producer sends `paced` messages at `rate` per second in
// sends of `paced-batch`, and the consumer measures each from the send to its handler.
// Each client runs in processes of its own (bench/lib/kafka-client.mjs): CPU and memory are its.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createKafka, createLogger, ensureTopics, withAdmin } from '@call-sync/platform';
import { runWhenMain, writeReport } from './lib/cli.mjs';
import { pidListeningOn, processCpuSeconds, repoRoot } from './lib/services.mjs';
import { flags, medianOfRuns } from './lib/stats.mjs';

const CLIENT_SCRIPT = path.join(repoRoot, 'bench/lib/kafka-client.mjs');
const PARTITIONS = 6;
const CHILD_TIMEOUT_MS = 180_000;

/**
 * Why a client cannot run under this node, if it cannot: @platformatic/kafka 2.x needs a newer
 * Node than this repository's machines have (the service images run Node 24).
 */
function cannotRun(client) {
  if (client !== 'platformatic') return undefined;
  const manifest = path.join(repoRoot, 'node_modules/@platformatic/kafka/package.json');
  const { version, engines } = JSON.parse(readFileSync(manifest, 'utf8'));
  const ours = process.versions.node.split('.').map(Number);
  const atLeast = (wanted) => {
    for (let i = 0; i < 3; i += 1) if (ours[i] !== wanted[i]) return ours[i] > wanted[i];
    return true;
  };
  // Alternatives of ">= x.y.z" each for a major line (">= 22.22.0 || >= 24.6.0"): one of this
  // major, or the highest one below it.
  const floors = engines.node
    .split('||')
    .map((alt) => /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(alt)?.slice(1).map(Number))
    .filter(Boolean)
    .sort((a, b) => a[0] - b[0]);
  const floor = floors.filter((f) => f[0] <= ours[0]).at(-1);
  if (floor && atLeast(floor)) return undefined;
  return `@platformatic/kafka ${version} needs Node ${engines.node}; this is ${process.version} (run it under Node 24, as the service images do: bench/lib/services.mjs runs a benchmark again on the node of scripts/project-node.mjs when this one is older)`;
}

/** Runs one role of a client to its end; resolves with its events by name, calling `onEvent` on each. */
function runClient(client, role, args, onEvent = () => undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CLIENT_SCRIPT, client, role, ...args], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events = {};
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines.filter(Boolean)) {
        const event = JSON.parse(line);
        events[event.event] = event;
        onEvent(event);
      }
    });
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-5_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !events.error) resolve(events);
      else
        reject(
          new Error(
            `${client} ${role} ended with ${code ?? signal}: ${events.error?.error ?? ''}\n${stderr}`,
          ),
        );
    });
  });
}

/** One run of one client: the backlog produced, then consumed, then the paced messages. */
async function measure(client, opts, kafka, brokerPid, runId) {
  const topic = `bench.kafka-clients.${runId}.${client}`;
  const group = `${topic}.group`;
  await ensureTopics(kafka, [topic], { partitions: PARTITIONS, replicationFactor: 1, minInsyncReplicas: 1 });
  const brokerCpu = () => processCpuSeconds(brokerPid) ?? NaN;
  try {
    const brokerAtProduce = brokerCpu();
    const { produced } = await runClient(client, 'produce', [
      '--topic',
      topic,
      '--messages',
      String(opts.messages),
      '--batch',
      String(opts.batch),
    ]);
    const brokerAtConsume = brokerCpu();
    let brokerAtDrained;
    let paced;
    const consumed = runClient(
      client,
      'consume',
      [
        '--topic',
        topic,
        '--group',
        group,
        '--partitions',
        String(PARTITIONS),
        '--backlog',
        String(opts.messages),
        '--paced',
        String(opts.paced),
      ],
      (event) => {
        if (event.event !== 'drained') return;
        brokerAtDrained = brokerCpu();
        paced = runClient(client, 'produce', [
          '--topic',
          topic,
          '--messages',
          String(opts.paced),
          '--batch',
          String(opts.pacedBatch),
          '--rate',
          String(opts.rate),
        ]);
      },
    );
    const { drained, consumed: last } = await consumed;
    await paced;
    const us = (seconds, messages) => (seconds / messages) * 1e6;
    return {
      messageBytes: produced.bytes,
      produceSeconds: produced.seconds,
      producePerSecond: opts.messages / produced.seconds,
      produceCpuUsPerMessage: us(produced.cpuSeconds, opts.messages),
      produceBrokerCpuUsPerMessage: us(brokerAtConsume - brokerAtProduce, opts.messages),
      producerPeakRssMb: produced.peakRssMb,
      producerRssGrowthMb: produced.peakRssMb - produced.baselineRssMb,
      producerRetainedGrowthMb: produced.retainedGrowthMb,
      consumeFirstMessageSeconds: drained.firstMessageSeconds,
      consumeSeconds: drained.seconds,
      consumePerSecond: opts.messages / drained.seconds,
      consumeCpuUsPerMessage: us(drained.cpuSeconds, opts.messages),
      consumeBrokerCpuUsPerMessage: us(brokerAtDrained - brokerAtConsume, opts.messages),
      latencyP50Ms: last.latencyP50Ms,
      latencyP99Ms: last.latencyP99Ms,
      pacedConsumeCpuUsPerMessage: us(last.pacedCpuSeconds, opts.paced),
      consumerPeakRssMb: last.peakRssMb,
      consumerRssGrowthMb: last.peakRssMb - last.baselineRssMb,
      consumerRetainedGrowthMb: last.retainedGrowthMb,
      baselineRssMb: last.baselineRssMb,
    };
  } finally {
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
  }
}

const fmt = (value, digits = 0) => (typeof value === 'number' ? value.toFixed(digits) : '—');

/** The figures side by side, for the console and bench/README.md. */
function table(clients) {
  const names = Object.keys(clients);
  const rows = [
    ['produce: messages/s', (c) => fmt(c.producePerSecond)],
    [
      'produce: CPU µs per message (client / broker)',
      (c) => `${fmt(c.produceCpuUsPerMessage)} / ${fmt(c.produceBrokerCpuUsPerMessage)}`,
    ],
    ['consume backlog: messages/s (first message → last commit)', (c) => fmt(c.consumePerSecond)],
    [
      'consume backlog: CPU µs per message (client / broker)',
      (c) => `${fmt(c.consumeCpuUsPerMessage)} / ${fmt(c.consumeBrokerCpuUsPerMessage)}`,
    ],
    ['consume: start → first message, s', (c) => fmt(c.consumeFirstMessageSeconds, 2)],
    ['paced: send → handler p50 / p99 ms', (c) => `${fmt(c.latencyP50Ms, 1)} / ${fmt(c.latencyP99Ms, 1)}`],
    ['paced: consumer CPU µs per message', (c) => fmt(c.pacedConsumeCpuUsPerMessage)],
    ['peak RSS MB, producer / consumer', (c) => `${fmt(c.producerPeakRssMb)} / ${fmt(c.consumerPeakRssMb)}`],
    [
      'RSS growth MB over the loaded process, producer / consumer',
      (c) => `${fmt(c.producerRssGrowthMb)} / ${fmt(c.consumerRssGrowthMb)}`,
    ],
    [
      'heap + buffers kept after a full GC, MB over the loaded process, producer / consumer',
      (c) => `${fmt(c.producerRetainedGrowthMb, 1)} / ${fmt(c.consumerRetainedGrowthMb, 1)}`,
    ],
  ];
  return [
    `| | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---:').join(' | ')} |`,
    ...rows.map(
      ([label, cell]) =>
        `| ${label} | ${names.map((n) => (clients[n].skipped ? '—' : cell(clients[n]))).join(' | ')} |`,
    ),
  ].join('\n');
}

export async function benchKafkaClients(argv) {
  const opts = flags(argv, {
    messages: 50_000,
    batch: 100,
    paced: 3_000,
    pacedBatch: 10,
    rate: 500,
    runs: 3,
    clients: 'kafkajs,platformatic',
    out: path.join(repoRoot, 'bench/results/kafka-clients.json'),
  });
  const brokers = process.env.KAFKA_BROKERS.split(',');
  const { kafka } = createKafka('bench-kafka-clients', brokers, createLogger('bench', 'silent'));
  const brokerPid = pidListeningOn(Number(brokers[0].split(':').at(-1)));
  const names = opts.clients.split(',');
  const skipped = Object.fromEntries(names.map((n) => [n, cannotRun(n)]).filter(([, why]) => why));
  for (const [name, why] of Object.entries(skipped)) console.error(`${name} SKIPPED: ${why}`);
  const runnable = names.filter((n) => !skipped[n]);
  const runs = Object.fromEntries(runnable.map((n) => [n, []]));
  const runId = Date.now().toString(36);
  for (let i = 0; i < opts.runs; i += 1) {
    const order = i % 2 === 0 ? runnable : [...runnable].reverse();
    for (const client of order) {
      const figures = await measure(client, opts, kafka, brokerPid, `${runId}-${i}`);
      runs[client].push(figures);
      console.error(`run ${i + 1}/${opts.runs} ${client}: ${JSON.stringify(figures)}`);
    }
  }
  const clients = {
    ...Object.fromEntries(runnable.map((n) => [n, medianOfRuns(runs[n])])),
    ...Object.fromEntries(Object.entries(skipped).map(([n, why]) => [n, { skipped: why }])),
  };
  console.error(table(clients));
  const versions = Object.fromEntries(
    ['kafkajs', '@platformatic/kafka'].map((name) => [
      name,
      JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version,
    ]),
  );
  return writeReport(opts.out, {
    at: new Date().toISOString(),
    node: process.version,
    versions,
    settings: { ...opts, partitions: PARTITIONS, keys: 40 },
    clients,
    runs,
  });
}

runWhenMain(import.meta.url, benchKafkaClients);
