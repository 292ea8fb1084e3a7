import type Router from '@koa/router';
import { openApiDocument, openApiRoutes } from '../src/http/openapi';
import { loginRoutes } from '../src/http/auth';
import { candidatesRoutes } from '../src/http/candidates';
import { configureRoutes } from '../src/http/configure';
import { validateRoutes } from '../src/http/validate';
import { runsRoutes } from '../src/http/runs';
import { dropRateRoutes } from '../src/http/drop-rate';
import { callsImportRoutes } from '../src/http/calls-import';

// The routers only capture their dependencies when they are built, so empty stand-ins suffice
// to read their route tables.
const none = {} as never;
const routers: Router[] = [
  loginRoutes(['a-token-of-sixteen-chars'], none),
  candidatesRoutes({ cache: none, calls: none }),
  configureRoutes({ cache: none, vanCache: none }),
  validateRoutes({ cache: none, vanCache: none }),
  runsRoutes({ cache: none, vanCache: none, runs: none, calls: none, reports: none }),
  dropRateRoutes({ calls: none }),
  callsImportRoutes({ cache: none, calls: none, imports: none, maxBytes: 1 }),
  openApiRoutes(),
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
