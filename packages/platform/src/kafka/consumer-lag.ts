import type { Admin, Kafka } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';
import type { TopicName } from './topics';

/**
 * `callsync_consumer_lag{topic,partition}`: messages of the topic the service's consumer group
 * has not committed yet. Measured when Prometheus scrapes (no timer), with one admin client.
 * Returns a function that disconnects it, for shutdown.
 */
export function registerConsumerLag(
  kafka: Kafka,
  registry: Registry,
  groupId: string,
  topic: TopicName,
): () => Promise<void> {
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  const gauge = new Gauge({
    name: 'callsync_consumer_lag',
    help: 'Messages not yet committed by the consumer group, per topic and partition',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    async collect() {
      try {
        admin ??= kafka.admin();
        connected ??= admin.connect();
        await connected;
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        const done = new Map(
          (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
        );
        for (const end of ends) {
          const high = Number(end.high);
          const low = Number(end.low);
          const at = done.get(end.partition) ?? -1;
          this.set({ topic, partition: String(end.partition) }, Math.max(0, high - (at < 0 ? low : at)));
        }
      } catch {
        connected = undefined; // measured again at the next scrape
      }
    },
  });
  void gauge;
  return async () => {
    if (admin && connected) await admin.disconnect().catch(() => undefined);
  };
}
