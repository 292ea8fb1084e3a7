// Issue 12's proof that the dashboard and the alerts read metrics that exist: the pipeline runs as
// the demo runs it (sandboxes, config, van-writer, csv-writer, one extraction), a real Prometheus
// (Debian's, scripts/infra/prometheus.sh) scrapes the services, and then every query of every
// dashboard panel answers something and every metric an alert reads has a series from this run.
// A panel or an alert on a metric nobody exposes fails here. Build first: `npx tsc -b`.

import { freshServiceGroup } from '../support/consumer-groups';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseEnvLines, repoRoot } from '../servers';
import { uniqueName } from '../support/env';
import { freePort, startServiceProcess, type ServiceProcess } from '../support/service-process';
import { createWorld, NOW, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(240_000);

const RULES = path.join(repoRoot, 'helm/call-sync/files/prometheus-rules.yaml');
const DASHBOARD = path.join(repoRoot, 'helm/call-sync/files/grafana-dashboard.json');
const API_TOKEN = 'monitoring-test-token-0123456789';

interface Dashboard {
  panels: { title: string; type: string; targets?: { refId: string; expr: string }[] }[];
  templating: { list: { name: string; definition?: string }[] };
}
interface RuleFile {
  groups: { rules: { alert?: string; expr: string }[] }[];
}

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool',
  'offset', 'inf', 'nan', 'sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile',
  'stddev', 'stdvar', 'count_values', 'group',
]); // prettier-ignore

/** The metric names a PromQL expression reads (label names, functions and keywords left out). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // ranges
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (!name || call || PROMQL_WORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/** Grafana's variables, as the dashboard would expand them for "All candidates". */
function expandVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$__interval', '15s')
    .replaceAll('$candidate', '.*');
}

let prometheusUrl: string;
let targetsDir: string;
let world: World;
const services: { name: string; process: ServiceProcess }[] = [];
const scope = uniqueName('monitoring');
const targetFiles: string[] = [];

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: never[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

/** Series of the metric scraped from this test's services (the scope label is theirs only). */
const seriesOf = (name: string) => query(`{__name__="${name}", scope="${scope}"}`);

function register(file: string, groups: { port: string; service: string }[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const content = groups.map((g) => ({
    targets: [`127.0.0.1:${g.port}`],
    labels: { service: g.service, scope },
  }));
  writeFileSync(file, JSON.stringify(content));
  targetFiles.push(file);
}

function runExtractorScraped(env: Record<string, string>, port: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'services/extractor/dist/main.js'), 'extract', '--now', NOW],
      { env: { ...process.env, ...env, PORT: port }, stdio: 'ignore' },
    );
    child.once('exit', (code) => resolve(code));
  });
}

beforeAll(async () => {
  // Installs Debian's prometheus on first use; does nothing when it already runs.
  execFileSync('bash', [path.join(repoRoot, 'scripts/infra/prometheus.sh'), 'start'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 5 * 60_000,
  });
  const env = parseEnvLines(
    execFileSync('bash', [path.join(repoRoot, 'scripts/infra/prometheus.sh'), 'env'], { encoding: 'utf8' }),
  );
  prometheusUrl = env.PROMETHEUS_URL!;
  targetsDir = env.PROMETHEUS_TARGETS!;

  world = await createWorld({ candidates: 2, callsPerCandidate: 40, seed: 47 });
  world.env = { ...world.env, API_TOKENS: API_TOKEN };
  for (const name of ['config', 'van-writer', 'csv-writer'] as const) {
    const process = await startServiceProcess(name, {
      ...world.env,
      PORT: String(await freePort()),
      KAFKA_CONSUMER_GROUP: await freshServiceGroup(`monitoring-${name}`),
    });
    services.push({ name, process });
  }
  register(
    path.join(targetsDir, `${scope}.json`),
    services.map((s) => ({ port: new URL(s.process.url).port, service: s.name })),
  );
  const extractorPort = String(await freePort());
  register(path.join(targetsDir, 'one-shot', `${scope}.json`), [
    { port: extractorPort, service: 'extractor' },
  ]);
  expect(await runExtractorScraped(world.env, extractorPort)).toBe(0);
  await waitForRuns(world, 2, 120_000, async () => {
    // A service that died would leave the runs waiting for the whole timeout: say which, and why.
    const dead = services.find((s) => s.process.child.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited during the run:\n${dead.process.output()}`);
  }).catch((error: Error) => {
    const logs = services.map((s) => `--- ${s.name}\n${s.process.output().slice(-4_000)}`).join('\n');
    throw new Error(`${error.message}\n${logs}`);
  });
  // The operator API, read as a person would: config's latency panel has something to show.
  const config = services.find((s) => s.name === 'config')!.process;
  const listed = await fetch(`${config.url}/candidates`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  expect(listed.status).toBe(200);
});

afterAll(async () => {
  for (const file of targetFiles) rmSync(file, { force: true });
  await Promise.all(services.map((s) => s.process.stop()));
  await world?.close();
});

/** Waits until every name has a series from this run (scrapes come every second). */
async function missingAfterScrapes(names: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing: string[] = [];
    for (const name of names) if ((await seriesOf(name)).length === 0) missing.push(name);
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

test('the check can fail: a metric nobody exposes has no series, and names come out of PromQL', async () => {
  expect(await seriesOf('callsync_no_such_metric_total')).toEqual([]);
  expect(
    metricNames(
      'sum by (candidate) (rate(a_total{status=~"4..|x"}[5m])) / on () group_left max(b) > 0.1 * scalar(c) and hour() > 3',
    ).sort(),
  ).toEqual(['a_total', 'b', 'c']);
});

test('every metric an alert reads has series from the pipeline, and every alert expression is valid PromQL', async () => {
  const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
  expect(alerts.length).toBeGreaterThanOrEqual(12);
  const names = [...new Set(alerts.flatMap((a) => metricNames(a.expr)))];
  expect(await missingAfterScrapes(names)).toEqual([]);
  for (const alert of alerts) await expect(query(alert.expr)).resolves.toBeDefined();
});

test('every query of every dashboard panel answers with data from the pipeline', async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, refId: target.refId, expr: target.expr })),
  );
  expect(queries.length).toBeGreaterThan(10);
  const names = [
    ...new Set([
      ...queries.flatMap((q) => metricNames(expandVariables(q.expr))),
      ...dashboard.templating.list.flatMap((v) =>
        v.definition ? [/label_values\((\w+)/.exec(v.definition)?.[1] ?? ''] : [],
      ),
    ]),
  ].filter(Boolean);
  expect(await missingAfterScrapes(names)).toEqual([]);
  // A rate needs two scrapes of a series: give Prometheus a few more seconds before an empty
  // answer counts as a failure.
  const deadline = Date.now() + 30_000;
  let empty: string[] = [];
  do {
    empty = [];
    for (const q of queries) {
      if ((await query(expandVariables(q.expr))).length === 0)
        empty.push(`${q.panel} (${q.refId}): ${q.expr}`);
    }
    if (empty.length > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
  } while (empty.length > 0 && Date.now() < deadline);
  expect(empty).toEqual([]);
});
