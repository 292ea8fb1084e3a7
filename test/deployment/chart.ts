// The chart as the deployment tests read it: rendered by the pinned helm with each values file the
// repository ships, for the oldest Kubernetes the chart supports.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const repo = path.resolve(__dirname, '..', '..');
const CHART = path.join(repo, 'helm/call-sync');
const EXAMPLES = path.join(CHART, 'examples');

/** The pinned helm, built into the cache folder on first use. */
export const helmBinary = (): string =>
  execFileSync('bash', ['-c', 'source scripts/deploy/tools.sh && ensure_helm'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  }).trim();

/**
 * Every document of `helm template`, with a values file, `--set` pairs and `--set-json` pairs
 * (for values `--set` cannot spell, such as an empty list) when given.
 */
export function renderChart<M>(
  helm: string,
  valuesFile?: string,
  set: string[] = [],
  setJson: string[] = [],
): M[] {
  const output = execFileSync(
    helm,
    [
      'template',
      'call-sync',
      CHART,
      '--kube-version',
      '1.27.0',
      ...(valuesFile ? ['-f', valuesFile] : []),
      ...set.flatMap((pair) => ['--set', pair]),
      ...setJson.flatMap((pair) => ['--set-json', pair]),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as M | null)
    .filter((m): m is M => m !== null);
}

/** [name, file] of the default values (no file) and of every example values file. */
export const VALUES_FILES: [name: string, file: string | undefined][] = [
  ['default values', undefined],
  ...readdirSync(EXAMPLES)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f): [string, string] => [path.relative(repo, path.join(EXAMPLES, f)), path.join(EXAMPLES, f)]),
];
