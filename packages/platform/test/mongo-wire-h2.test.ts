import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectMongo } from '@call-sync/platform';
import { repoRoot } from '../../../test/servers';
import { freePort, waitUntil } from '@call-sync/testkit';

// The local MongoDB-wire server's file backend, for tests that restart the database: what was
// written before a restart is there after it. (Tooling of scripts/infra; needs Java, like it.)

function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const open = () => {
    if (child.exitCode !== null) throw new Error(`the MongoDB-wire server exited with ${child.exitCode}`);
    return new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  };
  return waitUntil(open, { intervalMs: 200, what: `port ${port} open` });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

test('the H2 backend keeps what was written across a restart of the server', async () => {
  const classpath = execFileSync('bash', [path.join(repoRoot, 'scripts/infra/mongo.sh'), 'classpath'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split('\n')
    .pop()!;
  const dir = mkdtempSync(path.join(tmpdir(), 'callsync-h2-'));
  const file = path.join(dir, 'callsync.mv.db');
  const port = await freePort();
  const start = async () => {
    const child = spawn(
      'java',
      ['-cp', classpath, 'org.callsync.mongo.MongoWireServer', String(port), 'h2', file],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port, child);
    return child;
  };
  const url = `mongodb://127.0.0.1:${port}`;
  let server = await start();
  try {
    const before = await connectMongo(url, 'restart_test');
    await before.db.collection('calls').insertMany([{ id: 'h2-1', sync_status: 'finished' }, { id: 'h2-2' }]);
    await before.db.collection('calls').updateOne({ id: 'h2-2' }, { $set: { sync_status: 'in_progress' } });
    await before.close();
    await stop(server);

    server = await start();
    const after = await connectMongo(url, 'restart_test');
    const calls = await after.db
      .collection('calls')
      .find({}, { projection: { _id: 0 } })
      .sort({ id: 1 })
      .toArray();
    await after.close();
    expect(calls).toEqual([
      { id: 'h2-1', sync_status: 'finished' },
      { id: 'h2-2', sync_status: 'in_progress' },
    ]);
  } finally {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  }
});
