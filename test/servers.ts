import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the tests' real servers come from, in order:
 * 1. KAFKA_BROKERS, MONGODB_URL and S3_ENDPOINT already set: use those (CI, or your own servers).
 * 2. A Docker engine answers: testcontainers starts MongoDB, Kafka and an S3 server.
 * 3. Otherwise the project's local servers (scripts/infra), installed on first use and cached.
 */
export const serverVariables = ['KAFKA_BROKERS', 'MONGODB_URL', 'S3_ENDPOINT'] as const;

export const repoRoot = path.resolve(__dirname, '..');

export function serversConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return serverVariables.every((name) => Boolean(env[name]));
}

export function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Parses the KEY=VALUE lines `scripts/infra/infra.sh env` prints. */
export function parseEnvLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) vars[match[1]] = match[2] ?? '';
  }
  return vars;
}

export function infraScript(...args: string[]): string {
  return execFileSync('bash', [path.join(repoRoot, 'scripts/infra/infra.sh'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60 * 1000,
  });
}

export function localServersRunning(): boolean {
  return !/stopped/.test(infraScript('status'));
}

export function readLocalEnv(): Record<string, string> {
  return parseEnvLines(infraScript('env'));
}

export function readStateEnvFile(stateDir: string): Record<string, string> {
  return parseEnvLines(readFileSync(path.join(stateDir, 'env'), 'utf8'));
}
