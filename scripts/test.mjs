// `npm test`: installs and builds what is missing, then runs every test with jest. The real servers
// the integration tests need are found or started by jest's global set-up (test/global-setup.ts).
//   npm test                  all tests
//   npm test -- <pattern>     the tests whose path matches
//   npm run test:unit         only the pure ones, named *.unit.test.ts: no server is started, so
//                             one that needs a server fails there
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, setup } from './setup.mjs';

await setup();
const args = process.argv.slice(2);
const unitOnly = args[0] === '--unit';
// The page tests drive Debian's chromium: installed on first use, like the servers.
if (!unitOnly && !existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
  const install = spawnSync('bash', [path.join(root, 'scripts', 'install-chromium.sh')], {
    stdio: 'inherit',
  });
  if (install.status !== 0) console.error('[test] chromium could not be installed; the page tests will fail');
}
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
if (unitOnly) {
  args.shift();
  env.CALL_SYNC_SKIP_INFRA = '1';
  args.push('--testPathPattern', '\\.unit\\.test\\.ts$');
}
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
// Every query the tests send to MongoDB (services included, through the environment) is recorded,
// then checked against the one list of indexes: a query no index serves fails the run.
const queryLog = unitOnly
  ? undefined
  : path.join(mkdtempSync(path.join(tmpdir(), 'call-sync-queries-')), 'queries.jsonl');
if (queryLog) env.CALL_SYNC_QUERY_LOG = queryLog;
// jest's own summary is kept; its JSON report gives the plain closing line CI tools read.
const reportDir = mkdtempSync(path.join(tmpdir(), 'call-sync-jest-'));
const report = path.join(reportDir, 'results.json');
const result = spawnSync(process.execPath, [jest, ...args, '--json', `--outputFile=${report}`], {
  cwd: root,
  stdio: 'inherit',
  env,
});
if (existsSync(report)) {
  const totals = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = totals.numPendingTests + totals.numTodoTests;
  // A suite that fails to run (a syntax error, a crashed worker) has no failed test of its own:
  // it counts as one failure, or the line would read "0 failed" under a failing run.
  const failed = totals.numFailedTests + totals.numRuntimeErrorTestSuites;
  console.log(
    `\n${totals.numPassedTests} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : ''),
  );
}
rmSync(reportDir, { recursive: true, force: true });
let status = result.status ?? 1;
if (queryLog) {
  const { checkQueryLog } = await import('./check-query-indexes.mjs');
  const { shapes, problems } = checkQueryLog(queryLog);
  if (problems.length > 0) {
    console.error(
      `[queries] ${problems.length} of ${shapes} query shapes have no index:\n  ${problems.join('\n  ')}`,
    );
    status = status || 1;
  } else console.log(`[queries] all ${shapes} query shapes the tests sent are served by an index`);
  rmSync(path.dirname(queryLog), { recursive: true, force: true });
}
process.exit(status);
