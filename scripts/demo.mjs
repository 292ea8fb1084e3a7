// `npm run demo`: the whole system on this machine, on local defaults: the real servers (Kafka,
// MongoDB-wire, S3), the outside-API sandboxes loaded with the demo fixture, the four services;
// then the demo candidates' calls go into Mongo, one extraction runs (as the nightly CronJob
// would), and once the runs complete it prints their summaries, reports, CSV links and pages.
//   npm run demo            start, show, stop again
//   npm run demo -- --keep  leave everything running until Ctrl-C (to browse the pages)
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root, setup } from './setup.mjs';

const require = createRequire(import.meta.url);

const keep = process.argv.includes('--keep');
const children = [];
const targetFiles = [];

/**
 * Registers services with the local Prometheus (file_sd: it picks the file up within a second),
 * with the target labels the Prometheus Operator would set from the chart's Services.
 * `one-shot` targets (the extractor) are kept out of the job whose down targets page someone.
 */
function registerScrapeTargets(dir, name, services, { oneShot = false } = {}) {
  const folder = oneShot ? path.join(dir, 'one-shot') : dir;
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${name}.json`);
  const labels = (s) =>
    oneShot
      ? { namespace: 'demo', pod: s.name }
      : {
          job: `call-sync-${s.name}`,
          service: `call-sync-${s.name}`,
          endpoint: 'metrics',
          namespace: 'demo',
          pod: s.name,
        };
  const groups = services.map((s) => ({ targets: [`127.0.0.1:${s.port}`], labels: labels(s) }));
  writeFileSync(file, JSON.stringify(groups, null, 2));
  targetFiles.push(file);
}

function infra(...args) {
  return execFileSync('bash', [path.join(root, 'scripts/infra/infra.sh'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function parseEnv(text) {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}

async function waitReady(name, url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

function startProcess(name, script, env, args = []) {
  // The services start as their images start them: the OpenTelemetry SDK preloaded (off without
  // OTEL_EXPORTER_OTLP_ENDPOINT).
  const preload = script.startsWith('services/')
    ? ['--require', path.join(root, 'packages/platform/dist/instrumentation.js')]
    : [];
  const child = spawn(process.execPath, [...preload, path.join(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push({ name, child });
  return child;
}

async function stopAll() {
  for (const file of targetFiles) rmSync(file, { force: true });
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function main() {
  await setup();
  console.log('\n[demo] starting the local servers (first time: installs them, several minutes)');
  infra('up');
  const serverEnv = parseEnv(infra('env'));
  const common = {
    ...serverEnv,
    MONGODB_DATABASE: 'callsync_demo',
    S3_BUCKET: 'callsync-demo',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The outside APIs: VAN, Airtable and Livevox stand-ins, seeded from sandbox/fixtures/demo.json.
  const sandbox = startProcess('sandbox', 'sandbox/dist/main.js', {});
  const sandboxUrls = { van: 'http://127.0.0.1:18081', airtable: 'http://127.0.0.1:18082' };
  await waitListening('sandbox', `${sandboxUrls.van}/__sandbox/knobs`, sandbox);
  const { SEED_AIRTABLE_BASE_ID, SEED_AIRTABLE_TOKEN, SEED_VAN_APPLICATION_NAME, loadFixture } = require(
    path.join(root, 'sandbox/dist/index.js'),
  );
  const pipelineEnv = {
    AIRTABLE_API_KEY: SEED_AIRTABLE_TOKEN,
    AIRTABLE_BASE_ID: SEED_AIRTABLE_BASE_ID,
    AIRTABLE_ENDPOINT_URL: sandboxUrls.airtable,
    VAN_API_URL: sandboxUrls.van,
    VAN_APPLICATION_NAME: SEED_VAN_APPLICATION_NAME,
    API_TOKENS: 'demo-token-0123456789abcdef',
  };

  const { MongoClient } = require(path.join(root, 'node_modules/mongodb'));
  const mongo = new MongoClient(serverEnv.MONGODB_URL, { retryWrites: false });
  await mongo.connect();
  const db = mongo.db(common.MONGODB_DATABASE);
  // A clean demo each time: the previous demo's calls, runs and reports go.
  await db.dropDatabase();
  const fixture = loadFixture();
  const seeded = await seedCalls(db, fixture, pipelineEnv);
  console.log(
    `\n[demo] ${seeded} calls of the demo candidates stored in MongoDB (database ${common.MONGODB_DATABASE})`,
  );

  const services = [
    { name: 'config', port: 8080 },
    { name: 'van-writer', port: 8082 },
    { name: 'csv-writer', port: 8083 },
  ];
  for (const service of services) {
    const child = startProcess(service.name, `services/${service.name}/dist/main.js`, {
      ...common,
      ...pipelineEnv,
      PORT: String(service.port),
    });
    try {
      await waitReady(service.name, `http://127.0.0.1:${service.port}`, child);
    } catch (error) {
      // The pipeline does not need config to run; without it the reports are built here.
      if (service.name !== 'config') throw error;
      console.log(`[demo] config did not start (${error.message}); continuing without its pages and reports`);
    }
  }
  registerScrapeTargets(serverEnv.PROMETHEUS_TARGETS, 'demo', services);
  console.log('\n[demo] everything is up:');
  console.log(`  Kafka            ${serverEnv.KAFKA_BROKERS}`);
  console.log(`  MongoDB-wire     ${serverEnv.MONGODB_URL}`);
  console.log(`  S3 (SeaweedFS)   ${serverEnv.S3_ENDPOINT}`);
  console.log(`  VAN sandbox      ${sandboxUrls.van}/v4/  (journal: ${sandboxUrls.van}/__sandbox/journal)`);
  console.log(`  Airtable sandbox ${sandboxUrls.airtable}/v0/`);
  console.log(
    `  Prometheus       ${serverEnv.PROMETHEUS_URL}  (scrapes the services below; alerts: ${serverEnv.PROMETHEUS_URL}/alerts)`,
  );
  for (const s of services) {
    console.log(`  ${s.name.padEnd(16)} http://127.0.0.1:${s.port}  (/healthz /readyz /metrics)`);
  }

  // The nightly run, as the CronJob starts it, at 23:30 Eastern on the fixture's day (both demo
  // Sync Times, 21:00 and 22:00, have come).
  const now = demoNow(fixture);
  console.log(`\n[demo] extractor: extract --now ${now}`);
  const started = Date.now();
  registerScrapeTargets(serverEnv.PROMETHEUS_TARGETS, 'demo-extractor', [{ name: 'extractor', port: 8081 }], {
    oneShot: true,
  });
  const extractor = startProcess(
    'extractor',
    'services/extractor/dist/main.js',
    { ...common, ...pipelineEnv, PORT: '8081' },
    ['extract', '--now', now],
  );
  const code = await new Promise((resolve) => extractor.once('exit', resolve));
  if (code !== 0) throw new Error(`the extractor exited with ${code}`);
  const runs = await waitRunsFinished(db, 120_000);
  console.log(`[demo] ${runs.length} runs finished in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  await printRuns(db, runs);
  // The operator API, as a person or a script would read it (it also shows on the dashboard's
  // config latency panel).
  const listed = await fetch('http://127.0.0.1:8080/runs', {
    headers: { authorization: `Bearer ${pipelineEnv.API_TOKENS}`, accept: 'application/json' },
  }).catch(() => undefined);
  if (listed) console.log(`[demo] operator API: GET /runs answered ${listed.status}`);
  console.log(
    `[demo] metrics in Prometheus: ${serverEnv.PROMETHEUS_URL}/graph?g0.expr=callsync_runs  alerts: ${serverEnv.PROMETHEUS_URL}/alerts`,
  );
  await mongo.close();
  if (keep) {
    console.log('\n[demo] running until Ctrl-C');
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  await stopAll();
  console.log('[demo] services stopped; the servers stay up (npm run infra:down stops them)');
}

async function waitListening(name, url, child, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} did not answer at ${url}`);
}

/** 23:30 Eastern on the fixture's day, as an ISO instant. */
function demoNow(fixture) {
  const core = require(path.join(root, 'packages/core/dist/index.js'));
  const day = core.parseEasternDay(core.easternDayOf(new Date(fixture.livevox.calls[0].startMs)));
  return core.easternInstant({ ...day, hour: 23, minute: 30, second: 0 }).toISOString();
}

/** The fixture's dialer calls, stored as the config service's import would store them. */
async function seedCalls(db, fixture, env) {
  const core = require(path.join(root, 'packages/core/dist/index.js'));
  const integrations = require(path.join(root, 'packages/integrations/dist/index.js'));
  const airtable = integrations.createAirtableClient({
    apiKey: env.AIRTABLE_API_KEY,
    baseId: env.AIRTABLE_BASE_ID,
    endpointUrl: env.AIRTABLE_ENDPOINT_URL,
  });
  const configuration = integrations.parseConfiguration(await integrations.readConfigurationTables(airtable));
  const slugByDistrict = new Map(
    [...configuration.candidates.values()].map((c) => [c.candidate.district, c.candidate.slug]),
  );
  const calls = [];
  fixture.livevox.calls.forEach((fixtureCall, index) => {
    const outcome = core.parseLivevoxExportRow({ ...fixtureCall.row }, index + 2, {
      termCodes: configuration.termCodes,
      clientForDistrict: (district) => slugByDistrict.get(district),
      serviceName: fixtureCall.row.service_name,
    });
    if (outcome.kind === 'call') calls.push(outcome.call);
  });
  await db.collection('calls').createIndex({ id: 1 }, { unique: true, name: 'id_unique' });
  if (calls.length > 0) await db.collection('calls').insertMany(calls);
  return calls.length;
}

async function waitRunsFinished(db, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await db.collection('runs').find().sort({ candidate: 1 }).toArray();
    if (runs.length > 0 && runs.every((r) => r.state === 'completed' || r.state === 'failed')) return runs;
    if (Date.now() > deadline)
      throw new Error(`runs not finished: ${runs.map((r) => `${r.candidate} ${r.state}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function printRuns(db, runs) {
  const core = require(path.join(root, 'packages/core/dist/index.js'));
  // The config service writes a report per finished run; give it a moment.
  const deadline = Date.now() + 10_000;
  let reports = [];
  while (Date.now() < deadline) {
    reports = await db
      .collection('reports')
      .find({ runId: { $in: runs.map((r) => r.runId) } })
      .toArray();
    if (reports.length >= runs.length) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  for (const run of runs) {
    const seconds =
      run.startedAt && run.finishedAt ? ((run.finishedAt - run.startedAt) / 1000).toFixed(1) : '?';
    const counts = Object.entries(run.counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ');
    console.log(
      `== ${run.candidate} (${run.strategy}) — ${run.state} in ${seconds} s; ${run.callsClaimed} calls: ${counts}`,
    );
    console.log(
      `   VAN requests used: ${run.vanRequestsUsed ?? 0}${run.error ? `; error: ${run.error}` : ''}`,
    );
    if (run.csvUrl) console.log(`   results CSV (2 days): ${run.csvUrl}`);
    if (run.callerCsvUrl) console.log(`   caller file (2 days): ${run.callerCsvUrl}`);
    const stored = reports.find((r) => r.runId === run.runId);
    let report;
    if (stored) {
      report = { subject: stored.subject, text: stored.text, source: 'stored by the config service' };
    } else {
      const byName = await db
        .collection('calls')
        .aggregate([{ $match: { run_id: run.runId } }, { $group: { _id: '$display_name', n: { $sum: 1 } } }])
        .toArray();
      const built = core.buildReport({
        candidate: run.candidate,
        strategy: run.strategy ?? 'full',
        system: run.strategy === 'all csv' ? 'csv' : 'van',
        window: run.window,
        totalCalls: run.callsClaimed,
        countsByStatus: run.counts,
        countsByDisplayName: Object.fromEntries(byName.map((g) => [g._id ?? '(no display name)', g.n])),
        ...(run.csvUrl ? { csvUrl: run.csvUrl } : {}),
      });
      report = { ...built, source: "built here with core's buildReport (the config service wrote none)" };
    }
    console.log(
      `   report (${report.source}):\n     Subject: ${report.subject}\n     ${report.text.split('\n').join('\n     ')}`,
    );
    console.log(
      `   pages: http://127.0.0.1:8080/configure/${run.candidate}  http://127.0.0.1:8080/validate/${run.candidate}\n`,
    );
  }
  console.log('  runs: http://127.0.0.1:8080/runs   VAN journal: http://127.0.0.1:18081/__sandbox/journal');
}

main().catch(async (error) => {
  console.error(`[demo] failed: ${error.message}`);
  await stopAll();
  process.exit(1);
});
