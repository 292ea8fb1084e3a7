import type { Admin } from '@platformatic/kafka';
import { Gauge, type Registry } from 'prom-client';
import { topicOffsets, type Kafka } from './client';
import type { TopicName } from './topics';

interface Watched {
  kafka: Kafka;
  groupId: string;
  topic: TopicName;
  admin?: Admin | undefined;
}

// One gauge per registry, measuring every consumer of the service (the van-writer has two).
const watchedBy = new WeakMap<Registry, Watched[]>();

async function measure(gauge: Gauge<'topic' | 'partition'>, watched: Watched): Promise<void> {
  const { kafka, groupId, topic } = watched;
  try {
    const admin = (watched.admin ??= kafka.admin());
    const [ends, [committed]] = await Promise.all([
      topicOffsets(admin, topic),
      admin.listConsumerGroupOffsets({ groups: [groupId] }),
    ]);
    const partitions = committed?.topics.find((t) => t.name === topic)?.partitions ?? [];
    const done = new Map(partitions.map((p) => [p.partitionIndex, p.committedOffset] as const));
    for (const { partition, low, high } of ends) {
      // Messages below `low` are gone (retention): a group committed before them has only the rest to read.
      const at = [done.get(partition) ?? -1n, low].reduce((a, b) => (a > b ? a : b));
      gauge.set({ topic, partition: String(partition) }, Number(high > at ? high - at : 0n));
    }
  } catch {
    const broken = watched.admin;
    watched.admin = undefined; // measured again at the next scrape, with a new client
    await broken?.close().catch(() => undefined);
  }
}

/**
 * `callsync_consumer_lag{topic,partition}`: messages of the topic the service's consumer group
 * has not committed yet. Measured when Prometheus scrapes (no timer), with one admin client per
 * consumer. Returns a function that disconnects it, for shutdown.
 */
export function registerConsumerLag(
  kafka: Kafka,
  registry: Registry,
  groupId: string,
  topic: TopicName,
): () => Promise<void> {
  let watched = watchedBy.get(registry);
  if (!watched) {
    const all: Watched[] = [];
    watched = all;
    watchedBy.set(registry, all);
    new Gauge({
      name: 'callsync_consumer_lag',
      help: 'Messages not yet committed by the consumer group, per topic and partition',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      async collect() {
        await Promise.all(all.map((w) => measure(this, w)));
      },
    });
  }
  const entry: Watched = { kafka, groupId, topic };
  watched.push(entry);
  return async () => {
    await entry.admin?.close().catch(() => undefined);
  };
}
