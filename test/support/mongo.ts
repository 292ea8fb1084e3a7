import { connectMongo } from '@call-sync/platform';

/**
 * Drops a test's database when the test is done: the local MongoDB-wire server keeps every
 * database in memory until it is dropped, and a full run would otherwise exhaust its heap.
 */
export async function dropTestDatabase(mongoUrl: string, database: string): Promise<void> {
  const connection = await connectMongo(mongoUrl, database);
  try {
    await connection.db.dropDatabase();
  } finally {
    await connection.close();
  }
}
