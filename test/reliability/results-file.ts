// RESULTS.md and the tallies it is rendered from (RESULTS.json beside it). A run of
// `npm run test:faults` replaces the rows of the faults it ran and keeps the others' rows from
// their last run, so the matrix can be run a few faults at a time (it takes over an hour).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FaultTally } from './fault-run';

/** One fault's repetitions as a run of the matrix recorded them. */
export interface RecordedTally extends FaultTally {
  /** When the repetition ended. */
  at: string;
  /** Calls per candidate in that run of the matrix. */
  callsPerCandidate: number;
  /**
   * Repetitions this record sums, when more than one: the first runs of the matrix kept only each
   * fault's sums (their failures then read "#N reason").
   */
  repetitions?: number;
}

const jsonFor = (markdownFile: string) => markdownFile.replace(/\.md$/, '.json');

export function readTallies(markdownFile: string): RecordedTally[] {
  const file = jsonFor(markdownFile);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecordedTally[]) : [];
}

/**
 * Writes this run's tallies over the faults they cover, keeping every other fault's from before.
 * `ranNow` holds the faults this run has started, so a fault cut short keeps none of its old rows.
 */
export function writeResults(markdownFile: string, ranNow: Set<string>, tallies: RecordedTally[]): void {
  const kept = readTallies(markdownFile).filter((t) => !ranNow.has(t.fault));
  const all = [...kept, ...tallies];
  writeFileSync(jsonFor(markdownFile), `${JSON.stringify(all, null, 1)}\n`);
  writeFileSync(markdownFile, renderResults(all));
}

/** Runs a record covers: tallies from before `runs` was recorded had three per repetition. */
const runsOf = (row: RecordedTally): number => row.runs ?? 3 * (row.repetitions ?? 1);

function renderResults(rows: RecordedTally[]): string {
  const byFault = new Map<string, RecordedTally[]>();
  for (const row of rows) byFault.set(row.fault, [...(byFault.get(row.fault) ?? []), row]);
  const sum = (list: RecordedTally[], key: keyof FaultTally) =>
    list.reduce((total, row) => total + Number(row[key]), 0);
  const count = (list: RecordedTally[]) => list.reduce((total, row) => total + (row.repetitions ?? 1), 0);
  const day = (list: RecordedTally[]) =>
    list
      .map((r) => r.at.slice(0, 10))
      .sort()
      .at(-1) ?? '';
  // The faults of the usual world: three runs a repetition (the multipart fault has one, larger).
  const usual = rows.filter((r) => runsOf(r) === 3 * (r.repetitions ?? 1));
  const perCandidate = [...new Set(usual.map((r) => r.callsPerCandidate))].join(' or ');
  const large = [...new Set(rows.filter((r) => !usual.includes(r)).map((r) => r.callsPerCandidate))];
  const lines = [
    '# Fault matrix results',
    '',
    'Written by `npm run test:faults` (test/reliability/faults.test.ts) from the tallies in',
    "`RESULTS.json`; each fault keeps the rows of the last run that tried it (`npm run test:faults -- -t '<name>'` runs some).",
    `Three candidates (full, hybrid, all csv), ${perCandidate} calls each` +
      (large.length > 0
        ? ` (the multipart fault: one all-csv candidate, ${large.join(' or ')} calls, a results file over 5 MB),`
        : ','),
    'real Kafka, MongoDB-wire and S3 servers, the VAN and Airtable sandboxes.',
    'A call is *lost* when it has no final status after recovery; *posted twice* counts calls the VAN',
    "sandbox's journal applied more than once; *outcome unknown* calls were caught mid-post (a kill, a",
    'timeout or a 5xx on a post) and are flagged for a person, never re-posted.',
    '',
    '*Reports* counts what the report webhook received: each run that ended should get one, never two.',
    '',
    '| fault | run on | repetitions | calls | kills | lost | posted twice | outcome unknown | runs completed | runs failed (calls handed to the next run) | CSV uploaded twice | reports (runs reported twice / unreported) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [fault, list] of byFault) {
    lines.push(
      `| ${fault} | ${day(list)} | ${count(list)} | ${sum(list, 'calls')} | ${sum(list, 'kills')} | ${sum(list, 'lost')} | ` +
        `${sum(list, 'duplicates')} | ${sum(list, 'outcomeUnknown')} | ${sum(list, 'runsCompleted')} / ${list.reduce((n, row) => n + runsOf(row), 0)} | ` +
        `${sum(list, 'runsFailed')} (${sum(list, 'returnedForNextRun')}) | ${sum(list, 'csvUploadedTwice')} | ` +
        `${sum(list, 'reportsSent')} (${sum(list, 'runsReportedTwice')} / ${sum(list, 'runsUnreported')}) |`,
    );
  }
  const all = [...byFault.values()].flat();
  const failures = all.flatMap((row) =>
    row.failures.map((f) =>
      row.repetitions ? `- ${row.fault} ${f}` : `- ${row.fault} #${row.repetition}: ${f}`,
    ),
  );
  if (failures.length > 0) lines.push('', 'Runs that failed, with their reasons:', '', ...failures);
  lines.push(
    '',
    `Totals: ${byFault.size} faults, ${count(all)} repetitions, ${sum(all, 'calls')} calls, ${sum(all, 'kills')} kills, ` +
      `**${sum(all, 'lost')} lost, ${sum(all, 'duplicates')} posted twice**, ${sum(all, 'outcomeUnknown')} flagged outcome unknown, ` +
      `${sum(all, 'csvUploadedTwice')} CSVs uploaded twice; ${sum(all, 'reportsSent')} reports for ` +
      `${all.reduce((n, row) => n + runsOf(row), 0)} runs, **${sum(all, 'runsReportedTwice')} runs reported more than once**, ` +
      `${sum(all, 'runsUnreported')} unreported.`,
    '',
  );
  return lines.join('\n');
}
