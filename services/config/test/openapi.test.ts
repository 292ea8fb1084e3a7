import type Router from '@koa/router';
import { execFileSync } from 'node:child_process';
import { openApiDocument } from '../src/http/openapi';
import { loginRoutes } from '../src/http/auth';
import { configRouters, type ConfigRouterDeps } from '../src/http/routers';

// The routers only capture their dependencies when they are built, so empty stand-ins suffice
// to read their route tables.
const none = {} as never;
const routers: Router[] = [
  loginRoutes([], none, none),
  ...configRouters({ maxImportBytes: 1 } as unknown as ConfigRouterDeps),
];
/** The document's paths, as plain JSON. */
const paths = (openApiDocument.paths ?? {}) as Record<string, Record<string, object>>;
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
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${shape(path)}`);
  }
  expect([...documented].sort()).toEqual([...served].sort());
});

test('every path parameter of the document is declared on its operation', () => {
  for (const [path, item] of Object.entries(paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const operation of Object.values(item) as { parameters?: { name: string; in: string }[] }[]) {
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared.sort()).toEqual([...names].sort());
    }
  }
});

/**
 * The validator is an ES module, which jest's CommonJS runtime cannot load: it runs in a node of
 * its own, reading the document on stdin.
 */
function validateOpenApi(...documents: unknown[]): { valid: boolean; errors?: unknown }[] {
  const script = [
    "import { Validator } from '@seriousme/openapi-schema-validator';",
    "import { readFileSync } from 'node:fs';",
    'const documents = JSON.parse(readFileSync(0, "utf8"));',
    'const results = [];',
    'for (const document of documents) results.push(await new Validator().validate(document));',
    'process.stdout.write(JSON.stringify(results));',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: __dirname,
    input: JSON.stringify(documents),
  });
  return JSON.parse(output.toString()) as { valid: boolean; errors?: unknown }[];
}

test('the document is valid OpenAPI 3.1, and the validator does refuse a broken one', () => {
  expect(openApiDocument.openapi).toBe('3.1.0');
  const broken = { ...structuredClone(openApiDocument), paths: structuredClone(paths) };
  broken.paths['/runs']!.get = { responses: { 200: { content: {} } } };
  const [served, refused] = validateOpenApi(openApiDocument, broken);
  expect(served).toEqual({ valid: true });
  expect(refused?.valid).toBe(false);
});

type Media = Record<string, { schema?: Record<string, unknown> }>;
type Operation = {
  requestBody?: { content: Media };
  responses: Record<string, { content?: Media }>;
};

test('every request body and every JSON answer has a schema that says what it holds', () => {
  const components = openApiDocument.components?.schemas ?? {};
  const said = (schema: Record<string, unknown> | undefined): boolean => {
    if (!schema) return false;
    const ref = schema.$ref;
    if (typeof ref === 'string') return said(components[ref.replace('#/components/schemas/', '')] as never);
    // An object says what it holds by its fields, or that it holds none.
    if (schema.type === 'object')
      return (
        Object.keys((schema.properties as object | undefined) ?? {}).length > 0 ||
        schema.additionalProperties === false
      );
    return ['anyOf', 'oneOf', 'allOf', 'type'].some((key) => key in schema);
  };
  const vague: string[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {}))
        if (!said(media.schema)) vague.push(`${method} ${path} body ${type}`);
      for (const [status, answer] of Object.entries(operation.responses)) {
        const jsonAnswer = answer.content?.['application/json'];
        if (jsonAnswer && !said(jsonAnswer.schema)) vague.push(`${method} ${path} ${status}`);
      }
    }
  }
  expect(vague).toEqual([]);
});
