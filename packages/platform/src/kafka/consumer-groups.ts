/**
 * The group of a van-writer's bulk-import worker, derived from the writer's per-call group:
 * writers of separate deployments (or test worlds) sharing a broker must not take each other's
 * bulk messages, which they would commit as unknown runs.
 */
export const bulkImportGroupId = (group: string): string => `${group}-bulk`;

/**
 * The group whose committed offsets on the dead-letter topic mark the letters a person has dealt
 * with. No process consumes in it: an operator moves it past the letters they have handled
 * (`kafka-consumer-groups --reset-offsets --to-latest`), and its lag is the letters still waiting.
 */
export const DEAD_LETTERS_REVIEWED_GROUP = 'callsync-dead-letters-reviewed';
