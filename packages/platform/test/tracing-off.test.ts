import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Every service starts with `node --require instrumentation.js`. With no OTLP endpoint, tracing is
// off, and the OpenTelemetry SDK must not even load: it took about a second of each start (the
// hourly extractor's too). With an endpoint it loads and starts, before the application's code.
// Build first: `npx tsc -b`.

const preload = path.resolve(__dirname, '../dist/instrumentation.js');

/** The SDK's modules node had loaded once the preload ran, with this environment. */
function sdkModulesLoaded(env: Record<string, string>): number {
  const script =
    "console.log(Object.keys(require.cache).filter((f) => f.includes('@opentelemetry/sdk-node')).length)";
  const output = execFileSync(process.execPath, ['--require', preload, '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return Number(output.trim());
}

test('with no OTLP endpoint the preload loads none of the OpenTelemetry SDK', () => {
  expect(sdkModulesLoaded({})).toBe(0);
});

test('with an OTLP endpoint the preload loads the SDK (the check above can fail)', () => {
  expect(sdkModulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toBeGreaterThan(0);
});
