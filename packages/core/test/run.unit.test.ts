import {
  RunState,
  canTransitionRun,
  emptyRunCounts,
  isRunFinished,
  settledCalls,
  scheduleKeyFor,
  type RunState as State,
} from '../src/run';

const STATES = Object.values(RunState);
const ALLOWED: Record<State, State[]> = {
  open: ['extracting', 'failed'],
  extracting: ['writing', 'exporting', 'completed', 'failed'],
  writing: ['exporting', 'completed', 'failed'],
  exporting: ['completed', 'failed'],
  completed: [],
  failed: [],
};

describe('run states', () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        expect(canTransitionRun(from, to)).toBe(allowed);
      });
    }
  }

  it('only completed and failed are finished', () => {
    expect(STATES.filter(isRunFinished)).toEqual(['completed', 'failed']);
  });
});

describe('run counters', () => {
  it('start at zero for every status', () => {
    expect(emptyRunCounts()).toEqual({
      in_progress: 0,
      finished: 0,
      ignored: 0,
      queued_for_csv: 0,
      attempted_error: 0,
      unattempted_error: 0,
    });
  });

  it('count queued calls as settled under full but not under hybrid', () => {
    const counts = {
      ...emptyRunCounts(),
      finished: 5,
      in_progress: 2,
      queued_for_csv: 3,
      attempted_error: 1,
    };
    expect(settledCalls(counts, 'full')).toBe(9);
    expect(settledCalls(counts, 'hybrid')).toBe(6);
  });
});

describe('schedule key', () => {
  it('is candidate and Eastern day, so a day is run once per candidate', () => {
    expect(scheduleKeyFor('maria-lopez', '2026-10-20')).toBe('maria-lopez:2026-10-20');
  });
});
