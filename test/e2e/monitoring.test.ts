// The dashboard and the alerts, proven on the real services scraped the way the chart's
// ServiceMonitor has the Prometheus Operator scrape them: `honor_labels` off, and the target
// labels the operator attaches (job and service = the Service's name, endpoint = the port's name,
// namespace, pod, container), read from the rendered chart in k8s/. A metric label named like one
// of those comes out renamed `exported_*` and fails here; so does a panel whose series lack the
// labels its legend shows, or whose VAN endpoints collapse into one series. The pipeline runs as
// the demo runs it (sandboxes, config, van-writer, csv-writer, one extraction), then real failures
// (a run whose candidate has no VAN key, an extractor command that cannot read Airtable) make the
// run-failed, dead-letter and job-late alerts fire in a Prometheus of this test's own (Debian's),
// which loads the chart's rules. Build first: `npx tsc -b`.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { emptyRunCounts, RunState, VanSyncMessage } from '@call-sync/core';
import { createKafka, createLogger, createPublisher, Topics, type Publisher } from '@call-sync/platform';
import { newRunDocument, runsCollection } from '@call-sync/store';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../servers';
import { freshServiceGroup } from '../support/consumer-groups';
import { serverEnv, uniqueName } from '../support/env';
import {
  freePort,
  IMAGE_PRELOAD,
  type ServiceName,
  runServiceCommand,
  type ServiceProcess,
  startServiceProcess,
  TEST_LAUNCH,
  waitAtMost,
  waitUntil,
} from '@call-sync/testkit';
import { createWorld, NOW, runExtractor, waitForRuns, type World } from './pipeline-world';

jest.setTimeout(240_000);

const RULES = path.join(repoRoot, 'helm/call-sync/files/prometheus-rules.yaml');
const DASHBOARD = path.join(repoRoot, 'helm/call-sync/files/grafana-dashboard.json');
const RENDERED_CHART = path.join(repoRoot, 'k8s');
const NAMESPACE = 'call-sync';
const API_TOKEN = 'monitoring-test-token-0123456789';
const LONG_RUNNING = ['config', 'van-writer', 'csv-writer'] as const;
/** The labels the Prometheus Operator sets on every target of a ServiceMonitor. */
const TARGET_LABELS = new Set(['job', 'endpoint', 'namespace', 'pod', 'service', 'container', 'instance']);

interface Dashboard {
  panels: {
    title: string;
    type: string;
    targets?: { refId: string; expr: string; legendFormat?: string }[];
  }[];
  templating: { list: { name: string; definition?: string }[] };
}
interface RuleFile {
  groups: { rules: { alert?: string; expr: string }[] }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    ports?: { name: string }[];
    endpoints?: { port: string; path: string }[];
  };
}
type Series = { metric: Record<string, string>; value: [number, string] };

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

/** The labels a Grafana legend shows (`{{van_endpoint}} {{status}}`). */
const legendLabels = (legend: string | undefined): string[] =>
  [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);

/** Grafana's variables, as the dashboard would expand them for "All candidates". */
function expandVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$__interval', '15s')
    .replaceAll('$candidate', '.*');
}

/**
 * What the operator derives its scrape from: the ServiceMonitor's endpoint (its port name becomes
 * the `endpoint` label) and, per component, the Service that has that port (its name becomes
 * `job` and `service`).
 */
function operatorScrape(): { endpoint: string; path: string; serviceOf: Map<string, string> } {
  const manifests = readdirSync(RENDERED_CHART)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(RENDERED_CHART, file), 'utf8')).map(
        (doc) => doc.toJS() as Manifest | null,
      ),
    )
    .filter((m): m is Manifest => m !== null);
  const monitors = manifests.filter((m) => m.kind === 'ServiceMonitor');
  const endpoint = monitors[0]?.spec.endpoints?.[0];
  if (monitors.length !== 1 || !endpoint)
    throw new Error('k8s/ should hold one ServiceMonitor with an endpoint');
  const serviceOf = new Map<string, string>();
  for (const m of manifests) {
    const component = m.metadata.labels?.['app.kubernetes.io/component'];
    if (m.kind === 'Service' && component && m.spec.ports?.some((p) => p.name === endpoint!.port))
      serviceOf.set(component, m.metadata.name);
  }
  if ([...serviceOf.keys()].sort().join() !== [...LONG_RUNNING].sort().join())
    throw new Error(`k8s/ has metrics Services for ${[...serviceOf.keys()].join(', ')}`);
  return { endpoint: endpoint.port, path: endpoint.path, serviceOf };
}

let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusDir: string;
let world: World;
let publisher: Publisher | undefined;
const services: { name: ServiceName; process: ServiceProcess; metricsUrl: string }[] = [];
let scrape: ReturnType<typeof operatorScrape>;
const noKeyCandidate = uniqueName('no-key');

/**
 * When the one-shot extractor's final numbers were scraped. Once it exits, the next scrape of its
 * target fails and Prometheus marks its series stale, so a query at "now" finds them only if it
 * runs within a second of the exit; the panel checks evaluate at this instant instead.
 */
let oneShotFinalScrapeAt: number | undefined;

async function query(promql: string, at = oneShotFinalScrapeAt): Promise<Series[]> {
  const time = at === undefined ? '' : `&time=${at}`;
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}${time}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: never[] } };
  if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

const seriesOf = (name: string) => query(`{__name__="${name}"}`);

/** The scrape configuration the operator would generate for the chart's ServiceMonitor, by hand. */
function prometheusConfig(ports: Map<string, number>, extractorPort: number): string {
  const operatorTarget = (component: string) => {
    const service = scrape.serviceOf.get(component)!;
    return {
      targets: [`127.0.0.1:${ports.get(component)}`],
      labels: {
        job: service,
        service,
        endpoint: scrape.endpoint,
        namespace: NAMESPACE,
        pod: `${service}-5d8c7b9f6-${component.length}x4kq`,
        container: component,
      },
    };
  };
  return JSON.stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [RULES],
    scrape_configs: [
      {
        job_name: `serviceMonitor/${NAMESPACE}/call-sync/0`,
        honor_labels: false,
        metrics_path: scrape.path,
        static_configs: LONG_RUNNING.map(operatorTarget),
      },
      // The chart scrapes no CronJob pod; the extractor is scraped here only so the panels and
      // alerts that read its metrics have them, and outside the job CallSyncServiceDown watches.
      {
        job_name: 'one-shot',
        honor_labels: false,
        static_configs: [
          {
            targets: [`127.0.0.1:${extractorPort}`],
            labels: { namespace: NAMESPACE, pod: 'call-sync-extract-manual', container: 'extractor' },
          },
        ],
      },
    ],
  });
}

async function startPrometheus(config: string): Promise<void> {
  execFileSync('bash', [path.join(repoRoot, 'scripts/infra/prometheus.sh'), 'install'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 5 * 60_000,
  });
  prometheusDir = mkdtempSync(path.join(tmpdir(), 'callsync-prometheus-'));
  writeFileSync(path.join(prometheusDir, 'prometheus.yml'), config);
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  let output = '';
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${path.join(prometheusDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(prometheusDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitUntil(
    async () => {
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited:\n${output}`);
      return (await fetch(`${prometheusUrl}/-/ready`).catch(() => undefined))?.ok === true;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'Prometheus ready' },
  );
}

/** An extractor command scraped as a PodMonitor would scrape its pod, waiting for its last scrape. */
function runExtractorScraped(
  env: Record<string, string>,
  metricsPort: number,
  args = ['extract', '--now', NOW],
): Promise<number | null> {
  const { done } = runServiceCommand(
    'extractor',
    { ...env, METRICS_PORT: String(metricsPort), METRICS_FINAL_SCRAPE_WAIT_MS: '20000' },
    args,
    { preload: IMAGE_PRELOAD, outputLimit: 20_000 },
  );
  return done.then(({ code }) => code);
}

/** A live run of a candidate the configuration has no VAN key for, and its van-sync message. */
async function sendRunWithoutVanKey(): Promise<string> {
  const run = {
    ...newRunDocument({
      candidate: noKeyCandidate,
      trigger: 'schedule',
      window: { start: new Date('2026-10-20T04:00:00Z'), end: new Date('2026-10-21T04:00:00Z') },
      scheduledAt: new Date(NOW),
    }),
    state: RunState.Writing,
    strategy: 'full' as const,
    startedAt: new Date(),
    callsClaimed: 0,
    counts: emptyRunCounts(),
  };
  await runsCollection(world.mongo.db).insertOne(run);
  const kafka = createKafka(
    uniqueName('monitoring'),
    serverEnv().kafkaBrokers,
    createLogger('monitoring', 'silent'),
  );
  publisher = await createPublisher(kafka.kafka);
  await publisher.publish(Topics.VanSync, VanSyncMessage, [
    {
      key: run.runId,
      value: { v: 1, runId: run.runId, candidate: noKeyCandidate, callIds: [`${run.runId}-call`] },
    },
  ]);
  return run.runId;
}

beforeAll(async () => {
  scrape = operatorScrape();
  world = await createWorld({ candidates: 2, callsPerCandidate: 40, seed: 47 });
  world.env = { ...world.env, API_TOKENS: API_TOKEN };
  const metricsPorts = new Map<string, number>();
  for (const name of LONG_RUNNING) metricsPorts.set(name, await freePort());
  const extractorPort = await freePort();
  await startPrometheus(prometheusConfig(metricsPorts, extractorPort));

  for (const name of LONG_RUNNING) {
    const metricsPort = metricsPorts.get(name)!;
    const process = await startServiceProcess(
      name,
      {
        ...world.env,
        PORT: String(await freePort()),
        METRICS_PORT: String(metricsPort),
        KAFKA_CONSUMER_GROUP: await freshServiceGroup(`monitoring-${name}`),
      },
      TEST_LAUNCH,
    );
    services.push({ name, process, metricsUrl: `http://127.0.0.1:${metricsPort}${scrape.path}` });
  }
  expect(await runExtractorScraped(world.env, extractorPort)).toBe(0);
  const dead = () => services.find((s) => s.process.child.exitCode !== null);
  await waitForRuns(world, 2, 120_000, async () => {
    // A service that died would leave the runs waiting for the whole timeout: say which, and why.
    const gone = dead();
    if (gone) throw new Error(`${gone.name} exited during the run:\n${gone.process.output()}`);
  }).catch((error: Error) => {
    const logs = services.map((s) => `--- ${s.name}\n${s.process.output().slice(-4_000)}`).join('\n');
    throw new Error(`${error.message}\n${logs}`);
  });
  // The operator API, read as a person would: config's latency panel has something to show, and
  // a validation reads VAN's metadata, so more than one VAN endpoint has requests.
  const config = services.find((s) => s.name === 'config')!.process;
  const authorization = { authorization: `Bearer ${API_TOKEN}` };
  expect((await fetch(`${config.url}/candidates`, { headers: authorization })).status).toBe(200);
  const [first] = world.configuration.candidates.values();
  const validated = await fetch(`${config.url}/validate/${first!.candidate.slug}`, {
    headers: authorization,
  });
  expect(validated.status).toBe(200);

  // What the three alerts watch for, made to happen by the services themselves: the van-writer
  // fails a run it cannot post (no VAN key) and dead-letters its message; an extractor command
  // that cannot read Airtable records its failure, which config serves.
  // A counter's first sample holds no increase: Prometheus must have seen the van-writer's count
  // of dead letters before the one the alert is to catch.
  const deadLetters = `callsync_dead_letter_messages_total{job="${scrape.serviceOf.get('van-writer')}", topic="${Topics.VanSync}"}`;
  await waitUntil(async () => (await query(deadLetters)).length > 0, {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: "the van-writer's dead-letter count scraped",
  });
  const runId = await sendRunWithoutVanKey();
  await waitUntil(
    async () => (await runsCollection(world.mongo.db).findOne({ _id: runId }))?.state === RunState.Failed,
    {
      timeoutMs: 60_000,
      what: 'the run without a VAN key failed by the van-writer',
    },
  );
  const audit = await runExtractor({ ...world.env, AIRTABLE_API_KEY: 'patWrongKey.0000' }, ['audit-reports']);
  expect(audit.code).toBe(1);
  // An audit that finds reports missing, for the dashboard's audit panels: run on a database of
  // its own (no report in it), so the world's audit-reports record stays the failed one above.
  const auditDatabase = uniqueName('monitoring-audit');
  try {
    expect(
      await runExtractorScraped({ ...world.env, MONGODB_DATABASE: auditDatabase }, extractorPort, [
        'audit-reports',
      ]),
    ).toBe(2);
  } finally {
    await world.mongo.client.db(auditDatabase).dropDatabase();
  }
  // The last raw sample of the gauge the one-shot sets for its final scrape: a range selector
  // returns samples, stale or not.
  const [done] = await query('callsync_job_work_done[15m]', Date.now() / 1000);
  const samples = (done as unknown as { values?: [number, string][] } | undefined)?.values ?? [];
  oneShotFinalScrapeAt = samples.length > 0 ? samples[samples.length - 1]![0] : undefined;
});

afterAll(async () => {
  await publisher?.disconnect();
  await Promise.all(services.map((s) => s.process.stop()));
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  }
  if (prometheusDir) rmSync(prometheusDir, { recursive: true, force: true });
  await world?.close();
});

/** Waits until every name has a series (scrapes come every second). */
async function missingAfterScrapes(names: string[], timeoutMs = 30_000): Promise<string[]> {
  let missing: string[] = [];
  await waitAtMost(
    async () => {
      missing = [];
      for (const name of names) if ((await seriesOf(name)).length === 0) missing.push(name);
      return missing.length === 0;
    },
    { timeoutMs, intervalMs: 1_000 },
  );
  return missing;
}

/** A label's values in the services' own /metrics text, read without Prometheus. */
async function labelValuesServed(metric: string, label: string): Promise<Set<string>> {
  const values = new Set<string>();
  const pattern = new RegExp(`^${metric}\\{[^}]*\\b${label}="([^"]*)"`);
  for (const s of services) {
    const text = await (await fetch(s.metricsUrl)).text();
    for (const line of text.split('\n')) {
      const value = pattern.exec(line)?.[1];
      if (value !== undefined) values.add(value);
    }
  }
  return values;
}

test('the check can fail: a metric nobody exposes has no series, and names come out of PromQL', async () => {
  expect(await seriesOf('callsync_no_such_metric_total')).toEqual([]);
  expect(
    metricNames(
      'sum by (candidate) (rate(a_total{status=~"4..|x"}[5m])) / on () group_left max(b) > 0.1 * scalar(c) and hour() > 3',
    ).sort(),
  ).toEqual(['a_total', 'b', 'c']);
  expect(legendLabels('{{van_endpoint}} {{ status }} x')).toEqual(['van_endpoint', 'status']);
});

test("every service is scraped with the operator's target labels, and no metric label clashes with them", async () => {
  await waitUntil(async () => (await query('up == 1')).length >= LONG_RUNNING.length, {
    timeoutMs: 30_000,
    what: 'the services scraped',
  });
  const up = await query(`up{namespace="${NAMESPACE}", endpoint="${scrape.endpoint}"}`);
  expect(up.map((s) => [s.metric.job, s.metric.service, s.value[1]]).sort()).toEqual(
    LONG_RUNNING.map((c) => [scrape.serviceOf.get(c), scrape.serviceOf.get(c), '1']).sort(),
  );
  // Prometheus renames a metric's own label that a target label already holds: any exported_*
  // label is a clash (a metric labelled job, endpoint, service, pod, namespace, ...).
  const names = (await (await fetch(`${prometheusUrl}/api/v1/labels`)).json()) as { data: string[] };
  expect(names.data.filter((name) => name.startsWith('exported_'))).toEqual([]);
  expect(
    await query(`callsync_process_cpu_seconds_total{job="${scrape.serviceOf.get('config')}"}`),
  ).toHaveLength(1);
});

test('every metric an alert reads has series from the pipeline, and every alert expression is valid PromQL', async () => {
  const rules = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
  expect(alerts.length).toBeGreaterThanOrEqual(12);
  const names = [...new Set(alerts.flatMap((a) => metricNames(a.expr)))];
  expect(await missingAfterScrapes(names)).toEqual([]);
  for (const alert of alerts) await expect(query(alert.expr)).resolves.toBeDefined();
});

test('every query of every dashboard panel answers with the labels its legend shows, one series per VAN endpoint', async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      refId: target.refId,
      expr: expandVariables(target.expr),
      legend: legendLabels(target.legendFormat),
    })),
  );
  expect(queries.length).toBeGreaterThan(10);
  const names = [
    ...new Set([
      ...queries.flatMap((q) => metricNames(q.expr)),
      ...dashboard.templating.list.flatMap((v) =>
        v.definition ? [/label_values\((\w+)/.exec(v.definition)?.[1] ?? ''] : [],
      ),
    ]),
  ].filter(Boolean);
  expect(await missingAfterScrapes(names)).toEqual([]);

  // The values a legend label must show, where the pipeline decides them: every VAN endpoint
  // template the services requested, every extractor command that recorded a run, every Service.
  const vanEndpoints = await labelValuesServed('van_requests_total', 'van_endpoint');
  expect(vanEndpoints.size).toBeGreaterThan(1);
  const commands = new Set(
    (await world.mongo.db.collection<{ _id: string }>('job_runs').find().toArray()).map((j) => j._id),
  );
  expect(commands).toEqual(new Set(['extract', 'audit-reports']));
  const serviceNames = new Set(scrape.serviceOf.values());

  // A panel passes at the one-shot's final scrape (the only moment its series are live) or, for
  // the long-running services' series, at "now": a rate over a series config created just before
  // that scrape may have had a single sample then, and only later ones show it.
  const problems = async (q: (typeof queries)[number]): Promise<string[]> => {
    const atOneShot = await problemsAt(q, oneShotFinalScrapeAt);
    return atOneShot.length === 0 ? [] : problemsAt(q, Date.now() / 1000);
  };
  const problemsAt = async (q: (typeof queries)[number], at: number | undefined): Promise<string[]> => {
    const where = `${q.panel} (${q.refId})`;
    const result = await query(q.expr, at);
    if (result.length === 0) return [`${where}: no data from ${q.expr}`];
    const found: string[] = [];
    const aboutTargets = metricNames(q.expr).every((name) => name === 'up');
    for (const label of q.legend) {
      const values = result.map((s) => s.metric[label] ?? '');
      if (values.includes('')) found.push(`${where}: a series without ${label}`);
      const shown = new Set(values);
      // Under the operator these hold the target's values, whatever the metric said.
      if (TARGET_LABELS.has(label) && !aboutTargets)
        found.push(`${where}: groups a metric by the target label ${label}`);
      if (label === 'service' && [...shown].sort().join() !== [...serviceNames].sort().join())
        found.push(`${where}: service shows ${[...shown].join(', ')}`);
      if (label === 'command' && (![...shown].every((c) => commands.has(c)) || !shown.has('extract')))
        found.push(`${where}: command shows ${[...shown].join(', ')}`);
      // The extractor's metadata reads add endpoints the long-running services never call; a
      // panel of the extractor's own requests shows only those.
      const ofExtractor = q.expr.includes('component="extractor"');
      if (label === 'van_endpoint' && !ofExtractor && ![...vanEndpoints].every((e) => shown.has(e)))
        found.push(
          `${where}: van_endpoint shows ${[...shown].join(', ')}, not each of ${[...vanEndpoints].join(', ')}`,
        );
      if (label === 'van_endpoint' && q.legend.length === 1 && shown.size !== result.length)
        found.push(`${where}: ${result.length} series for ${shown.size} VAN endpoints`);
    }
    return found;
  };
  // A rate needs two scrapes of a series: give Prometheus a few more seconds before an empty
  // answer counts as a failure.
  let found: string[] = [];
  await waitAtMost(
    async () => {
      found = [];
      for (const q of queries) found.push(...(await problems(q)));
      return found.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 1_000 },
  );
  expect(found).toEqual([]);
});

test('the run-failed, dead-letter and job-late alerts fire in Prometheus on what the services report', async () => {
  const firing = async () => {
    const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
    const body = (await response.json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    return body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels);
  };
  const wanted = [
    { alertname: 'CallSyncRunFailed', candidate: noKeyCandidate },
    { alertname: 'CallSyncDeadLetters', topic: Topics.VanSync },
    { alertname: 'CallSyncJobNotSucceededOnTime', command: 'audit-reports' },
  ];
  const missing = async () => {
    const now = await firing();
    return wanted.filter((w) => !now.some((labels) => Object.entries(w).every(([k, v]) => labels[k] === v)));
  };
  await waitUntil(async () => (await missing()).length === 0, {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: 'the three alerts firing',
  }).catch(async (error: Error) => {
    throw new Error(
      `${error.message}; not firing: ${JSON.stringify(await missing())}; firing: ${JSON.stringify(await firing())}`,
    );
  });
  // Only the extractor command that failed is late: extract succeeded in this run.
  expect((await firing()).filter((l) => l.alertname === 'CallSyncJobNotSucceededOnTime')).toEqual([
    expect.objectContaining({ command: 'audit-reports' }),
  ]);
});
