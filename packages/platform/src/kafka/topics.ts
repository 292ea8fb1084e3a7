/**
 * The pipeline's topics, defined once. Partition counts are the defaults for a fresh cluster;
 * van-sync is keyed by candidate so one API key's budget is spent by one consumer at a time.
 */
export const Topics = {
  VanSync: 'callsync.van-sync',
  /** One message per `bulk` run: its calls go to VAN as Bulk Import jobs. */
  VanBulkImport: 'callsync.van-bulk-import',
  CsvExport: 'callsync.csv-export',
  RunEvents: 'callsync.run-events',
  DeadLetter: 'callsync.dlq',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export const topicPartitions: Record<TopicName, number> = {
  [Topics.VanSync]: 6,
  [Topics.VanBulkImport]: 3,
  [Topics.CsvExport]: 3,
  [Topics.RunEvents]: 3,
  [Topics.DeadLetter]: 1,
};
