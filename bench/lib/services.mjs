// The built services as processes (node services/<name>/dist/main.js), as in production.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot, runServiceCommand, startServiceProcess } from '@call-sync/testkit';
import { runOnProjectNode } from '../../scripts/project-node.mjs';

export { repoRoot };

// Every benchmark imports this module: on an older node, the benchmark runs on the images' Node, and
// so do the services it starts (testkit's launcher spawns them with process.execPath).
await runOnProjectNode();

const CHART_COMPONENTS = {
  config: 'config',
  extractor: 'extractor',
  'van-writer': 'vanWriter',
  'csv-writer': 'csvWriter',
};

/** helm/call-sync/values.yaml, read once per benchmark process. */
let chartValues;

/**
 * The plain variables the Helm chart gives a service by default (e.g. the extractor's heap cap),
 * so a benchmark measures the service as it is deployed; the world's own variables come after.
 */
export function chartEnv(name) {
  chartValues ??= parseYaml(readFileSync(path.join(repoRoot, 'helm/call-sync/values.yaml'), 'utf8'));
  const env = chartValues[CHART_COMPONENTS[name]]?.env ?? {};
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
}

const CLOCK_TICKS_PER_SECOND =
  Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Peak resident memory of a live process (Linux VmHWM), in MB. */
export function peakRssMb(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Node's own flags for the services the benchmark starts, from BENCH_NODE_ARGS (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/profiles` to profile them; NODE_OPTIONS refuses --cpu-prof).
 */
function benchNodeArgs() {
  return (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

/** Starts a service as the chart deploys it and waits until its own /readyz answers 200. */
export async function startService(name, env, args = [], timeoutMs = 60_000, nodeArgs = []) {
  const service = await startServiceProcess(
    name,
    { ...chartEnv(name), ...env },
    { args, timeoutMs, nodeArgs: [...benchNodeArgs(), ...nodeArgs], outputLimit: 20_000 },
  );
  return { ...service, peakRssMb: () => peakRssMb(service.child.pid) };
}

/**
 * CPU time a live process has used, user and system, all its threads (GC and I/O included), in
 * seconds: what the process itself costs, whatever it waited for.
 */
export function processCpuSeconds(pid) {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks, after the command name in parentheses.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Runs a one-shot command of a service to its end; resolves with its exit code, output, peak RSS
 * and CPU seconds (sampled every 100 ms, so the last tenth of a second may be missing).
 */
export async function runOnce(name, env, args) {
  const { child, done } = runServiceCommand(name, { ...chartEnv(name), ...env }, args, {
    nodeArgs: benchNodeArgs(),
    outputLimit: 20_000,
  });
  let peak = 0;
  let cpuSeconds = 0;
  const probe = setInterval(() => {
    peak = Math.max(peak, peakRssMb(child.pid) ?? 0);
    cpuSeconds = processCpuSeconds(child.pid) ?? cpuSeconds;
  }, 100);
  const { code, output } = await done;
  clearInterval(probe);
  return { code, output, peakRssMb: peak, cpuSeconds };
}

/** The variables of the local servers, unless the caller set them. */
export function useLocalServers() {
  if (process.env.MONGODB_URL && process.env.KAFKA_BROKERS) return;
  const infra = path.join(repoRoot, 'scripts/infra/infra.sh');
  execFileSync('bash', [infra, 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const line of execFileSync('bash', [infra, 'env'], { encoding: 'utf8' }).split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) process.env[match[1]] = match[2];
  }
}

/**
 * The process listening on a local TCP port (Linux /proc), e.g. the MongoDB-wire server behind
 * MONGODB_URL: the server a benchmark talks to, whatever pid file another run left behind.
 */
export function pidListeningOn(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT; state 0A is LISTEN; the inode is column 10.
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return Number(pid);
      } catch {
        // The descriptor closed meanwhile.
      }
    }
  }
  return undefined;
}
