// The dialer reports raw results ("Agent Cust 1 (167)", "Answering Machine"); the term code
// table turns each into the attributes merged into the call (full_on_screen_result, dropped,
// contact...), which the decision and the drop-rate report read.

export interface TermCodeAttributes {
  full_on_screen_result?: string;
  van_result?: string;
  dialed?: boolean;
  dropped?: boolean;
  contact?: boolean;
  [attribute: string]: unknown;
}

export interface TermCode {
  rowId: string;
  /** The normalised raw result this row matches. */
  key: string;
  attributes: TermCodeAttributes;
}

export type TermCodeIndex = ReadonlyMap<string, TermCode>;

/**
 * Agent results carry the agent's term code id in parentheses (`Agent Cust 1 (167)`); the id
 * differs between dialer accounts, so the match is on the text alone, case-insensitive.
 */
export function normaliseLivevoxResult(raw: string): string {
  return raw
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export function buildTermCodeIndex(codes: readonly TermCode[]): TermCodeIndex {
  const index = new Map<string, TermCode>();
  for (const code of codes) if (!index.has(code.key)) index.set(code.key, code);
  return index;
}

/**
 * The attributes to merge into a call with this raw result. A result with no term code keeps
 * its normalised text as `full_on_screen_result`, so a result table row can still match it
 * (and a missing row is reported under a name organisers recognise).
 */
export function applyTermCodes(rawResult: string, index: TermCodeIndex): TermCodeAttributes {
  const key = normaliseLivevoxResult(rawResult);
  const code = index.get(key);
  if (!code) return { full_on_screen_result: key };
  return { ...code.attributes, full_on_screen_result: code.attributes.full_on_screen_result ?? key };
}
