// What every benchmark does at its edges: write its report as JSON, and run alone as a script.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useLocalServers } from './services.mjs';

/** Writes a benchmark's report to `out` (bench/results/<name>.json by default) and returns it. */
export function writeReport(out, report) {
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`written ${out}`);
  return report;
}

/** Runs `bench` with the command line when `moduleUrl` is the script node was started with. */
export function runWhenMain(moduleUrl, bench) {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  useLocalServers();
  bench(process.argv.slice(2)).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
