// Topics and indexes are made by one Helm hook Job, `extractor migrate`, before the release's pods
// start (pre-install) or change (pre-upgrade), and the services start without creating them
// (ENSURE_SCHEMA_AT_START=false), so they need read/write rights only. A pre-install hook runs
// before any of the release's objects exist: every object the Job's pod refers to that the chart
// makes must itself be a hook of the same events, made before the Job (a lower weight), and
// replaced on the next run; what the chart does not make is the operator's, made beforehand.

import { helmBinary, renderChart, VALUES_FILES } from './chart';

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  serviceAccountName?: string;
  restartPolicy?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}
interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec: {
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    podSelector?: { matchLabels?: Record<string, string> };
    egress?: unknown[];
    template?: PodTemplate;
    jobTemplate?: { spec: { template: PodTemplate } };
  };
}

const HOOK_EVENTS = ['pre-install', 'pre-upgrade'];
/** `helm install` and `helm upgrade` wait this long for the hooks unless told otherwise. */
const HELM_DEFAULT_TIMEOUT_SECONDS = 300;
const SECRETS = [
  'secrets.create=true',
  'secrets.values.MONGODB_URL=mongodb://migrate:pw@mongo:27017/callsync',
  'secrets.values.API_TOKENS=ops:operator:0123456789abcdef',
  `secrets.values.SESSION_SECRET=${'s'.repeat(32)}`,
  'secrets.values.AIRTABLE_API_KEY=patSECRET',
];

const hookOf = (m: Manifest) => {
  const annotations = m.metadata.annotations ?? {};
  return {
    events: (annotations['helm.sh/hook'] ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean),
    weight: Number(annotations['helm.sh/hook-weight'] ?? 0),
    deletePolicy: (annotations['helm.sh/hook-delete-policy'] ?? '').split(',').map((p) => p.trim()),
  };
};
const isHook = (m: Manifest) => hookOf(m).events.length > 0;
const podTemplate = (m: Manifest) => m.spec.template ?? m.spec.jobTemplate?.spec.template;

function migrationJob(manifests: Manifest[]): Manifest | undefined {
  return manifests.find(
    (m) => m.kind === 'Job' && m.spec.template?.metadata.labels['app.kubernetes.io/component'] === 'migrate',
  );
}

/** The objects the Job's pod refers to, as kind/name. */
function referencesOf(pod: PodSpec): { kind: string; name: string; key?: string }[] {
  const refs: { kind: string; name: string; key?: string }[] = [];
  if (pod.serviceAccountName) refs.push({ kind: 'ServiceAccount', name: pod.serviceAccountName });
  for (const container of pod.containers) {
    for (const from of container.envFrom ?? [])
      if (from.configMapRef) refs.push({ kind: 'ConfigMap', name: from.configMapRef.name });
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) refs.push({ kind: 'Secret', name: ref.name, key: ref.key });
    }
  }
  return refs;
}

/** What a pre-install run of the migration would not find: objects the chart makes too late. */
function preInstallProblems(manifests: Manifest[]): string[] {
  const job = migrationJob(manifests);
  if (!job) return ['no migration Job'];
  const problems: string[] = [];
  const jobHook = hookOf(job);
  for (const event of HOOK_EVENTS)
    if (!jobHook.events.includes(event)) problems.push(`the Job is not a ${event} hook`);
  for (const ref of referencesOf(job.spec.template!.spec)) {
    const made = manifests.find((m) => m.kind === ref.kind && m.metadata.name === ref.name);
    if (!made) continue; // the operator's, made before the install
    const where = `${ref.kind} ${ref.name}`;
    const hook = hookOf(made);
    if (!isHook(made)) {
      problems.push(`${where} is made with the release, after the pre-install hook`);
      continue;
    }
    for (const event of HOOK_EVENTS)
      if (!hook.events.includes(event)) problems.push(`${where} is not made for ${event}`);
    if (hook.weight >= jobHook.weight) problems.push(`${where} is not made before the Job`);
    if (!hook.deletePolicy.includes('before-hook-creation'))
      problems.push(`${where} is not replaced on the next run`);
    if (ref.key && !(ref.key in (made.stringData ?? made.data ?? {})))
      problems.push(`${where} lacks ${ref.key}`);
  }
  return problems;
}

/** Each container of the release's workloads, with the plain variables it gets. */
function workloadEnvs(manifests: Manifest[]) {
  const configMaps = new Map(
    manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]),
  );
  return manifests
    .filter((m) => ['Deployment', 'CronJob'].includes(m.kind))
    .flatMap((m) =>
      podTemplate(m)!.spec.containers.map((container) => {
        const env: Record<string, string> = {};
        for (const from of container.envFrom ?? [])
          Object.assign(env, configMaps.get(from.configMapRef?.name ?? '') ?? {});
        for (const variable of container.env ?? [])
          if (variable.value !== undefined) env[variable.name] = variable.value;
        return { name: `${m.kind} ${m.metadata.name}`, env };
      }),
    );
}

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

const CASES: [name: string, file: string | undefined, set: string[]][] = [
  ...VALUES_FILES.map(([name, file]): [string, string | undefined, string[]] => [name, file, []]),
  ['a Secret the chart makes', undefined, SECRETS],
  [
    'a Secret the chart makes, Kafka over SASL',
    undefined,
    [
      ...SECRETS,
      'kafka.sasl.enabled=true',
      'secrets.values.KAFKA_SASL_USERNAME=callsync',
      'secrets.values.KAFKA_SASL_PASSWORD=kafka-secret',
    ],
  ],
  ['no ServiceAccount made by the chart', undefined, ['serviceAccount.create=false']],
];

test.each(CASES)(
  'the migration runs before an install and an upgrade, with what exists by then (%s)',
  (_name, file, set) => {
    const manifests = renderChart<Manifest>(helm, file, set);
    expect(preInstallProblems(manifests)).toEqual([]);
    const job = migrationJob(manifests)!;
    const [container] = job.spec.template!.spec.containers;
    expect(container!.image).toMatch(/\/extractor[:@]/);
    expect(container!.args).toEqual(['migrate']);
    // The copy holds the values being installed, the same as the release's own ConfigMap.
    const configMaps = manifests.filter((m) => m.kind === 'ConfigMap');
    const copy = configMaps.find((m) => m.metadata.name === container!.envFrom![0]!.configMapRef!.name)!;
    const own = configMaps.find((m) => !isHook(m) && m.data?.KAFKA_BROKERS !== undefined)!;
    expect(copy.data).toEqual(own.data);
  },
);

test.each(VALUES_FILES)(
  'the migration Job ends, is retried, is cleaned up and runs as the services do (%s)',
  (_name, file) => {
    const manifests = renderChart<Manifest>(helm, file);
    const job = migrationJob(manifests)!;
    const config = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-config'))!;
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(job.spec.activeDeadlineSeconds).toBeLessThanOrEqual(HELM_DEFAULT_TIMEOUT_SECONDS);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const pod = job.spec.template!.spec;
    const service = config.spec.template!.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toEqual(service.securityContext);
    expect(pod.containers[0]!.securityContext).toEqual(service.containers[0]!.securityContext);
    expect(pod.containers[0]!.resources?.limits?.memory).toBeDefined();
    // On an upgrade the previous release's policies still hold: the hook brings the egress it needs.
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
    const own = policies.find(
      (m) =>
        isHook(m) &&
        Object.entries(m.spec.podSelector?.matchLabels ?? {}).every(
          ([k, v]) => job.spec.template!.metadata.labels[k] === v,
        ),
    );
    const shared = policies.find((m) => m.metadata.name.endsWith('-default'))!;
    expect(own && hookOf(own).weight).toBeLessThan(hookOf(job).weight);
    expect(own?.spec.egress).toEqual(shared.spec.egress);
  },
);

test("a Secret the chart makes is copied for the hook with the migration's keys only", () => {
  const manifests = renderChart<Manifest>(helm, undefined, [
    ...SECRETS,
    'kafka.sasl.enabled=true',
    'secrets.values.KAFKA_SASL_USERNAME=callsync',
    'secrets.values.KAFKA_SASL_PASSWORD=kafka-secret',
  ]);
  const job = migrationJob(manifests)!;
  const secretRefs = referencesOf(job.spec.template!.spec).filter((r) => r.kind === 'Secret');
  expect(secretRefs.map((r) => r.key).sort()).toEqual([
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_USERNAME',
    'MONGODB_URL',
  ]);
  const copy = manifests.find((m) => m.kind === 'Secret' && m.metadata.name === secretRefs[0]!.name)!;
  expect(isHook(copy)).toBe(true);
  expect(copy.stringData).toEqual({
    MONGODB_URL: 'mongodb://migrate:pw@mongo:27017/callsync',
    KAFKA_SASL_USERNAME: 'callsync',
    KAFKA_SASL_PASSWORD: 'kafka-secret',
  });
});

test("migrations.existingSecret gives the migration credentials of its own, the services' untouched", () => {
  const manifests = renderChart<Manifest>(helm, undefined, [
    'migrations.existingSecret=call-sync-schema-admin',
    'kafka.sasl.enabled=true',
  ]);
  const job = migrationJob(manifests)!;
  const secrets = referencesOf(job.spec.template!.spec).filter((r) => r.kind === 'Secret');
  expect(new Set(secrets.map((r) => r.name))).toEqual(new Set(['call-sync-schema-admin']));
  const services = manifests
    .filter((m) => m.kind === 'Deployment')
    .flatMap((m) => referencesOf(m.spec.template!.spec).filter((r) => r.kind === 'Secret'));
  expect(services.map((r) => r.name)).not.toContain('call-sync-schema-admin');
});

test.each(VALUES_FILES)(
  'the services skip creating topics and indexes only when the hook makes them (%s)',
  (_name, file) => {
    const withHook = workloadEnvs(renderChart<Manifest>(helm, file));
    expect(withHook.length).toBeGreaterThan(3);
    expect(withHook.filter((w) => w.env.ENSURE_SCHEMA_AT_START !== 'false').map((w) => w.name)).toEqual([]);

    const manifests = renderChart<Manifest>(helm, file, ['migrations.enabled=false']);
    expect(migrationJob(manifests)).toBeUndefined();
    expect(manifests.filter((m) => isHook(m) && /migrate/.test(m.metadata.name))).toEqual([]);
    // Unset, every service creates what is missing when it starts (the variable's default).
    const without = workloadEnvs(manifests);
    expect(without.filter((w) => 'ENSURE_SCHEMA_AT_START' in w.env).map((w) => w.name)).toEqual([]);
  },
);
