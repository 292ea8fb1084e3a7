import { emptyRunCounts, nextRunStep, RunState, type RunCounts, type RunStep, type Strategy } from '../src';
import { awaitedExport, releasesQueuedCallsOnFailure, sendsBulkJobs } from '../src/run-step';

const counts = (values: Partial<RunCounts>): RunCounts => ({ ...emptyRunCounts(), ...values });

type Row = [
  what: string,
  state: RunState,
  strategy: Strategy | undefined,
  calls: Partial<RunCounts>,
  extra: { dryRun?: boolean; hasCallerFile?: boolean },
  step: RunStep,
];

const WAIT: RunStep = { kind: 'wait' };
const COMPLETE: RunStep = { kind: 'complete' };
const CALLERS: RunStep = { kind: 'export-callers' };
const FROM_CLAIMED: RunStep = { kind: 'export-results', from: 'in_progress' };
const FROM_QUEUED: RunStep = { kind: 'export-results', from: 'queued_for_csv' };

const ROWS: Row[] = [
  // Claims done: who takes the run.
  ['all csv with claimed calls is exported', 'extracting', 'all csv', { in_progress: 5 }, {}, FROM_CLAIMED],
  [
    'all csv with nothing to export writes (and so completes)',
    'extracting',
    'all csv',
    { ignored: 3 },
    {},
    { kind: 'write' },
  ],
  ['full goes to the van-writer', 'extracting', 'full', { in_progress: 5 }, {}, { kind: 'write' }],
  [
    'hybrid goes to the van-writer',
    'extracting',
    'hybrid',
    { in_progress: 5, queued_for_csv: 2 },
    {},
    { kind: 'write' },
  ],
  ['bulk goes to the van-writer', 'extracting', 'bulk', { in_progress: 5 }, {}, { kind: 'write' }],
  [
    'a run without a strategy follows full',
    'extracting',
    undefined,
    { in_progress: 5 },
    {},
    { kind: 'write' },
  ],
  // Writing.
  ['calls still in flight: wait', 'writing', 'full', { in_progress: 1, finished: 4 }, {}, WAIT],
  ['full, all settled, caller file owed', 'writing', 'full', { finished: 4, queued_for_csv: 1 }, {}, CALLERS],
  [
    'full, all settled, caller file written',
    'writing',
    'full',
    { finished: 4 },
    { hasCallerFile: true },
    COMPLETE,
  ],
  [
    'bulk rests queued calls too',
    'writing',
    'bulk',
    { finished: 4, queued_for_csv: 2 },
    { hasCallerFile: true },
    COMPLETE,
  ],
  ['no calls at all: complete, no caller file', 'writing', 'full', {}, {}, COMPLETE],
  ['a dry run owes no caller file', 'writing', 'full', { finished: 2 }, { dryRun: true }, COMPLETE],
  [
    'hybrid, VAN drained, queued calls: export them',
    'writing',
    'hybrid',
    { finished: 3, queued_for_csv: 2 },
    {},
    FROM_QUEUED,
  ],
  ['hybrid, VAN not drained: wait', 'writing', 'hybrid', { in_progress: 1, queued_for_csv: 2 }, {}, WAIT],
  ['hybrid, nothing queued, all settled: caller file', 'writing', 'hybrid', { finished: 3 }, {}, CALLERS],
  ['an error is settled too', 'writing', 'full', { attempted_error: 2 }, { hasCallerFile: true }, COMPLETE],
  // Exporting: the export under way ends it.
  ['exporting, results not yet written: wait', 'exporting', 'all csv', { in_progress: 5 }, {}, WAIT],
  ['exporting, all settled, caller file pending: wait', 'exporting', 'full', { finished: 5 }, {}, WAIT],
  [
    'exporting, all settled, caller file written: complete',
    'exporting',
    'hybrid',
    { finished: 5 },
    { hasCallerFile: true },
    COMPLETE,
  ],
  [
    'hybrid in exporting never exports twice',
    'exporting',
    'hybrid',
    { finished: 3, queued_for_csv: 2 },
    {},
    WAIT,
  ],
  // No step outside the worker states.
  ['open', 'open', 'full', {}, {}, WAIT],
  ['completed', 'completed', 'full', { finished: 1 }, {}, WAIT],
  ['failed', 'failed', 'full', { in_progress: 1 }, {}, WAIT],
];

describe('nextRunStep', () => {
  test.each(ROWS)('%s', (_what, state, strategy, calls, extra, step) => {
    expect(
      nextRunStep(
        { state, strategy, dryRun: extra.dryRun ?? false, hasCallerFile: extra.hasCallerFile ?? false },
        counts(calls),
      ),
    ).toEqual(step);
  });
});

describe('what a resume and a failure follow', () => {
  test.each([
    ['all csv', FROM_CLAIMED, false, true],
    ['hybrid', FROM_QUEUED, false, true],
    ['full', CALLERS, false, false],
    ['bulk', CALLERS, true, false],
    [undefined, CALLERS, false, false],
  ] as const)('%s', (strategy, awaited, bulk, releases) => {
    expect(awaitedExport({ strategy })).toEqual(awaited);
    expect(sendsBulkJobs({ strategy })).toBe(bulk);
    expect(releasesQueuedCallsOnFailure({ strategy })).toBe(releases);
  });
});
