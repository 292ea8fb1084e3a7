import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { decodeMessage } from '@call-sync/core';
import type { Logger } from '../logger';
import { Topics, type TopicName } from './topics';

/** A message that failed validation or handling for good, parked with its reason and original. */
export const deadLetterSchema = z.object({
  v: z.literal(1),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  error: z.string(),
  original: z.string(),
  at: z.string(),
  /** The consumer group that parked it: several groups read a topic, and each judges alone. */
  group: z.string().optional(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export interface Publisher {
  publish<T>(
    topic: TopicName,
    schema: z.ZodType<T>,
    messages: { key: string; value: T; headers?: IHeaders }[],
  ): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent producer with acks from all replicas: a publish either lands once or fails loudly.
 * Every value is validated against its schema before it leaves, so a bug cannot poison a topic.
 */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async publish(topic, schema, messages) {
      if (messages.length === 0) return;
      const encoded = messages.map((m) => ({
        key: m.key,
        value: JSON.stringify(schema.parse(m.value)),
        ...(m.headers ? { headers: m.headers } : {}),
      }));
      await producer.send({ topic, acks: -1, messages: encoded });
    },
    disconnect: () => producer.disconnect(),
  };
}

const HEARTBEAT_INTERVAL_MS = 1_000;

export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

export interface ConsumerOptions<T> {
  kafka: Kafka;
  groupId: string;
  topic: TopicName;
  schema: z.ZodType<T>;
  logger: Logger;
  publisher: Publisher;
  /** Handles one valid message. Throw PermanentMessageError to dead-letter it; anything else retries. */
  handle(
    value: T,
    meta: { key: string | null; headers: IHeaders; partition: number; offset: string },
  ): Promise<void>;
  partitionsConsumedConcurrently?: number;
  /** Unset: one message of a partition at a time. Set: several, as described there. */
  concurrentMessages?: ConcurrentMessages<T>;
  sessionTimeout?: number;
  fromBeginning?: boolean;
  /** Where `callsync_dead_letter_messages_total` is counted (the alert on parked messages). */
  registry?: Registry;
}

/**
 * Several messages of one partition in progress at once: one key's messages start in order, at
 * most `perKey` of them at a time, while other keys' messages of the partition go ahead. An offset
 * is committed only once its message and every earlier one of the partition have been handled,
 * so a crash or a failure redelivers each message that had not finished (handlers must be
 * idempotent, as they are for at-least-once delivery anyway).
 */
export interface ConcurrentMessages<T> {
  perKey: number;
  /**
   * Resolves when the handler can take this message: backpressure from the work it holds. What
   * it resolves with, if anything, is called when the admitted message does not start after all
   * (the batch ran out of time or the consumer is stopping), so the admission is handed back.
   */
  admit?(value: T, key: string | null): Promise<(() => void) | undefined>;
  /**
   * After this long on one fetched batch no further message of it starts and the batch ends once
   * the started ones are done. kafkajs fetches again only when every partition's batch has ended,
   * so this bounds how long new work on another partition waits. Default 10 s.
   */
  batchTimeBudgetMs?: number;
  /**
   * The budget of the batches that start in the first seconds after the consumer was idle
   * (`afterIdleRampMs`). Work then usually arrives on several partitions moments apart (the
   * extractor publishes candidate after candidate), and a fetch holds only those that had come:
   * the others wait for its batches. Default 0.5 s (at 2 s, three of four rate-bound candidates
   * began posting ~3 s after the first; with only the first batch after idle short, a candidate
   * that missed the second fetch began ~13 s after the others, in two of three runs).
   */
  batchTimeBudgetAfterIdleMs?: number;
  /**
   * How long after an idle spell batches still get the short budget. A key not seen since the
   * idle spell starts the ramp again (and ends the long budgets under way): while the extractor
   * is still publishing one candidate after another, the next one is fetched soon. Default 3 s.
   */
  afterIdleRampMs?: number;
}

const DEFAULT_BATCH_TIME_BUDGET_MS = 10_000;
const DEFAULT_BATCH_TIME_BUDGET_AFTER_IDLE_MS = 500;
/** A consumer kafkajs gave up on is begun again after 1 s, then 2, 4, … up to 30 s. */
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** No batch in progress for this long: the consumer was idle. */
const IDLE_AFTER_MS = 1_000;
const DEFAULT_AFTER_IDLE_RAMP_MS = 3_000;

/** What the batches of one consumer know of each other: whether the consumer was idle. */
interface BatchActivity {
  inProgress: number;
  lastEndedAt: number;
  /** When the first batch after the last idle spell started. */
  idleEndedAt: number;
  /** Keys fetched since the last idle spell, and when the last one of them was new. */
  keysSeen: Set<string>;
  lastNewKeyAt: number;
  /**
   * Offsets handled to the end but not yet resolvable (an earlier message of the partition was
   * unfinished when its batch ended), by partition. kafkajs delivers them again with the earlier
   * one; they are not handled twice, except by another process after a rebalance or a crash.
   */
  handledAhead: Map<number, Set<string>>;
}
const tracer = trace.getTracer('call-sync.kafka');

const headerGetter = {
  keys: (carrier: IHeaders) => Object.keys(carrier),
  get: (carrier: IHeaders, key: string) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : String(value);
  },
};

function deadLetterCounter(registry: Registry): Counter<'topic'> {
  const name = 'callsync_dead_letter_messages_total';
  return (
    (registry.getSingleMetric(name) as Counter<'topic'> | undefined) ??
    new Counter({
      name,
      help: 'Messages parked on the dead-letter topic (invalid, or failed for good), by source topic',
      labelNames: ['topic'],
      registers: [registry],
    })
  );
}

export interface RunningConsumer {
  consumer: Consumer;
  /** Stops fetching, lets the in-flight message finish and commits, then leaves the group. */
  stop(): Promise<void>;
}

/**
 * Consumes one topic with at-least-once delivery: the offset of a message is committed only after
 * its handler has returned (the handler writes its outcome to Mongo first), so a crash redelivers
 * instead of losing. Messages that fail schema validation, or whose handler reports a permanent
 * error, go to the dead-letter topic with the error and the original bytes.
 */
export async function startConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { kafka, groupId, topic, schema, logger, publisher } = options;
  const deadLetters = options.registry ? deadLetterCounter(options.registry) : undefined;
  deadLetters?.inc({ topic }, 0);

  const deadLetter = async (
    message: { key: Buffer | null; value: Buffer | null; offset: string },
    partition: number,
    error: string,
  ) => {
    const letter: DeadLetter = {
      v: 1,
      topic,
      partition,
      offset: message.offset,
      key: message.key?.toString() ?? null,
      error,
      original: message.value?.toString() ?? '',
      at: new Date().toISOString(),
      group: groupId,
    };
    await publisher.publish(Topics.DeadLetter, deadLetterSchema, [
      { key: letter.key ?? topic, value: letter },
    ]);
    deadLetters?.inc({ topic });
    logger.warn({ topic, partition, offset: message.offset, error }, 'message sent to the dead-letter topic');
  };

  /** Validates and handles one message; a permanent failure parks it on the dead-letter topic. */
  const handleOne = async (message: KafkaMessage, partition: number): Promise<void> => {
    const decoded = decodeMessage(schema, message.value?.toString() ?? '');
    if (!decoded.ok) {
      await deadLetter(message, partition, `invalid message: ${decoded.error}`);
      return;
    }
    try {
      await options.handle(decoded.message, {
        key: message.key?.toString() ?? null,
        headers: message.headers ?? {},
        partition,
        offset: message.offset,
      });
    } catch (error) {
      if (error instanceof PermanentMessageError) {
        await deadLetter(message, partition, error.message);
        return;
      }
      throw error; // kafkajs retries the message; its offset stays uncommitted.
    }
  };

  const concurrent = options.concurrentMessages;
  const activity: BatchActivity = {
    inProgress: 0,
    lastEndedAt: 0,
    idleEndedAt: 0,
    keysSeen: new Set(),
    lastNewKeyAt: 0,
    handledAhead: new Map(),
  };
  const run = async (consumer: Consumer): Promise<void> => {
    if (concurrent) {
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => consumeConcurrently(payload, concurrent, schema, handleOne, topic, activity),
      });
    } else {
      await consumer.run({
        autoCommit: true,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachMessage: async ({ message, partition, heartbeat }) => {
          // kafkajs heartbeats only when asked to, between messages: a long handler (a big night's
          // CSV export) would outlive the session and trigger a rebalance that redelivers the message.
          const keepAlive = setInterval(() => {
            heartbeat().catch(() => undefined);
          }, HEARTBEAT_INTERVAL_MS);
          try {
            await handleOne(message, partition);
            await heartbeat();
          } finally {
            clearInterval(keepAlive);
          }
        },
      });
    }
  };

  let current: Consumer;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;

  /** A consumer of the group, joined and running; one that fails on the way is disconnected. */
  const begin = async (): Promise<Consumer> => {
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeout ?? 10_000,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: 500,
    });
    // kafkajs restarts a consumer that crashed on an error it deems passing, but not one it deems
    // final, such as "Failed to find group coordinator" while a broker restarts: that consumer
    // stays stopped for good while the service looks healthy (the fault matrix's broker restart
    // left the reports unsent this way). Such a consumer is begun anew, later each time.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) restartLater(payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      restarts = 0;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
      await run(consumer);
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    return consumer;
  };

  const restartLater = (error: unknown): void => {
    if (stopping || restartTimer) return;
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** restarts);
    restarts += 1;
    logger.error(
      { topic, groupId, err: error, restartInMs: delayMs },
      'the Kafka consumer stopped on an error kafkajs does not recover from: starting it again',
    );
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      begin().then(async (consumer) => {
        current = consumer;
        // stop() was called while this one was joining.
        if (stopping) await consumer.disconnect().catch(() => undefined);
      }, restartLater);
    }, delayMs);
  };

  current = await begin();

  return {
    get consumer() {
      return current;
    },
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      await current.stop();
      await current.disconnect();
    },
  };
}

/** One fetched batch with several messages in progress (ConcurrentMessages). */
async function consumeConcurrently<T>(
  payload: EachBatchPayload,
  concurrent: ConcurrentMessages<T>,
  schema: z.ZodType<T>,
  handleOne: (message: KafkaMessage, partition: number) => Promise<void>,
  topic: string,
  activity: BatchActivity,
): Promise<void> {
  const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
  const startedAt = Date.now();
  // The batches of one fetch start together, so each sees the idle spell before the first.
  if (activity.inProgress === 0 && startedAt - activity.lastEndedAt > IDLE_AFTER_MS) {
    activity.idleEndedAt = startedAt;
    activity.keysSeen.clear();
  }
  activity.inProgress += 1;
  const byKey = new Map<string, KafkaMessage[]>();
  for (const message of batch.messages) {
    const key = message.key?.toString() ?? '';
    byKey.set(key, [...(byKey.get(key) ?? []), message]);
    if (!activity.keysSeen.has(key)) {
      activity.keysSeen.add(key);
      activity.lastNewKeyAt = startedAt;
    }
  }
  const rampMs = concurrent.afterIdleRampMs ?? DEFAULT_AFTER_IDLE_RAMP_MS;
  const shortBudgetMs = concurrent.batchTimeBudgetAfterIdleMs ?? DEFAULT_BATCH_TIME_BUDGET_AFTER_IDLE_MS;
  const rampStartedAt = Math.max(activity.idleEndedAt, activity.lastNewKeyAt);
  const budgetMs =
    startedAt - rampStartedAt < rampMs
      ? shortBudgetMs
      : (concurrent.batchTimeBudgetMs ?? DEFAULT_BATCH_TIME_BUDGET_MS);
  // A key new to this night on another partition, after this batch began, means more may be on
  // their way: this batch then ends soon too, so that kafkajs fetches again.
  const deadline = () =>
    activity.lastNewKeyAt > startedAt
      ? Math.min(startedAt + budgetMs, activity.lastNewKeyAt + shortBudgetMs)
      : startedAt + budgetMs;
  const results = new Map<string, { ok: true } | { ok: false; error: unknown }>();
  const offsets = batch.messages.map((m) => m.offset);
  let resolved = 0;
  let failed = false;
  let handledAhead = activity.handledAhead.get(batch.partition);
  if (!handledAhead) {
    handledAhead = new Set();
    activity.handledAhead.set(batch.partition, handledAhead);
  }
  for (const offset of offsets) if (handledAhead.has(offset)) results.set(offset, { ok: true });
  // Offsets are resolved in order only: the lowest unfinished message holds back every later one.
  const advance = () => {
    while (resolved < offsets.length && results.get(offsets[resolved]!)?.ok === true) {
      resolveOffset(offsets[resolved]!);
      handledAhead.delete(offsets[resolved]!);
      resolved += 1;
    }
  };
  const mayStart = () => isRunning() && !isStale() && !failed && Date.now() < deadline();

  const runKey = async (messages: KafkaMessage[]): Promise<void> => {
    const inFlight = new Set<Promise<void>>();
    for (const message of messages) {
      if (results.get(message.offset)?.ok) continue;
      while (inFlight.size >= concurrent.perKey) await Promise.race(inFlight);
      if (!mayStart()) break;
      if (concurrent.admit) {
        const decoded = decodeMessage(schema, message.value?.toString() ?? '');
        const handBack = decoded.ok
          ? await concurrent.admit(decoded.message, message.key?.toString() ?? null)
          : undefined;
        if (!mayStart()) {
          handBack?.();
          break;
        }
      }
      const work: Promise<void> = processTraced(message, batch.partition, topic, handleOne)
        .then(
          () => {
            results.set(message.offset, { ok: true });
            handledAhead.add(message.offset);
            advance();
          },
          (error: unknown) => {
            failed = true;
            results.set(message.offset, { ok: false, error });
          },
        )
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    }
    await Promise.all(inFlight);
  };

  // Heartbeats keep the session while handlers run (kafkajs sends them only when asked).
  const keepAlive = setInterval(() => {
    heartbeat().catch(() => undefined);
  }, HEARTBEAT_INTERVAL_MS);
  try {
    await Promise.all([...byKey.values()].map(runKey));
    advance();
    await commitOffsetsIfNecessary();
    const failure = offsets.map((o) => results.get(o)).find((r) => r && !r.ok);
    // kafkajs commits what was resolved and delivers the rest again.
    if (failure && !failure.ok) throw failure.error;
  } finally {
    clearInterval(keepAlive);
    activity.inProgress -= 1;
    activity.lastEndedAt = Date.now();
  }
}

/**
 * Handles one message under a "process" span continuing the producer's trace from the headers
 * (the kafkajs instrumentation only links a batch's messages to their producers).
 */
function processTraced(
  message: KafkaMessage,
  partition: number,
  topic: string,
  handleOne: (message: KafkaMessage, partition: number) => Promise<void>,
): Promise<void> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers ?? {}, headerGetter);
  return tracer.startActiveSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': message.offset,
      },
    },
    parent,
    async (span) => {
      try {
        await handleOne(message, partition);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
