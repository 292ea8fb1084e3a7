// `npm run demo`: the whole system on this machine, on local defaults: the real servers (Kafka,
// MongoDB-wire, S3), the outside-API sandboxes, the four services; then shows where everything is.
//   npm run demo            start, show, stop again
//   npm run demo -- --keep  leave everything running until Ctrl-C (to browse the pages)
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { root, setup } from './setup.mjs';

const keep = process.argv.includes('--keep');
const children = [];

function infra(...args) {
  return execFileSync('bash', [path.join(root, 'scripts/infra/infra.sh'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function parseEnv(text) {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}

async function waitReady(name, url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

function startProcess(name, script, env) {
  const child = spawn(process.execPath, [path.join(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push({ name, child });
  return child;
}

async function stopAll() {
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
}

async function main() {
  setup();
  console.log('\n[demo] starting the local servers (first time: installs them, several minutes)');
  infra('up');
  const serverEnv = parseEnv(infra('env'));
  const common = {
    ...serverEnv,
    MONGODB_DATABASE: 'callsync_demo',
    S3_BUCKET: 'callsync-demo',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const services = [
    { name: 'config', port: 8080 },
    { name: 'extractor', port: 8081 },
    { name: 'van-writer', port: 8082 },
    { name: 'csv-writer', port: 8083 },
  ];
  for (const service of services) {
    const child = startProcess(service.name, `services/${service.name}/dist/main.js`, {
      ...common,
      PORT: String(service.port),
    });
    await waitReady(service.name, `http://127.0.0.1:${service.port}`, child);
  }
  console.log('\n[demo] everything is up:');
  console.log(`  Kafka            ${serverEnv.KAFKA_BROKERS}`);
  console.log(`  MongoDB-wire     ${serverEnv.MONGODB_URL}`);
  console.log(`  S3 (SeaweedFS)   ${serverEnv.S3_ENDPOINT}`);
  for (const s of services) {
    console.log(`  ${s.name.padEnd(16)} http://127.0.0.1:${s.port}  (/healthz /readyz /metrics)`);
  }
  console.log(
    '\n[demo] The sync pipeline itself (extraction, VAN posts, CSV export, reports) is not built yet:' +
      '\n       this demo shows the foundation only. See the README\'s "Status" section.',
  );
  if (keep) {
    console.log('\n[demo] running until Ctrl-C');
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  await stopAll();
  console.log('[demo] services stopped; the servers stay up (npm run infra:down stops them)');
}

main().catch(async (error) => {
  console.error(`[demo] failed: ${error.message}`);
  await stopAll();
  process.exit(1);
});
