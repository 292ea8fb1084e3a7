// Checks the query shapes a test run recorded (CALL_SYNC_QUERY_LOG, one JSON line per shape)
// against the one list of indexes in packages/platform/src/mongo.ts: every query must be served by
// an index, so real MongoDB never sorts a night of calls in memory. Run by scripts/test.mjs after
// jest; alone: node scripts/check-query-indexes.mjs <log file>.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Collections, indexes, unservedReason } = require(path.join(root, 'packages/platform/dist/index.js'));

export function checkQueryLog(file) {
  if (!existsSync(file)) return { shapes: 0, problems: [`no query log at ${file}: nothing was recorded`] };
  const shapes = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const shape = JSON.parse(line);
    shapes.set(JSON.stringify(shape), shape);
  }
  const problems = [];
  // The services' collections; tests of the MongoDB-wire server itself use scratch collections.
  const known = new Set(Object.values(Collections));
  for (const shape of shapes.values()) {
    if (!known.has(shape.collection)) continue;
    const reason = unservedReason(shape, indexes[shape.collection] ?? []);
    if (reason) problems.push(`${shape.command} on ${shape.collection}: ${reason}`);
  }
  return { shapes: shapes.size, problems: [...new Set(problems)].sort() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/check-query-indexes.mjs <query log>');
    process.exit(2);
  }
  const { shapes, problems } = checkQueryLog(file);
  if (problems.length > 0) {
    console.error(
      `[queries] ${problems.length} of ${shapes} query shapes have no index:\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`[queries] all ${shapes} query shapes the tests sent are served by an index`);
}
