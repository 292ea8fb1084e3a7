// The chart's Ingress, rendered with every values file the repository ships, routes every path the
// config service serves to people (each route of its routers, the sign-in ones included) to the
// config Service's http port, and none of the probes or /metrics, which stay inside the cluster.
// It lets through the largest call-export upload the service accepts, and config's /tmp holds one
// such upload while it is spooled to disk.

import { operations } from '../../services/config/src/http/api/operations';
import { loginRoutes } from '../../services/config/src/http/auth';
import { configRouters, type ConfigRouterDeps } from '../../services/config/src/http/routers';
import { helmBinary, renderChart, VALUES_FILES } from './chart';

/** Served by the platform's HTTP bootstrap for the cluster (kubelet, Prometheus), not for people. */
const CLUSTER_ONLY = ['/healthz', '/readyz', '/metrics'];
const NGINX_BODY_SIZE = 'nginx.ingress.kubernetes.io/proxy-body-size';

type Router = ReturnType<typeof configRouters>[number];

interface IngressPath {
  path: string;
  pathType: string;
  backend: { service?: { name: string; port: { name?: string; number?: number } } };
}
interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    rules?: { host?: string; http?: { paths: IngressPath[] } }[];
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: {
          env?: { name: string; value?: string }[];
          volumeMounts?: { name: string; mountPath: string }[];
        }[];
        volumes?: { name: string; emptyDir?: { sizeLimit?: string } }[];
      };
    };
  };
}

/** `METHOD /path` of every route the routers hold, parameters as `:name`. */
function routesOf(routers: Router[]): string[] {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((method) => `${method} ${String(layer.path)}`),
    ),
  );
}

// The routers are built only to be walked: their dependencies are never called.
const peopleRoutes = routesOf([
  loginRoutes([], {} as never, {} as never),
  ...configRouters({ maxImportBytes: 1 } as unknown as ConfigRouterDeps),
]);

/** A request path for the route, each parameter filled in. */
const samplePath = (route: string) => route.split(' ')[1]!.replace(/:\w+/g, 'sample-1');

/**
 * Whether an Ingress path matches a request path, as the Ingress API defines it: Exact whole,
 * Prefix element by element on `/` (so `/run` matches neither `/runs` nor `/running`). An
 * ImplementationSpecific path depends on the controller, so it proves nothing either way.
 */
function matches(rule: IngressPath, requestPath: string): boolean {
  if (rule.pathType === 'Exact') return rule.path === requestPath;
  if (rule.pathType !== 'Prefix') return false;
  const elements = (p: string) => p.split('/').filter(Boolean);
  const prefix = elements(rule.path);
  const request = elements(requestPath);
  return prefix.every((element, i) => request[i] === element);
}

/** Bytes of a Kubernetes quantity (`64Mi`, `1G`, `512`). */
function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) throw new Error(`not a quantity this test reads: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(match[1]) * (match[2] ? unit[match[2] as keyof typeof unit] : 1);
}

/** Bytes of an nginx size (`268435456`, `256m`, `1g`); `0` is no limit. */
function nginxSizeBytes(size: string): number {
  const match = /^(\d+)([kKmMgG])?$/.exec(size);
  if (!match) throw new Error(`not an nginx size: ${size}`);
  const unit = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };
  const bytes = Number(match[1]) * (match[2] ? unit[match[2].toLowerCase() as keyof typeof unit] : 1);
  return bytes === 0 ? Infinity : bytes;
}

/** What is wrong with the routing of the config service's paths through the render's Ingress. */
function routingProblems(manifests: Manifest[], routes: string[]): string[] {
  const ingresses = manifests.filter((m) => m.kind === 'Ingress');
  const config = manifests.find(
    (m) => m.kind === 'Service' && m.spec.selector?.['app.kubernetes.io/component'] === 'config',
  );
  if (ingresses.length === 0 || !config) return ['no Ingress, or no config Service'];
  const paths = ingresses.flatMap((i) => (i.spec.rules ?? []).flatMap((r) => r.http?.paths ?? []));
  const toConfig = (p: IngressPath) => {
    const service = p.backend.service;
    return (
      service?.name === config.metadata.name &&
      (config.spec.ports ?? []).some(
        (port) =>
          port.targetPort === 'http' &&
          (port.name === service.port.name || port.port === service.port.number),
      )
    );
  };
  const problems: string[] = [];
  for (const route of routes) {
    const matching = paths.filter((p) => matches(p, samplePath(route)));
    if (matching.length === 0) problems.push(`${route} is not routed`);
    else if (!matching.every(toConfig)) problems.push(`${route} is routed elsewhere than config's http port`);
  }
  for (const path of CLUSTER_ONLY) {
    if (paths.some((p) => matches(p, path))) problems.push(`${path} is routed out of the cluster`);
  }
  return problems;
}

let helm: string;
beforeAll(() => {
  helm = helmBinary();
}, 10 * 60_000);

test('the routes walked are the operations people call: every operation but the probes and /metrics', () => {
  const operationRoutes = Object.values(operations).map(
    (op) => `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`,
  );
  expect([...peopleRoutes].sort()).toEqual(
    operationRoutes.filter((route) => !CLUSTER_ONLY.includes(route.split(' ')[1]!)).sort(),
  );
  expect(peopleRoutes).toEqual(
    expect.arrayContaining(['GET /login', 'POST /login', 'POST /logout', 'GET /audit']),
  );
});

describe.each(VALUES_FILES)('%s', (_name, file) => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = renderChart<Manifest>(helm, file);
  }, 120_000);

  test('the Ingress routes every route of the config service to it, and not the probes or /metrics', () => {
    expect(routingProblems(manifests, peopleRoutes)).toEqual([]);
  });

  test("the Ingress and config's /tmp take the largest upload config accepts (IMPORT_MAX_BYTES)", () => {
    const deployment = manifests.find(
      (m) =>
        m.kind === 'Deployment' &&
        m.spec.template?.metadata.labels['app.kubernetes.io/component'] === 'config',
    )!;
    const pod = deployment.spec.template!.spec;
    const maxBytes = Number(pod.containers[0]!.env?.find((e) => e.name === 'IMPORT_MAX_BYTES')?.value);
    expect(maxBytes).toBeGreaterThan(0);
    const ingress = manifests.find((m) => m.kind === 'Ingress')!;
    expect(nginxSizeBytes(ingress.metadata.annotations?.[NGINX_BODY_SIZE] ?? '1m')).toBeGreaterThanOrEqual(
      maxBytes,
    );
    const tmpVolume = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === '/tmp')?.name;
    const sizeLimit = pod.volumes?.find((v) => v.name === tmpVolume)?.emptyDir?.sizeLimit ?? '0';
    expect(quantityBytes(sizeLimit)).toBeGreaterThanOrEqual(maxBytes);
  });
});

test('the check can fail: an unrouted path, one routed elsewhere, /metrics let out', () => {
  const service: Manifest = {
    kind: 'Service',
    metadata: { name: 'call-sync-config' },
    spec: {
      selector: { 'app.kubernetes.io/component': 'config' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
  const ingress = (paths: [string, string, string?][]): Manifest => ({
    kind: 'Ingress',
    metadata: { name: 'call-sync' },
    spec: {
      rules: [
        {
          http: {
            paths: paths.map(([path, pathType, name = 'call-sync-config']) => ({
              path,
              pathType,
              backend: { service: { name, port: { name: 'http' } } },
            })),
          },
        },
      ],
    },
  });
  const routes = ['GET /runs/:ref', 'GET /audit', 'POST /outcome-unknown/resolve'];
  const good = ingress([
    ['/runs', 'Prefix'],
    ['/audit', 'Exact'],
    ['/outcome-unknown', 'Prefix'],
  ]);
  expect(routingProblems([service, good], routes)).toEqual([]);
  expect(
    routingProblems(
      [
        service,
        ingress([
          ['/run', 'Prefix'],
          ['/audit', 'ImplementationSpecific'],
          ['/outcome-unknown/resolve', 'Prefix', 'other'],
          ['/', 'Exact'],
          ['/metrics/', 'Prefix'],
        ]),
      ],
      routes,
    ),
  ).toEqual([
    'GET /runs/:ref is not routed',
    'GET /audit is not routed',
    "POST /outcome-unknown/resolve is routed elsewhere than config's http port",
    '/metrics is routed out of the cluster',
  ]);
  expect(routingProblems([service, ingress([['/', 'Prefix']])], routes)).toEqual([
    '/healthz is routed out of the cluster',
    '/readyz is routed out of the cluster',
    '/metrics is routed out of the cluster',
  ]);
  expect([quantityBytes('320Mi'), nginxSizeBytes('256m'), nginxSizeBytes('0')]).toEqual([
    320 * 2 ** 20,
    256 * 2 ** 20,
    Infinity,
  ]);
});
