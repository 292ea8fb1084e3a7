import type { Admin, Kafka } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { TopicName } from './topics';

interface Watched {
  kafka: Kafka;
  groupId: string;
  topic: TopicName;
  admin?: Admin;
  connected?: Promise<void> | undefined;
}

// One gauge per registry, measuring every consumer of the service (the van-writer has two).
const watchedBy = new WeakMap<Registry, Watched[]>();

async function measure(gauge: Gauge<'topic' | 'partition'>, watched: Watched): Promise<void> {
  const { kafka, groupId, topic } = watched;
  try {
    watched.admin ??= kafka.admin();
    watched.connected ??= watched.admin.connect();
    await watched.connected;
    const [ends, committed] = await Promise.all([
      watched.admin.fetchTopicOffsets(topic),
      watched.admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
    );
    for (const end of ends) {
      const high = Number(end.high);
      const low = Number(end.low);
      // Messages below `low` are gone (retention): a group committed before them has only the rest to read.
      const at = Math.max(done.get(end.partition) ?? -1, low);
      gauge.set({ topic, partition: String(end.partition) }, Math.max(0, high - at));
    }
  } catch {
    watched.connected = undefined; // measured again at the next scrape
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
    if (entry.admin && entry.connected) await entry.admin.disconnect().catch(() => undefined);
  };
}
