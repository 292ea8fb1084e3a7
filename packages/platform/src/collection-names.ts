// Apart from mongo.ts (the connection, the indexes and their migration), so that a repository
// which needs only a collection's name does not bring a reader through those.

/** Collection names, defined once. */
export const Collections = {
  Calls: 'calls',
  CallsArchive: 'calls_archive',
  Runs: 'runs',
  Reports: 'reports',
  ConfigCache: 'config_cache',
  Imports: 'imports',
  /** One document per extractor command: when it last ran, how it ended. */
  JobRuns: 'job_runs',
  /** VAN requests spent per API key (fingerprint) and Eastern day, shared by every writer. */
  VanBudgets: 'van_budgets',
  /** Operator actions on the config service (run requested, reset, import, refresh): who, when, what. */
  Audit: 'audit',
  /** The config service's sign-in sessions, by a hash of their id: what logout and idleness end. */
  Sessions: 'sessions',
  /** Wrong tokens shown to the config service, counted per client and window, shared by its replicas. */
  SignInFailures: 'sign_in_failures',
} as const;
