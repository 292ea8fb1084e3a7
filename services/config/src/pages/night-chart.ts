import type { CandidateNights, Night } from '../nights';
import { html, type SafeHtml } from './layout';

// Drawn on the server as SVG, so the chart needs no script; every number is also in the column's
// title (a tooltip) and its data attributes.

const COLUMN = 30;
const BAR = 20;
const PLOT_HEIGHT = 90;
const LEFT = 36;
const TOP = 8;
const BOTTOM = 18;
const WIDTH = LEFT + 14 * COLUMN;

/** Bottom to top, in the order a night's calls settle; what is left of the column is ignored or open. */
const SERIES = [
  ['van', 'to VAN', '#2f9e64'],
  ['csv', 'to CSV', '#5b8def'],
  ['errors', 'errors', '#d64545'],
  ['unknown', 'outcome unknown', '#f0b429'],
] as const;
const CALLS_FILL = '#d9e2ec';

const round = (value: number) => Math.round(value * 100) / 100;

function column(night: Night, index: number, scale: number): SafeHtml {
  const x = LEFT + index * COLUMN + (COLUMN - BAR) / 2;
  const base = TOP + PLOT_HEIGHT;
  let y = base;
  const segments = SERIES.map(([key, , fill]) => {
    const height = round(night[key] * scale);
    y = round(y - height);
    return height > 0
      ? html`<rect class="${key}" x="${x}" y="${y}" width="${BAR}" height="${height}" fill="${fill}" />`
      : '';
  });
  const callsHeight = round(night.calls * scale);
  const label = `${night.day.slice(5)}: ${night.calls} calls · ${night.van} to VAN · ${night.csv} to CSV · ${night.errors} errors · ${night.unknown} outcome unknown`;
  return html`<g
    class="night"
    data-day="${night.day}"
    data-calls="${night.calls}"
    data-van="${night.van}"
    data-csv="${night.csv}"
    data-errors="${night.errors}"
    data-unknown="${night.unknown}"
  >
    <title>${label}</title>
    <rect
      class="calls"
      x="${x}"
      y="${round(base - callsHeight)}"
      width="${BAR}"
      height="${callsHeight}"
      fill="${CALLS_FILL}"
    />
    ${segments}
    ${
      index % 2 === 1
        ? html`<text x="${x + BAR / 2}" y="${base + 13}" font-size="10" text-anchor="middle" fill="#616e7c">
            ${night.day.slice(5)}
          </text>`
        : ''
    }
  </g>`;
}

function budgetLine(budget: NonNullable<CandidateNights['budget']>): SafeHtml {
  const share = budget.limit > 0 ? Math.min(1, budget.used / budget.limit) : 1;
  const fill = share >= 0.9 ? '#d64545' : share >= 0.7 ? '#f0b429' : '#2f9e64';
  return html`<p class="budget small">
    <svg width="160" height="10" role="img" aria-label="budget used">
      <rect width="160" height="10" rx="5" fill="#e4e7eb" />
      <rect class="used" width="${round(160 * share)}" height="10" rx="5" fill="${fill}" />
    </svg>
    VAN requests today: <strong>${budget.used.toLocaleString('en-US')}</strong> of
    ${budget.limit.toLocaleString('en-US')}${budget.sharedWith.length > 0 ? ` (the key is shared with ${budget.sharedWith.join(', ')})` : ''}
  </p>`;
}

export function nightCharts(all: CandidateNights[]): SafeHtml {
  if (all.length === 0) return html``;
  const legend = html`<p class="legend">
    <span
      ><svg width="10" height="10"><rect width="10" height="10" fill="${CALLS_FILL}" /></svg> calls (ignored
      or open where not coloured)</span
    >
    ${SERIES.map(
      ([, name, fill]) =>
        html`<span
          ><svg width="10" height="10"><rect width="10" height="10" fill="${fill}" /></svg> ${name}</span
        >`,
    )}
  </p>`;
  return html`<h2>The last 14 nights</h2>
    ${legend}
    <div class="grid nights">
      ${all.map((candidate) => {
        const max = Math.max(0, ...candidate.nights.map((night) => night.calls));
        const scale = max > 0 ? PLOT_HEIGHT / max : 0;
        return html`<div class="card night-chart" data-candidate="${candidate.candidate}">
          <strong>${candidate.candidate}</strong>
          <svg
            width="100%"
            viewBox="0 0 ${WIDTH} ${TOP + PLOT_HEIGHT + BOTTOM}"
            role="img"
            aria-label="calls of the last 14 nights for ${candidate.candidate}"
          >
            <line
              x1="${LEFT - 4}"
              y1="${TOP + PLOT_HEIGHT}"
              x2="${WIDTH}"
              y2="${TOP + PLOT_HEIGHT}"
              stroke="#9aa5b1"
            />
            <text x="${LEFT - 6}" y="${TOP + 8}" font-size="10" text-anchor="end" fill="#616e7c">${max}</text>
            <text x="${LEFT - 6}" y="${TOP + PLOT_HEIGHT}" font-size="10" text-anchor="end" fill="#616e7c">
              0
            </text>
            ${candidate.nights.map((night, index) => column(night, index, scale))}
          </svg>
          ${candidate.budget ? budgetLine(candidate.budget) : html`<p class="budget small muted">CSV only: no VAN key</p>`}
        </div>`;
      })}
    </div>`;
}
