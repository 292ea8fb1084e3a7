// The chart's NetworkPolicies, rendered with every values file the repository ships, let each
// pod reach what its configuration names and no more: every Kafka broker, MongoDB, S3, VAN,
// Airtable, Livevox and the OTLP collector on its port, through a peer that can be that address
// (a public host only through a public ipBlock, a cluster Service only through a peer of its
// namespace); no rule opens a port nothing names, opens every port, or opens to any address a
// port another rule keeps to some peers (which would void that rule); and no public ipBlock lets
// the private ranges back in.

import { helmBinary, renderChart, VALUES_FILES } from './chart';

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
/** MONGODB_URL is a Secret, which a render does not show: MongoDB's own port stands for it. */
const MONGODB_PORT = 27017;

interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}
interface EgressRule {
  to?: Peer[];
  ports?: { protocol?: string; port?: number | string }[];
}
interface PodSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Container {
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[] };
}
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec: {
    podSelector?: PodSelector;
    policyTypes?: string[];
    egress?: EgressRule[];
    template?: PodTemplate;
    jobTemplate?: { spec: { template: PodTemplate } };
  };
}
interface Destination {
  what: string;
  port: number;
  /** A cluster Service's namespace; undefined for a host outside the cluster. */
  namespace?: string;
  /** Unknown (MongoDB): only the port is checked. */
  host?: string;
}

const selects = (selector: PodSelector, labels: Record<string, string>): boolean =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).every((e) =>
    e.operator === 'In'
      ? (e.values ?? []).includes(labels[e.key] ?? '')
      : e.operator === 'Exists'
        ? e.key in labels
        : false,
  );

/** host:port or a URL, with the scheme's port when none is written. */
function address(what: string, value: string): Destination {
  const url = new URL(/^[a-z]+:\/\//.test(value) ? value : `tcp://${value}`);
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  const host = url.hostname;
  if (host.includes('.') && !/\.svc(\.cluster\.local)?$/.test(host)) return { what, port, host };
  // service, service.namespace, service.namespace.svc[.cluster.local], pod.service.namespace.svc
  const parts = host.replace(/\.svc(\.cluster\.local)?$/, '').split('.');
  return { what, port, host, namespace: parts.length > 1 ? parts.at(-1)! : '(release namespace)' };
}

/** What a pod's configuration tells it to reach. */
function destinations(env: Record<string, string>): Destination[] {
  const found: Destination[] = [];
  for (const broker of (env.KAFKA_BROKERS ?? '').split(',').filter(Boolean))
    found.push(address('Kafka', broker));
  found.push({ what: 'MongoDB', port: MONGODB_PORT });
  found.push(address('S3', env.S3_ENDPOINT || `https://s3.${env.S3_REGION ?? 'us-east-1'}.amazonaws.com`));
  const urls = {
    VAN: env.VAN_API_URL,
    Airtable: env.AIRTABLE_ENDPOINT_URL,
    Livevox: env.LIVEVOX_API_URL,
    OTLP: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  };
  for (const [what, url] of Object.entries(urls)) if (url) found.push(address(what, url));
  return found;
}

const ipv4 = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
function cidrContains(outer: string, inner: string): boolean {
  const [outerIp, outerBits] = outer.split('/');
  const [innerIp, innerBits] = inner.split('/');
  if (Number(innerBits) < Number(outerBits)) return false;
  const size = 2 ** (32 - Number(outerBits));
  return Math.floor(ipv4(innerIp!) / size) === Math.floor(ipv4(outerIp!) / size);
}
const excludesPrivate = (block: { cidr: string; except?: string[] }) =>
  PRIVATE_RANGES.every(
    (range) => !cidrContains(block.cidr, range) || (block.except ?? []).some((e) => cidrContains(e, range)),
  );
const admitsPublic = (block: { cidr: string }) => block.cidr === '0.0.0.0/0';

/** Whether a peer can be the destination's address. */
function peerAdmits(peer: Peer, destination: Destination): boolean {
  if (destination.host === undefined) return true;
  if (destination.namespace === undefined) return peer.ipBlock !== undefined && admitsPublic(peer.ipBlock);
  if (peer.ipBlock) return !excludesPrivate(peer.ipBlock);
  const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
  return namespace === undefined || namespace === destination.namespace;
}

const rulePorts = (rule: EgressRule): number[] => (rule.ports ?? []).map((p) => Number(p.port));
const anyAddress = (rule: EgressRule) => !rule.to || rule.to.length === 0;

/** What is wrong with the egress of one pod, given its configuration. */
function egressProblems(rules: EgressRule[], wanted: Destination[]): string[] {
  const problems: string[] = [];
  for (const destination of wanted) {
    const admitted = rules.some(
      (rule) =>
        rulePorts(rule).includes(destination.port) &&
        (anyAddress(rule) || rule.to!.some((peer) => peerAdmits(peer, destination))),
    );
    if (!admitted)
      problems.push(`${destination.what} (${destination.host ?? '?'}:${destination.port}) is not reachable`);
  }
  const named = new Set([53, ...wanted.map((d) => d.port)]);
  rules.forEach((rule, index) => {
    if (!rule.ports?.length) problems.push(`egress rule ${index} opens every port`);
    for (const port of rulePorts(rule)) {
      if (!named.has(port)) problems.push(`egress rule ${index} opens port ${port}, which nothing names`);
      const kept = rules.findIndex((other) => !anyAddress(other) && rulePorts(other).includes(port));
      if (anyAddress(rule) && kept >= 0)
        problems.push(`egress rule ${index} opens port ${port} to any address, voiding rule ${kept}'s peers`);
    }
    for (const peer of rule.to ?? []) {
      if (peer.ipBlock && admitsPublic(peer.ipBlock) && !excludesPrivate(peer.ipBlock))
        problems.push(`egress rule ${index} lets the private ranges in through ${peer.ipBlock.cidr}`);
    }
  });
  return problems;
}

/** Every pod of the render: its component, egress rules and the destinations its env names. */
function podsOf(manifests: Manifest[]) {
  const configMaps = new Map(
    manifests.filter((m) => m.kind === 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]),
  );
  const policies = manifests.filter(
    (m) => m.kind === 'NetworkPolicy' && (m.spec.policyTypes ?? []).includes('Egress'),
  );
  return manifests.flatMap((m) => {
    if (!['Deployment', 'CronJob', 'Job'].includes(m.kind)) return [];
    const template = m.spec.template ?? m.spec.jobTemplate?.spec.template;
    if (!template) return [];
    const labels = template.metadata.labels;
    return template.spec.containers.map((container) => {
      const env: Record<string, string> = {};
      for (const from of container.envFrom ?? [])
        Object.assign(env, configMaps.get(from.configMapRef?.name ?? '') ?? {});
      for (const variable of container.env ?? [])
        if (variable.value !== undefined) env[variable.name] = variable.value;
      const applying = policies.filter((p) => selects(p.spec.podSelector ?? {}, labels));
      return {
        name: `${m.kind} ${m.metadata.name}`,
        env,
        policed: applying.length > 0,
        rules: applying.flatMap((p) => p.spec.egress ?? []),
      };
    });
  });
}

let helm: string;

beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test.each(VALUES_FILES)(
  'every pod reaches what its configuration names, and nothing more (%s)',
  (_name, file) => {
    const manifests = renderChart<Manifest>(helm, file);
    const pods = podsOf(manifests);
    expect(pods.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('config'),
        expect.stringContaining('extract'),
        expect.stringContaining('migrate'),
      ]),
    );
    const problems = pods.flatMap((pod) => {
      if (!pod.policed) return [`${pod.name}: no NetworkPolicy restricts its egress`];
      return egressProblems(pod.rules, destinations(pod.env)).map((p) => `${pod.name}: ${p}`);
    });
    expect([...new Set(problems)]).toEqual([]);
  },
  120_000,
);

test('the check can fail: a port nothing admits, any address on 443, the private ranges let in', () => {
  const outside: EgressRule = {
    to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES } }],
    ports: [{ port: 443 }],
  };
  const kafka = address('Kafka', 'kafka-0.kafka-headless.kafka.svc:9092');
  expect(kafka).toMatchObject({ port: 9092, namespace: 'kafka' });
  expect(address('S3', 'https://s3.us-east-1.amazonaws.com')).toEqual({
    what: 'S3',
    port: 443,
    host: 's3.us-east-1.amazonaws.com',
  });
  const wanted = [kafka, address('VAN', 'https://api.securevan.com')];
  const kafkaRule = (port: number): EgressRule => ({
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } } }],
    ports: [{ port }],
  });
  expect(egressProblems([kafkaRule(9092), outside], wanted)).toEqual([]);
  expect(egressProblems([kafkaRule(9093), outside], wanted)).toEqual([
    'Kafka (kafka-0.kafka-headless.kafka.svc:9092) is not reachable',
    'egress rule 0 opens port 9093, which nothing names',
  ]);
  expect(egressProblems([kafkaRule(9092), outside, { ports: [{ port: 443 }] }], wanted)).toEqual([
    "egress rule 2 opens port 443 to any address, voiding rule 1's peers",
  ]);
  expect(
    egressProblems(
      [kafkaRule(9092), { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }],
      wanted,
    ),
  ).toEqual(['egress rule 1 lets the private ranges in through 0.0.0.0/0']);
  // A public host cannot be reached through a namespace; a cluster Service not through a public block.
  expect(egressProblems([kafkaRule(9092), { ...kafkaRule(443) }], wanted)).toEqual([
    'VAN (api.securevan.com:443) is not reachable',
  ]);
});
