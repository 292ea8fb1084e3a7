// What the runs pages show of a continuous candidate's day (listing column Sync Mode): while it is
// open, how far through its window the day is and how recently its cycle ran; afterwards, that it
// was a continuous day.
import type { ContinuousDay, Run, RunState } from '@call-sync/core';
import { html, type SafeHtml } from './layout';

export interface ContinuousDayView {
  /** Still taking calls (its cycle claims them as they settle); false once the day has closed. */
  open: boolean;
  closesAt: Date;
  settleMinutes: number;
  cycles: number;
  lastCycleAt: Date | null;
  /** Share of the window behind the last cycle, 0–100. */
  dayPercent: number;
}

export function continuousDayView(
  run: Pick<Run, 'window' | 'state'> & { continuous?: ContinuousDay },
): ContinuousDayView | null {
  const day = run.continuous;
  if (!day) return null;
  const { start, end } = run.window;
  const reached = day.lastCycleAt ? Math.min(day.lastCycleAt.getTime(), end.getTime()) : start.getTime();
  const length = end.getTime() - start.getTime();
  return {
    open: run.state === ('open' satisfies RunState) || run.state === ('extracting' satisfies RunState),
    closesAt: day.closesAt,
    settleMinutes: Math.round(day.settleMs / 60_000),
    cycles: day.cycles,
    lastCycleAt: day.lastCycleAt ?? null,
    dayPercent: length > 0 ? Math.max(0, Math.round(((reached - start.getTime()) / length) * 100)) : 100,
  };
}

/** One line under a run's state: the open day's progress through its window, or that it was continuous. */
export function continuousDayLine(
  day: ContinuousDayView | null | undefined,
  when: (d: Date | null) => string,
): SafeHtml {
  if (!day) return html``;
  if (!day.open) return html`<br /><span class="small muted">continuous day, closed</span>`;
  return html`<br /><span class="small muted continuous-day"
      >continuous day ${day.dayPercent}% through · ${day.cycles} cycles, last ${when(day.lastCycleAt)} · posts
      calls ${day.settleMinutes} min after they end · closes ${when(day.closesAt)}</span
    >`;
}
