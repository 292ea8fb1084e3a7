// RESULTS.md and the tallies it is rendered from (RESULTS.json beside it). A run of
// `npm run test:faults` replaces the rows of the faults it ran and keeps the others' rows from
// their last run, so the matrix can be run a few faults at a time (it takes over an hour).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { FaultTally } from './fault-run';

/** Counted since the Bulk Import faults joined the matrix: absent from earlier records. */
type BulkCounts = 'bulkRowsApplied' | 'bulkRowsTwice' | 'bulkJobsAtVan' | 'bulkJobsPrepared';

/** One fault's repetitions as a run of the matrix recorded them. */
export interface RecordedTally extends Omit<FaultTally, BulkCounts>, Partial<Pick<FaultTally, BulkCounts>> {
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

/** The Bulk Import faults' world: its runs sent Bulk Import jobs. */
const isBulk = (row: RecordedTally): boolean => (row.bulkJobsPrepared ?? 0) > 0;

/** The matrix's usual count is 10 repetitions a fault; a run with fewer says so at the top. */
const DEFAULT_REPETITIONS = 10;

function repetitionsNote(
  byFault: Map<string, RecordedTally[]>,
  count: (list: RecordedTally[]) => number,
): string[] {
  const counts = [...new Set([...byFault.values()].map(count))].sort((a, b) => a - b);
  if (counts.every((n) => n >= DEFAULT_REPETITIONS)) return [];
  return [
    `**Repetitions: ${counts.join(' or ')} a fault, not ${DEFAULT_REPETITIONS}** (\`FAULT_REPETITIONS=${counts[0]}\`: the whole`,
    `matrix at ${DEFAULT_REPETITIONS} would take well over an hour on this 2-core machine).`,
  ];
}

function renderResults(rows: RecordedTally[]): string {
  const byFault = new Map<string, RecordedTally[]>();
  for (const row of rows) byFault.set(row.fault, [...(byFault.get(row.fault) ?? []), row]);
  const sum = (list: RecordedTally[], key: keyof FaultTally) =>
    list.reduce((total, row) => total + Number(row[key] ?? 0), 0);
  const count = (list: RecordedTally[]) => list.reduce((total, row) => total + (row.repetitions ?? 1), 0);
  const day = (list: RecordedTally[]) =>
    list
      .map((r) => r.at.slice(0, 10))
      .sort()
      .at(-1) ?? '';
  // The faults of the usual world: three runs a repetition. The multipart fault has one all-csv
  // candidate with a large night; the Bulk Import faults one bulk candidate.
  const bulk = rows.filter(isBulk);
  const usual = rows.filter((r) => !isBulk(r) && runsOf(r) === 3 * (r.repetitions ?? 1));
  const large = rows.filter((r) => !isBulk(r) && !usual.includes(r));
  const sizes = (list: RecordedTally[]) => [...new Set(list.map((r) => r.callsPerCandidate))].join(' or ');
  const worlds = [
    ...(large.length > 0
      ? [`the multipart fault: one all-csv candidate, ${sizes(large)} calls, a results file over 5 MB`]
      : []),
    ...(bulk.length > 0
      ? [
          `the Bulk Import faults: one bulk candidate, ${sizes(bulk)} calls, its rows sent as VAN Bulk Import jobs`,
        ]
      : []),
  ];
  const lines = [
    '# Fault matrix results',
    '',
    'Written by `npm run test:faults` (test/reliability/faults.test.ts) from the tallies in',
    "`RESULTS.json`; each fault keeps the rows of the last run that tried it (`npm run test:faults -- -t '<name>'` runs some).",
    ...repetitionsNote(byFault, count),
    (usual.length > 0 ? `Three candidates (full, hybrid, all csv), ${sizes(usual)} calls each` : '') +
      (worlds.length > 0
        ? `${usual.length > 0 ? ' (' : ''}${worlds.join('; ')}${usual.length > 0 ? ')' : ''},`
        : ','),
    'real Kafka, MongoDB-wire and S3 servers, the VAN and Airtable sandboxes.',
    'A call is *lost* when it has no final status after recovery; *posted twice* counts calls the VAN',
    "sandbox's journal applied more than once; *outcome unknown* calls were caught mid-post (a kill, a",
    'timeout or a 5xx on a post, or a Bulk Import job whose creation was never recorded) and are',
    'flagged for a person, never re-posted. *Bulk rows applied (twice)* counts the rows the',
    "sandbox's Bulk Import jobs applied, and the call rows two jobs (or one, twice) applied.",
    'Every fault here is transient: each run must end completed, and the test asserts it.',
    '',
    '*Reports* counts what the report webhook received: each run that ended should get one, never two.',
    '',
    '| fault | run on | repetitions | calls | kills | lost | posted twice | bulk rows applied (twice) | outcome unknown | runs completed | runs failed (calls handed to the next run) | CSV uploaded twice | reports (runs reported twice / unreported) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [fault, list] of byFault) {
    const bulkRows = list.some(isBulk)
      ? `${sum(list, 'bulkRowsApplied')} (${sum(list, 'bulkRowsTwice')})`
      : '–';
    lines.push(
      `| ${fault} | ${day(list)} | ${count(list)} | ${sum(list, 'calls')} | ${sum(list, 'kills')} | ${sum(list, 'lost')} | ` +
        `${sum(list, 'duplicates')} | ${bulkRows} | ${sum(list, 'outcomeUnknown')} | ${sum(list, 'runsCompleted')} / ${list.reduce((n, row) => n + runsOf(row), 0)} | ` +
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
      `**${sum(all, 'lost')} lost, ${sum(all, 'duplicates')} posted twice, ${sum(all, 'bulkRowsTwice')} Bulk Import rows applied twice** ` +
      `(of ${sum(all, 'bulkRowsApplied')} applied), ${sum(all, 'outcomeUnknown')} flagged outcome unknown, ` +
      `${sum(all, 'csvUploadedTwice')} CSVs uploaded twice; ${sum(all, 'reportsSent')} reports for ` +
      `${all.reduce((n, row) => n + runsOf(row), 0)} runs, **${sum(all, 'runsReportedTwice')} runs reported more than once**, ` +
      `${sum(all, 'runsUnreported')} unreported.`,
    '',
  );
  return lines.join('\n');
}
