// The MongoDB server's share of a service's work, timed alone: the commands the service sent
// (recorded in order by count-mongo-commands.cjs) replayed one at a time from this process, with
// nothing else running, so the server's CPU over the replay is its CPU for exactly those commands.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BSON } from 'mongodb';

/** The driver's own fields of a command, which it sets again on a replay. */
const DRIVER_FIELDS = new Set(['lsid', '$clusterTime', 'txnNumber', '$db', '$readPreference', 'apiVersion']);
/** Commands that depend on the recording process's cursors, sessions or start-up, not replayed. */
const NOT_REPLAYED = new Set(['getMore', 'killCursors', 'endSessions', 'createIndexes']);

/** The commands one service recorded in DIR, in the order it sent them. */
export function recordedCommands(dir, service) {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${service}-`) && f.endsWith('.commands.ejsonl'));
  return files.flatMap((file) =>
    readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => BSON.EJSON.parse(line, { relaxed: false })),
  );
}

/**
 * Sends the commands one after another through `client`; resolves with how many were sent and
 * how many the server answered with an error (a replay of a write that no longer applies is
 * still the server's work, but more than a few mean the state was not what the recording saw).
 */
export async function replayCommands(client, commands) {
  let sent = 0;
  let failed = 0;
  for (const { db, command } of commands) {
    const name = Object.keys(command)[0];
    if (NOT_REPLAYED.has(name)) continue;
    const replay = Object.fromEntries(Object.entries(command).filter(([key]) => !DRIVER_FIELDS.has(key)));
    sent += 1;
    try {
      const answer = await client.db(db).command(replay);
      if (answer.writeErrors?.length) failed += 1;
    } catch {
      failed += 1;
    }
  }
  return { sent, failed };
}
