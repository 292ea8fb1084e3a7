import type { Publisher } from '@call-sync/platform';

/** The Kafka edge kept in memory, for tests about what a component publishes rather than Kafka. */
export interface RecordingPublisher extends Publisher {
  /** Every message published, in order, parsed by its schema as a consumer would read it. */
  sent: { topic: string; value: unknown }[];
}

/** Records what would reach each topic, or fails as a broker that is down. */
export function recordingPublisher(options: { down?: boolean } = {}): RecordingPublisher {
  const sent: RecordingPublisher['sent'] = [];
  return {
    sent,
    async publish(topic, schema, messages) {
      if (options.down) throw new Error('broker unavailable');
      for (const message of messages) sent.push({ topic, value: schema.parse(message.value) });
    },
    disconnect: async () => undefined,
  };
}
