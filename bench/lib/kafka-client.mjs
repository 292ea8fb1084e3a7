// One Kafka client in a process of its own, for bench/kafka-clients.mjs: its CPU and memory are then
// the client's, not the benchmark's. Both clients' modules are loaded whichever runs, so the two
// start from the same resident memory and only what the client does differs.
//   node bench/lib/kafka-client.mjs <kafkajs|platformatic> produce --topic T --messages N --batch B [--rate R]
//   node bench/lib/kafka-client.mjs <kafkajs|platformatic> consume --topic T --group G --backlog N --paced L
// Prints one JSON line per event on stdout.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  compatibilityPartitioner,
  Consumer,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { VanSyncMessage } from '@call-sync/core';
import { flags, percentile } from './stats.mjs';

const SENT_AT = 'bench-sent-at';
const now = () => performance.timeOrigin + performance.now();
const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
/**
 * What the process still holds after a full collection (heap and buffers), in MB: peak RSS follows
 * how far V8 let the heap grow before collecting, this what the client keeps. Needs --expose-gc.
 */
const retainedMb = () => {
  globalThis.gc?.();
  const { heapUsed, external } = process.memoryUsage();
  return (heapUsed + external) / 2 ** 20;
};
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * The settings the platform gave kafkajs before its move to @platformatic/kafka (packages/platform
 * src/kafka, client.ts and messaging.ts): idempotent producer with acks from all replicas and one
 * request in flight, the same retries, session, heartbeat, fetch wait and fetch sizes (kafkajs's
 * defaults). The platformatic side gets the same, and kafkajs's key → partition mapping
 * (platformatic's default partitioner maps keys differently: a switch would move candidates).
 */
const PLATFORM_SETTINGS = {
  retries: 8,
  retryDelay: 200,
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  maxWaitTime: 500,
  maxBytes: 10 * 2 ** 20,
  maxBytesPerPartition: 2 ** 20,
};

function kafkajsClient(brokers) {
  return new Kafka({
    clientId: 'bench-kafkajs',
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: PLATFORM_SETTINGS.retryDelay, retries: PLATFORM_SETTINGS.retries },
  });
}

/** Each client as the benchmark drives it: a producer that sends a batch, a consumer in a group. */
const CLIENTS = {
  // kafkajs on its own, as the platform drove it: the platform itself now runs on platformatic.
  kafkajs: {
    async producer(brokers, topic) {
      const producer = kafkajsClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      return {
        // The same work as the platform's publisher: each value checked against its schema.
        send: (messages, sentAt) =>
          producer.send({
            topic,
            acks: -1,
            messages: messages.map(({ key, value }) => ({
              key,
              value: JSON.stringify(VanSyncMessage.parse(value)),
              headers: { [SENT_AT]: sentAt },
            })),
          }),
        close: () => producer.disconnect(),
      };
    },
    async consumer(brokers, { topic, group, partitions, onMessage, onCommitted }) {
      const consumer = kafkajsClient(brokers).consumer({
        groupId: group,
        sessionTimeout: PLATFORM_SETTINGS.sessionTimeout,
        heartbeatInterval: PLATFORM_SETTINGS.heartbeatInterval,
        maxWaitTimeInMs: PLATFORM_SETTINGS.maxWaitTime,
        maxBytes: PLATFORM_SETTINGS.maxBytes,
        maxBytesPerPartition: PLATFORM_SETTINGS.maxBytesPerPartition,
      });
      let failure;
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        failure = payload.error;
        report({ event: 'error', error: String(payload.error) });
      });
      consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
        for (const { partitions: committed } of payload.topics) {
          for (const { partition, offset } of committed) onCommitted(partition, Number(offset));
        }
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        // A threshold of one commits each message's offset as soon as its handler ends, as the
        // platformatic side does; kafkajs's default would commit once per fetched batch.
        autoCommit: true,
        autoCommitThreshold: 1,
        partitionsConsumedConcurrently: partitions,
        eachMessage: async ({ message }) => {
          VanSyncMessage.parse(JSON.parse(message.value.toString()));
          onMessage(Number(message.headers[SENT_AT].toString()));
        },
      });
      return {
        close: async () => {
          await consumer.disconnect();
          if (failure) throw failure;
        },
      };
    },
  },
  platformatic: {
    async producer(brokers, topic) {
      const producer = new Producer({
        clientId: 'bench-platformatic',
        bootstrapBrokers: brokers,
        serializers: stringSerializers,
        idempotent: true,
        acks: ProduceAcks.ALL,
        partitioner: compatibilityPartitioner,
        retries: PLATFORM_SETTINGS.retries,
        retryDelay: PLATFORM_SETTINGS.retryDelay,
      });
      // It connects on first use; the metadata makes it ready before the clock starts, as
      // kafkajs's connect() does.
      await producer.metadata({ topics: [topic] });
      return {
        // The same work as the platform's publisher: each value checked against its schema.
        send: (messages, sentAt) =>
          producer.send({
            messages: messages.map(({ key, value }) => ({
              topic,
              key,
              value: JSON.stringify(VanSyncMessage.parse(value)),
              headers: { [SENT_AT]: sentAt },
            })),
          }),
        close: () => producer.close(),
      };
    },
    async consumer(brokers, { topic, group, onMessage, onCommitted }) {
      const consumer = new Consumer({
        clientId: 'bench-platformatic',
        bootstrapBrokers: brokers,
        groupId: group,
        deserializers: stringDeserializers,
        ...PLATFORM_SETTINGS,
      });
      const stream = await consumer.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
      });
      let failure;
      stream.on('error', (error) => {
        failure = error;
        report({ event: 'error', error: String(error) });
      });
      // The thinnest equivalent of the platform's loop: decode, handle, commit. The handler ends
      // at once, so messages end in order and each commit covers every earlier one (the client
      // merges a partition's commits into one request at a time).
      stream.on('data', (message) => {
        VanSyncMessage.parse(JSON.parse(message.value));
        onMessage(Number(message.headers.get(SENT_AT)));
        const next = Number(message.offset) + 1;
        message.commit().then(
          () => onCommitted(message.partition, next),
          (error) => report({ event: 'error', error: String(error) }),
        );
      });
      return {
        close: async () => {
          await stream.close();
          await consumer.close();
          if (failure) throw failure;
        },
      };
    },
  },
};

/**
 * The van-sync shape: keyed by candidate, ~1 KB of call ids (24 hex characters, as ObjectIds). A
 * pool of them is sent round and round, so the process holds a few MB of messages whatever
 * `messages` is, and its memory beyond that is the client's.
 */
function vanSyncMessages(count, keys, callIds) {
  const runId = randomUUID();
  return Array.from({ length: count }, (_, i) => {
    const candidate = `candidate-${String(i % keys).padStart(2, '0')}`;
    const ids = Array.from({ length: callIds }, () => randomUUID().replaceAll('-', '').slice(0, 24));
    return { key: candidate, value: { v: 1, runId, candidate, callIds: ids } };
  });
}

const POOL_SIZE = 1_000;

async function produce(client, brokers, opts) {
  const pool = vanSyncMessages(Math.min(opts.messages, POOL_SIZE), opts.keys, opts.callIds);
  const baselineRssMb = rssMb();
  const baselineRetainedMb = retainedMb();
  const producer = await CLIENTS[client].producer(brokers, opts.topic);
  const cpuAtStart = cpuSeconds();
  const startedAt = now();
  // Paced: a batch every `tickMs`, so latency is the clients' own and not a backlog's.
  const tickMs = opts.rate > 0 ? (opts.batch / opts.rate) * 1000 : 0;
  for (let i = 0, n = 0; i < opts.messages; i += opts.batch, n += 1) {
    if (tickMs > 0) {
      const waitMs = startedAt + n * tickMs - now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    const batch = [];
    for (let j = i; j < Math.min(i + opts.batch, opts.messages); j += 1) batch.push(pool[j % pool.length]);
    await producer.send(batch, String(now()));
  }
  const seconds = (now() - startedAt) / 1000;
  const cpu = cpuSeconds() - cpuAtStart;
  const endRetainedMb = retainedMb();
  await producer.close();
  report({
    event: 'produced',
    messages: opts.messages,
    bytes: Buffer.byteLength(JSON.stringify(pool[0].value)),
    seconds,
    cpuSeconds: cpu,
    baselineRssMb,
    peakRssMb: peakRssMb(),
    retainedGrowthMb: endRetainedMb - baselineRetainedMb,
  });
}

async function consume(client, brokers, opts) {
  const baselineRssMb = rssMb();
  const baselineRetainedMb = retainedMb();
  const committed = new Map();
  const committedCount = () => [...committed.values()].reduce((a, b) => a + b, 0);
  // The backlog is read first; the paced messages are sent only once it is committed.
  const phases = [opts.backlog, opts.backlog + opts.paced].map((count) => {
    let resolve;
    const reached = new Promise((r) => (resolve = r));
    return { count, reached, resolve };
  });
  const pacedLatencies = [];
  let received = 0;
  let firstAt;
  const cpuAtStart = cpuSeconds();
  const startedAt = now();
  const consumer = await CLIENTS[client].consumer(brokers, {
    topic: opts.topic,
    group: opts.group,
    partitions: opts.partitions,
    onMessage(sentAt) {
      const at = now();
      firstAt ??= at;
      received += 1;
      if (received > opts.backlog) pacedLatencies.push(at - sentAt);
    },
    onCommitted(partition, offset) {
      // A fresh topic: a partition's next offset is how many of its messages are committed.
      committed.set(partition, Math.max(committed.get(partition) ?? 0, offset));
      for (const phase of phases) if (committedCount() >= phase.count) phase.resolve();
    },
  });
  const joinSeconds = (now() - startedAt) / 1000;
  await phases[0].reached;
  const drainedAt = now();
  const backlogCpu = cpuSeconds() - cpuAtStart;
  report({
    event: 'drained',
    messages: received,
    joinSeconds,
    firstMessageSeconds: (firstAt - startedAt) / 1000,
    // From the first message to the commit that covers the last: the client's reading pace.
    seconds: (drainedAt - firstAt) / 1000,
    // From the start, the group's join included (a few milliseconds of CPU).
    cpuSeconds: backlogCpu,
    peakRssMb: peakRssMb(),
  });
  await phases[1].reached;
  const pacedCpu = cpuSeconds() - cpuAtStart - backlogCpu;
  const endRetainedMb = retainedMb();
  await consumer.close();
  report({
    event: 'consumed',
    messages: received,
    pacedMessages: pacedLatencies.length,
    pacedCpuSeconds: pacedCpu,
    latencyP50Ms: percentile(pacedLatencies, 0.5),
    latencyP99Ms: percentile(pacedLatencies, 0.99),
    baselineRssMb,
    peakRssMb: peakRssMb(),
    retainedGrowthMb: endRetainedMb - baselineRetainedMb,
  });
}

async function main() {
  const [client, role, ...rest] = process.argv.slice(2);
  if (!CLIENTS[client] || !['produce', 'consume'].includes(role)) {
    throw new Error(`usage: kafka-client.mjs <${Object.keys(CLIENTS).join('|')}> <produce|consume> …`);
  }
  const opts = flags(rest, {
    topic: '',
    group: '',
    messages: 0,
    batch: 100,
    rate: 0,
    keys: 40,
    callIds: 36,
    partitions: 6,
    backlog: 0,
    paced: 0,
  });
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set');
  await (role === 'produce' ? produce(client, brokers, opts) : consume(client, brokers, opts));
}

main().then(
  () => process.exit(0),
  (error) => {
    report({ event: 'error', error: String(error?.stack ?? error) });
    process.exit(1);
  },
);
