// `helm test` asks config's /readyz through config's Service, as the Ingress reaches it: the URL is
// the Service's name and http port, which lead to the container port whose readiness probe is
// /readyz. The test Pod runs hardened (non-root, no privilege, read-only root, no capabilities, no
// service-account token) from the small image the values name, and with NetworkPolicies on it is
// let through to config only by test hooks, which exist while `helm test` runs and no longer.

import { helmBinary, renderChart, VALUES_FILES } from './chart';

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface PortRule {
  protocol?: string;
  port?: number | string;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  resources?: { limits?: Record<string, string> };
}
interface PodSpec {
  restartPolicy?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  containers: Container[];
}
interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec & {
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: PortRule[] }[];
    egress?: { to?: Peer[]; ports?: PortRule[] }[];
  };
}

const isTestHook = (m: Manifest) => m.metadata.annotations?.['helm.sh/hook'] === 'test';
const selects = (selector: Selector, labels: Record<string, string>): boolean =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  (selector.matchExpressions ?? []).every((e) =>
    e.operator === 'In' ? (e.values ?? []).includes(labels[e.key] ?? '') : false,
  );

function testPods(manifests: Manifest[]) {
  return manifests.filter((m) => m.kind === 'Pod' && isTestHook(m));
}

/** The config Service, the container its http port leads to, and that container's port number. */
function configEndpoint(manifests: Manifest[]) {
  const service = manifests.find(
    (m) => m.kind === 'Service' && m.spec.selector?.['app.kubernetes.io/component'] === 'config',
  )!;
  const deployment = manifests.find(
    (m) =>
      m.kind === 'Deployment' &&
      selects({ matchLabels: service.spec.selector }, m.spec.template!.metadata.labels),
  )!;
  const servicePort = service.spec.ports!.find((p) => p.name === 'http')!;
  const container = deployment.spec.template!.spec.containers[0]!;
  const containerPort = container.ports!.find((p) => p.name === servicePort.targetPort)!;
  return {
    service,
    servicePort,
    container,
    containerPort,
    podLabels: deployment.spec.template!.metadata.labels,
  };
}

/**
 * Whether the policies let a pod with `from` labels open a connection to a pod with `to` labels on
 * a port, both in the release's namespace, and which policies it takes: a side no policy selects
 * for that direction is open; a selected side needs a rule of one of them that admits the other.
 */
function admitted(
  policies: Manifest[],
  from: Record<string, string>,
  to: Record<string, string>,
  port: { number: number; name?: string },
) {
  const portMatches = (ports?: PortRule[]) =>
    !ports?.length || ports.some((p) => p.port === port.number || (port.name && p.port === port.name));
  const peerMatches = (peers: Peer[] | undefined, labels: Record<string, string>) =>
    !peers?.length ||
    peers.some((peer) => !peer.ipBlock && !peer.namespaceSelector && selects(peer.podSelector ?? {}, labels));
  const side = (type: 'Egress' | 'Ingress', self: Record<string, string>, other: Record<string, string>) => {
    const applying = policies.filter(
      (p) => (p.spec.policyTypes ?? []).includes(type) && selects(p.spec.podSelector ?? {}, self),
    );
    if (applying.length === 0) return { open: true, through: [] as Manifest[] };
    const through = applying.filter((p) =>
      type === 'Egress'
        ? (p.spec.egress ?? []).some((r) => portMatches(r.ports) && peerMatches(r.to, other))
        : (p.spec.ingress ?? []).some((r) => portMatches(r.ports) && peerMatches(r.from, other)),
    );
    return { open: through.length > 0, through };
  };
  const egress = side('Egress', from, to);
  const ingress = side('Ingress', to, from);
  return { open: egress.open && ingress.open, through: [...egress.through, ...ingress.through] };
}

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test.each(VALUES_FILES)("`helm test` asks config's /readyz through its Service (%s)", (_name, file) => {
  const manifests = renderChart<Manifest>(helm, file);
  const [pod, ...others] = testPods(manifests);
  expect(others).toEqual([]);
  const { service, servicePort, container } = configEndpoint(manifests);
  const [curl] = pod!.spec.containers;
  expect(curl!.command).toEqual(['curl']);
  expect(curl!.args).toEqual(expect.arrayContaining(['--fail']));
  const url = new URL(curl!.args!.at(-1)!);
  expect({ host: url.hostname, port: Number(url.port || 80), path: url.pathname }).toEqual({
    host: service.metadata.name,
    port: servicePort.port,
    path: '/readyz',
  });
  // The same endpoint the kubelet's readiness probe asks, on the port the Service leads to.
  expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: servicePort.targetPort });
});

test.each(VALUES_FILES)('the test Pod runs hardened, from the image the values name (%s)', (_name, file) => {
  const [pod] = testPods(renderChart<Manifest>(helm, file));
  const spec = pod!.spec;
  expect(spec.restartPolicy).toBe('Never');
  expect(spec.automountServiceAccountToken).toBe(false);
  expect(spec.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const [container] = spec.containers;
  expect(container!.securityContext).toEqual({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  expect(container!.resources?.limits?.memory).toBeDefined();
  expect(container!.image).toBe('curlimages/curl:8.11.1');
  expect(pod!.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain('before-hook-creation');

  const digest = `sha256:${'ab'.repeat(32)}`;
  const [pinned] = testPods(
    renderChart<Manifest>(helm, file, [
      'tests.image.repository=registry.example.org/tools/curl',
      `tests.image.digest=${digest}`,
    ]),
  );
  expect(pinned!.spec.containers[0]!.image).toBe(`registry.example.org/tools/curl@${digest}`);
});

test.each(VALUES_FILES)(
  'the NetworkPolicies let the test Pod reach config only while the test runs (%s)',
  (_name, file) => {
    const manifests = renderChart<Manifest>(helm, file);
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
    const [pod] = testPods(manifests);
    const { containerPort, podLabels } = configEndpoint(manifests);
    const port = { number: containerPort.containerPort, name: containerPort.name };
    const during = admitted(policies, pod!.metadata.labels!, podLabels, port);
    expect(during.open).toBe(true);
    // Whatever lets it through is a test hook: with `helm test` over, the way is closed again.
    expect(during.through.filter((p) => !isTestHook(p)).map((p) => p.metadata.name)).toEqual([]);
    const after = admitted(
      policies.filter((p) => !isTestHook(p)),
      pod!.metadata.labels!,
      podLabels,
      port,
    );
    expect(after.open).toBe(false);
  },
);

test('tests.enabled=false renders no test Pod and no test policies', () => {
  const manifests = renderChart<Manifest>(helm, undefined, ['tests.enabled=false']);
  expect(manifests.filter(isTestHook)).toEqual([]);
});
