import type Router from '@koa/router';
import { openApiDocument } from '../src/http/openapi';
import { loginRoutes } from '../src/http/auth';
import { configRouters, type ConfigRouterDeps } from '../src/http/routers';

// The routers only capture their dependencies when they are built, so empty stand-ins suffice
// to read their route tables.
const none = {} as never;
const routers: Router[] = [
  loginRoutes([], none),
  ...configRouters({ maxImportBytes: 1 } as unknown as ConfigRouterDeps),
];
const PLATFORM_ROUTES = ['GET /healthz', 'GET /readyz', 'GET /metrics'];

/** `/runs/:candidate` and `/runs/{ref}` are the same route: parameter names are not compared. */
const shape = (path: string) => path.replace(/:[^/]+|\{[^}]+\}/g, '{}');

test('the OpenAPI document lists exactly the routes the service serves', () => {
  const served = new Set(PLATFORM_ROUTES);
  for (const router of routers) {
    for (const layer of router.stack) {
      for (const method of layer.methods.filter((m) => m !== 'HEAD'))
        served.add(`${method} ${shape(String(layer.path))}`);
    }
  }
  const documented = new Set<string>();
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${shape(path)}`);
  }
  expect([...documented].sort()).toEqual([...served].sort());
});

test('every path parameter of the document is declared on its operation', () => {
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const operation of Object.values(item) as { parameters?: { name: string; in: string }[] }[]) {
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared.sort()).toEqual([...names].sort());
    }
  }
});
