export default async function globalSetup(): Promise<void> {
  // Replaced by the real server set-up (see scripts/infra); CALL_SYNC_SKIP_INFRA=1 runs pure tests only.
}
