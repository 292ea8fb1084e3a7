import {
  compatibilityPartitioner,
  ConnectionPool,
  Consumer,
  heartbeatV4,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  offsetCommitV8,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { decodeMessage } from '@call-sync/core';
import type { Logger } from '../logger';
import type { Kafka } from './client';
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

/** Message headers: the trace context travels in them. */
export type MessageHeaders = Record<string, string>;

export interface Publisher {
  publish<T>(
    topic: TopicName,
    schema: z.ZodType<T>,
    messages: { key: string; value: T; headers?: MessageHeaders }[],
  ): Promise<void>;
  disconnect(): Promise<void>;
}

const tracer = trace.getTracer('call-sync.kafka');

/**
 * An idempotent producer with acks from all replicas: a publish either lands once or fails loudly.
 * Every value is validated against its schema before it leaves, so a bug cannot poison a topic.
 */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  const producer = new Producer({
    ...kafka.options,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // kafkajs's key → partition mapping: the client's own would move every candidate's key.
    partitioner: compatibilityPartitioner,
    serializers: stringSerializers,
  });
  return {
    async publish(topic, schema, messages) {
      if (messages.length === 0) return;
      const encoded = messages.map((m) => ({
        topic,
        key: m.key,
        value: JSON.stringify(schema.parse(m.value)),
        headers: { ...m.headers },
      }));
      const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': topic };
      await tracer.startActiveSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, (span) =>
        inSpan(span, async () => {
          for (const message of encoded) propagation.inject(context.active(), message.headers);
          await producer.send({ messages: encoded });
        }),
      );
    },
    disconnect: () => producer.close(),
  };
}

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
    meta: { key: string | null; headers: MessageHeaders; partition: number; offset: string },
  ): Promise<void>;
  /** How many partitions have messages in progress at once. Default 1. */
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
   * (a rebalance took its partition, or the consumer is stopping), so the admission is handed back.
   */
  admit?(value: T, key: string | null): Promise<(() => void) | undefined>;
}

/** A consumer that failed is begun again after 1 s, then 2, 4, … up to 30 s; so is a failing message. */
const FIRST_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;
/** Messages received but not started, above which fetching waits. */
const MAX_WAITING = 1_024;
const EMPTY = Buffer.alloc(0);

type Received = Message<string, string, string, string>;

const retryDelay = (attempt: number) => Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** attempt);

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
  consumer: Consumer<string, string, string, string>;
  /** Stops fetching, lets the messages in progress finish and commits, then leaves the group. */
  stop(): Promise<void>;
}

/**
 * Consumes one topic with at-least-once delivery: the offset of a message is committed only after
 * its handler has returned (the handler writes its outcome to Mongo first), so a crash redelivers
 * instead of losing. Messages that fail schema validation, or whose handler reports a permanent
 * error, go to the dead-letter topic with the error and the original bytes.
 */
export async function startConsumer<T>(options: ConsumerOptions<T>): Promise<RunningConsumer> {
  const { topic, groupId, logger, publisher } = options;
  const deadLetters = options.registry ? deadLetterCounter(options.registry) : undefined;
  deadLetters?.inc({ topic }, 0);

  const deadLetter = async (message: Received, error: string) => {
    const letter: DeadLetter = {
      v: 1,
      topic,
      partition: message.partition,
      offset: String(message.offset),
      key: message.key ?? null,
      error,
      original: message.value ?? '',
      at: new Date().toISOString(),
      group: groupId,
    };
    await publisher.publish(Topics.DeadLetter, deadLetterSchema, [
      { key: letter.key ?? topic, value: letter },
    ]);
    deadLetters?.inc({ topic });
    logger.warn(
      { topic, partition: letter.partition, offset: letter.offset, error },
      'message sent to the dead-letter topic',
    );
  };

  /** Validates and handles one message; a permanent failure parks it on the dead-letter topic. */
  const handleOne = async (message: Received): Promise<void> => {
    const decoded = decodeMessage(options.schema, message.value ?? '');
    if (!decoded.ok) return deadLetter(message, `invalid message: ${decoded.error}`);
    try {
      await options.handle(decoded.message, {
        key: message.key ?? null,
        headers: Object.fromEntries(message.headers),
        partition: message.partition,
        offset: String(message.offset),
      });
    } catch (error) {
      if (!(error instanceof PermanentMessageError)) throw error;
      await deadLetter(message, error.message);
    }
  };

  // Offsets handled while an earlier one of their partition was not: a redelivery skips them.
  const handledAhead = new Map<number, Set<bigint>>();
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;
  let current: ConsumerRun<T>;

  const begin = async (): Promise<ConsumerRun<T>> => {
    const run = new ConsumerRun(options, handleOne, handledAhead, (error) => restartAfter(run, error));
    run.consumer.on('consumer:group:join', () => (restarts = 0));
    await run.start();
    return run;
  };
  // The client retries a broker's absence for a while and then gives up: its stream or group
  // membership ends with an error, and a consumer that is not begun again stays stopped for good
  // while the service looks healthy.
  const restartAfter = (failed: ConsumerRun<T>, error: unknown): void => {
    if (stopping || restartTimer || failed !== current) return;
    const delayMs = retryDelay(restarts++);
    logger.error(
      { topic, groupId, err: error, restartInMs: delayMs },
      'the Kafka consumer failed: starting it again',
    );
    const stopped = failed.stop();
    restartTimer = setTimeout(() => {
      void stopped.then(async () => {
        if (stopping) return;
        try {
          current = await begin();
          restartTimer = undefined;
          if (stopping) await current.stop();
        } catch (beginError) {
          restartTimer = undefined;
          restartAfter(current, beginError);
        }
      });
    }, delayMs);
  };

  current = await begin();
  return {
    get consumer() {
      return current.consumer;
    },
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      await current.stop();
    },
  };
}

/** The messages of one partition since its last commit, and its work in progress. */
interface PartitionProgress {
  offsets: bigint[];
  handled: Set<bigint>;
  inProgress: number;
  last?: bigint;
}

/** Messages that start in order: one key's (concurrent) or one partition's. */
interface Lane {
  partition: number;
  waiting: Received[];
  inProgress: number;
  admitting: boolean;
}

/**
 * One consumer group member, from its join to its stop or failure. Each generation of the group
 * reads a stream of its own, opened once the join has given this member its partitions: a
 * stream from before a rebalance can still hold messages of partitions that moved away.
 */
class ConsumerRun<T> {
  readonly consumer: Consumer<string, string, string, string>;
  private stream: MessagesStream<string, string, string, string> | undefined;
  private retired: MessagesStream<string, string, string, string> | undefined;
  private generation = -1;
  private stopping = false;
  private draining = false;
  private failed = false;
  private waiting = 0;
  private readonly lanes = new Map<string, Lane>();
  private readonly partitions = new Map<number, PartitionProgress>();
  private readonly work = new Set<Promise<void>>();
  private readonly wakeUps = new Set<() => void>();
  private toCommit = new Map<number, bigint>();
  private committing: Promise<void> | undefined;
  private readonly pool: ConnectionPool;

  constructor(
    private readonly options: ConsumerOptions<T>,
    private readonly handleOne: (message: Received) => Promise<void>,
    private readonly handledAhead: Map<number, Set<bigint>>,
    private readonly onFailure: (error: unknown) => void,
  ) {
    const { kafka } = options;
    const sessionTimeout = options.sessionTimeout ?? 10_000;
    this.consumer = new Consumer({
      ...kafka.options,
      groupId: options.groupId,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, sessionTimeout),
      heartbeatInterval: 1_000,
      maxWaitTime: 500,
      autocommit: false,
      deserializers: stringDeserializers,
      // Called before each JoinGroup: the work in progress finishes and is committed first, so that
      // a partition's next owner never starts a message this member is still handling.
      protocolsMetadata: () => this.beforeRejoin(),
    });
    this.consumer.on('error', (error: Error) => this.fail(error));
    const { tls, sasl } = kafka.options;
    this.pool = new ConnectionPool(`${kafka.clientId}-commits`, {
      ...(tls ? { tls } : {}),
      ...(sasl ? { sasl } : {}),
    });
  }

  async start(): Promise<void> {
    try {
      this.listen(await this.consume());
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.consumer.on('consumer:group:join', () => void this.openStream());
  }

  /** Ends the member: no new message starts, those in progress finish and are committed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.drain();
    await Promise.allSettled([this.retired?.close(), this.stream?.close()]);
    await this.consumer.close(true).catch(() => undefined);
    await this.pool.close().catch(() => undefined);
  }

  private consume() {
    return this.consumer.consume({
      topics: [this.options.topic],
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode:
        this.options.fromBeginning === false
          ? MessagesStreamFallbackModes.LATEST
          : MessagesStreamFallbackModes.EARLIEST,
    });
  }

  private listen(stream: MessagesStream<string, string, string, string>): void {
    this.stream = stream;
    this.generation = this.consumer.generationId;
    stream.on('data', (message: Received) => this.receive(stream, message));
    stream.on('error', (error) => {
      if (stream === this.stream) this.fail(error);
    });
    stream.on('close', () => {
      if (stream === this.stream) this.fail(new Error('the Kafka message stream closed'));
    });
  }

  private async openStream(): Promise<void> {
    if (this.stopping) return;
    const generation = this.consumer.generationId;
    try {
      const stream = await this.consume();
      if (this.stopping || generation !== this.consumer.generationId) {
        await stream.close();
        return;
      }
      this.listen(stream);
      const retired = this.retired;
      this.retired = undefined;
      await retired?.close();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.stopping || this.failed) return;
    this.failed = true;
    this.onFailure(error);
  }

  private async beforeRejoin(): Promise<Buffer> {
    if (!this.stream) return EMPTY;
    // The library stops heartbeating while it rejoins; without them a long handler would outlive
    // the session, and the group would move on without this member.
    const keepAlive = setInterval(() => void this.heartbeat(), 1_000);
    try {
      void this.retired?.close();
      this.retired = this.stream;
      await this.drain();
      this.draining = false;
    } finally {
      clearInterval(keepAlive);
    }
    return EMPTY;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    this.stream?.pause();
    this.stream = undefined;
    for (const wakeUp of this.wakeUps) wakeUp();
    for (const lane of this.lanes.values()) lane.waiting.length = 0;
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
    await this.committing;
    this.commit();
    await this.committing;
    this.lanes.clear();
    this.partitions.clear();
    this.toCommit.clear();
    this.waiting = 0;
  }

  private receive(stream: MessagesStream<string, string, string, string>, message: Received): void {
    if (stream !== this.stream) return;
    const { partition, offset } = message;
    let progress = this.partitions.get(partition);
    const ahead = this.handledAhead.get(partition);
    if (!progress) {
      progress = { offsets: [], handled: new Set(), inProgress: 0 };
      this.partitions.set(partition, progress);
      // Below the first offset read, another member has handled and committed everything.
      for (const done of ahead ?? []) if (done < offset) ahead?.delete(done);
    }
    if (progress.last !== undefined && offset <= progress.last) return;
    progress.last = offset;
    progress.offsets.push(offset);
    if (ahead?.has(offset)) {
      progress.handled.add(offset);
      this.advance(partition, progress);
      return;
    }
    const laneId = this.options.concurrentMessages ? `${partition}:${message.key ?? ''}` : `${partition}`;
    let lane = this.lanes.get(laneId);
    if (!lane) {
      lane = { partition, waiting: [], inProgress: 0, admitting: false };
      this.lanes.set(laneId, lane);
    }
    lane.waiting.push(message);
    if (++this.waiting >= MAX_WAITING) stream.pause();
    this.pump(lane);
  }

  /** Starts the lane's next messages while it, and the partitions at once, have room. */
  private pump(lane: Lane): void {
    const perLane = this.options.concurrentMessages?.perKey ?? 1;
    while (!lane.admitting && !this.draining && lane.inProgress < perLane && this.hasRoom(lane.partition)) {
      const message = lane.waiting[0];
      if (!message) return;
      const admit = this.options.concurrentMessages?.admit;
      const decoded = admit ? decodeMessage(this.options.schema, message.value ?? '') : undefined;
      if (!admit || !decoded?.ok) {
        this.begin(lane);
        continue;
      }
      lane.admitting = true;
      admit(decoded.message, message.key ?? null).then(
        (handBack) => {
          lane.admitting = false;
          if (this.draining || lane.waiting[0] !== message) return handBack?.();
          this.begin(lane);
          this.pump(lane);
        },
        (error: unknown) => this.fail(error),
      );
      return;
    }
  }

  private hasRoom(partition: number): boolean {
    if ((this.partitions.get(partition)?.inProgress ?? 0) > 0) return true;
    let busy = 0;
    for (const progress of this.partitions.values()) if (progress.inProgress > 0) busy += 1;
    return busy < (this.options.partitionsConsumedConcurrently ?? 1);
  }

  private begin(lane: Lane): void {
    const message = lane.waiting.shift()!;
    const progress = this.partitions.get(lane.partition)!;
    lane.inProgress += 1;
    progress.inProgress += 1;
    if (--this.waiting < MAX_WAITING / 2 && this.stream?.isPaused()) this.stream.resume();
    const work: Promise<void> = this.handleWithRetries(message)
      .then(
        () => {
          progress.handled.add(message.offset);
          if (progress.offsets[0] !== message.offset) {
            const ahead = this.handledAhead.get(lane.partition) ?? new Set<bigint>();
            this.handledAhead.set(lane.partition, ahead.add(message.offset));
          }
          this.advance(lane.partition, progress);
        },
        () => undefined, // left unfinished: delivered again to the partition's next reader
      )
      .finally(() => {
        this.work.delete(work);
        lane.inProgress -= 1;
        progress.inProgress -= 1;
        if (progress.inProgress === 0) for (const other of this.lanes.values()) this.pump(other);
        else this.pump(lane);
      });
    this.work.add(work);
  }

  /** A failing message is tried again, later each time; the messages of other lanes go on. */
  private async handleWithRetries(message: Received): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await processTraced(message, this.handleOne);
      } catch (error) {
        if (this.draining) throw error;
        const delayMs = retryDelay(attempt);
        const { topic, partition, offset } = message;
        this.options.logger.warn(
          { topic, partition, offset: String(offset), err: error, retryInMs: delayMs },
          'handling a Kafka message failed: trying it again',
        );
        await new Promise<void>((resolve) => {
          const wakeUp = () => {
            clearTimeout(timer);
            this.wakeUps.delete(wakeUp);
            resolve();
          };
          const timer = setTimeout(wakeUp, delayMs);
          this.wakeUps.add(wakeUp);
        });
        if (this.draining) throw error;
      }
    }
  }

  /** Commits up to the partition's lowest unfinished message, never past it. */
  private advance(partition: number, progress: PartitionProgress): void {
    const ahead = this.handledAhead.get(partition);
    let next: bigint | undefined;
    while (progress.offsets.length > 0 && progress.handled.has(progress.offsets[0]!)) {
      const offset = progress.offsets.shift()!;
      progress.handled.delete(offset);
      ahead?.delete(offset);
      next = offset + 1n;
    }
    if (next === undefined) return;
    this.toCommit.set(partition, next);
    this.commit();
  }

  /**
   * One OffsetCommit at a time, in this member's generation. The client's own commit joins the group
   * again and repeats itself when the generation has ended, and so could move back the offsets of
   * a partition that another member owns by then: here such a commit is refused and dropped.
   */
  private commit(): void {
    if (this.committing || this.toCommit.size === 0) return;
    const offsets = this.toCommit;
    this.toCommit = new Map();
    const { groupId, topic } = this.options;
    const { generationId, memberId } = this.consumer;
    if (generationId !== this.generation || !memberId) return;
    const partitions = [...offsets].map(([partitionIndex, committedOffset]) => ({
      partitionIndex,
      committedOffset,
      committedLeaderEpoch: -1,
      committedMetadata: null,
    }));
    this.committing = this.coordinator()
      .then((connection) =>
        offsetCommitV8.api.async(connection, groupId, generationId, memberId, null, [
          { name: topic, partitions },
        ]),
      )
      .then(
        () => {
          this.committing = undefined;
          this.commit();
        },
        (error: unknown) => {
          this.committing = undefined;
          if (this.consumer.generationId !== generationId) return;
          for (const [partition, offset] of offsets)
            if ((this.toCommit.get(partition) ?? -1n) < offset) this.toCommit.set(partition, offset);
          this.options.logger.warn(
            { topic, groupId, err: error },
            'committing Kafka offsets failed: trying again',
          );
          setTimeout(() => this.commit(), FIRST_RETRY_DELAY_MS).unref();
        },
      );
  }

  private async heartbeat(): Promise<void> {
    const { generationId, memberId } = this.consumer;
    if (!memberId) return;
    try {
      const connection = await this.coordinator();
      await heartbeatV4.api.async(connection, this.options.groupId, generationId, memberId, null);
    } catch {
      // REBALANCE_IN_PROGRESS is the expected answer: the heartbeat still keeps the session.
    }
  }

  private async coordinator() {
    const id = this.consumer.coordinatorId ?? (await this.consumer.findGroupCoordinator());
    const metadata = await this.consumer.metadata({ topics: [this.options.topic] });
    const broker = metadata.brokers.get(id);
    if (!broker) throw new Error(`the group coordinator (broker ${id}) is not in the cluster's metadata`);
    return this.pool.get(broker);
  }
}

const headerGetter = {
  keys: (carrier: Map<string, string>) => [...carrier.keys()],
  get: (carrier: Map<string, string>, key: string) => carrier.get(key),
};

/** Handles one message under a "process" span continuing the producer's trace from the headers. */
function processTraced(message: Received, handleOne: (message: Received) => Promise<void>): Promise<void> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers, headerGetter);
  return tracer.startActiveSpan(
    `process ${message.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': message.topic,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': String(message.offset),
      },
    },
    parent,
    (span) => inSpan(span, () => handleOne(message)),
  );
}

/** Runs `work` in `span`: a failure is recorded on it, and it ends either way. */
async function inSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
