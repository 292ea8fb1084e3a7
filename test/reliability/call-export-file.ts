// A large call export for the import fault: the window's calls as the dialer exports them, among
// many more calls of the two weeks before (no run of the window touches those), so that a kill
// mid-import lands between batches and leaves some calls written and some not.

import { stringify } from 'csv-stringify/sync';
import type { SeededFixture } from '@call-sync/sandbox';

/** Days before the window's (DAY, 2026-10-20) whose calls pad the file, as the export writes dates. */
const EARLIER_DAYS = Array.from({ length: 14 }, (_, i) => `${String(5 + i).padStart(2, '0')}-10-2026`);

export function callExportFile(fixture: SeededFixture): { csv: string; rows: number } {
  const window = fixture.livevox.calls.map((call) =>
    Object.fromEntries(Object.entries(call.row).map(([field, value]) => [field, String(value ?? '')])),
  );
  const rows: Record<string, string>[] = [];
  for (const [d, day] of EARLIER_DAYS.entries()) {
    for (const row of window) {
      const earlier: Record<string, string> = { ...row, id: `${row.id}-d${d}` };
      for (const field of ['connect', 'start', 'finish'])
        if (earlier[field]) earlier[field] = earlier[field].replace('20-10-2026', day);
      rows.push(earlier);
    }
    // The window's own calls sit in the middle of the file, not at an end.
    if (d === EARLIER_DAYS.length / 2) rows.push(...window);
  }
  const columns = Object.keys(window[0] ?? {});
  return { csv: stringify(rows, { header: true, columns }), rows: rows.length };
}
