// One row of a candidate's result table: what to do with calls of one dialer result.

export interface QuestionResponsePair {
  /** The column it came from (`QR 1`, `QR 2`...), for messages organisers can act on. */
  column: string;
  questionId: number;
  responseId: number;
}

/** `Success` as read: a checkbox, or a value that is not one (docs/behaviour.md#the-decision-for-one-call, step 3). */
export type SuccessSetting = boolean | { invalid: unknown };

export interface ResultConfigRow {
  rowId: string;
  /** The key, lowercased and trimmed; calls match on their `full_on_screen_result`. */
  fullOnScreenResult: string;
  success: SuccessSetting;
  canvassResultCode: number | undefined;
  tags: number[];
  syncToSystem: boolean;
  includeInCsv: boolean;
  /** The CSV "Result" and the report label; the Full On Screen Result as typed when empty. */
  displayName: string;
  /** Informational only (organisers' own bookkeeping). */
  used: boolean | string | undefined;
  questionResponses: QuestionResponsePair[];
  /**
   * Set when part of the row cannot be read (an id that is not an integer, a malformed `QR n`,
   * a checkbox holding text, a duplicate key). The row stays findable by its result so its
   * calls become `unattempted_error` with this message instead of "missing config".
   */
  rowError: string | undefined;
}

export type ConfigIndex = ReadonlyMap<string, ResultConfigRow>;

export function resultKey(fullOnScreenResult: string): string {
  return fullOnScreenResult.trim().toLowerCase();
}

/** Index rows by result; the parser has already flagged duplicates on the first row. */
export function buildConfigIndex(rows: readonly ResultConfigRow[]): ConfigIndex {
  const index = new Map<string, ResultConfigRow>();
  for (const row of rows) if (!index.has(row.fullOnScreenResult)) index.set(row.fullOnScreenResult, row);
  return index;
}

export function findResultRow(
  index: ConfigIndex,
  fullOnScreenResult: string | undefined,
): ResultConfigRow | undefined {
  return fullOnScreenResult === undefined ? undefined : index.get(resultKey(fullOnScreenResult));
}
