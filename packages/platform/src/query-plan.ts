// Whether an index serves a query, judged from the command the driver sends. Real MongoDB sorts
// in memory whatever no index orders, and fails past 100 MB — a whole night of calls. The test
// run records the shape of every query the code sends (CALL_SYNC_QUERY_LOG) and checks each
// against the one list of indexes in mongo.ts, so a new query without its index fails CI instead
// of a campaign's night.

import type { Document, IndexDescription } from 'mongodb';

/** How a filter uses a field: bounds an index scan (eq, range), or is checked on each document. */
type FieldUse = 'eq' | 'range' | 'residual';

export interface QueryShape {
  collection: string;
  /** find, aggregate, update, delete, findAndModify, count, distinct. */
  command: string;
  filter: Record<string, FieldUse>;
  sort: [field: string, direction: 1 | -1][];
}

const EQUALITY_OPERATORS = new Set(['$eq', '$in']);
const RANGE_OPERATORS = new Set(['$gt', '$gte', '$lt', '$lte']);

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date)
    return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

function fieldUse(value: unknown): FieldUse {
  if (!isOperatorObject(value)) return 'eq';
  const operators = Object.entries(value);
  // {$exists: false} is an index bound on null; {$exists: true}, $ne, $regex... are not.
  if (operators.every(([op, arg]) => EQUALITY_OPERATORS.has(op) || (op === '$exists' && arg === false)))
    return 'eq';
  if (operators.some(([op]) => RANGE_OPERATORS.has(op))) return 'range';
  return 'residual';
}

function filterShape(filter: Document | undefined): Record<string, FieldUse> {
  const shape: Record<string, FieldUse> = {};
  for (const [field, value] of Object.entries(filter ?? {})) {
    if (field === '$and' && Array.isArray(value)) Object.assign(shape, ...value.map(filterShape));
    else if (!field.startsWith('$')) shape[field] = fieldUse(value);
    // $or, $expr, $where: checked document by document; they narrow nothing here.
  }
  return shape;
}

function sortShape(sort: Document | undefined): QueryShape['sort'] {
  return Object.entries(sort ?? {}).map(([field, direction]) => [field, direction === -1 ? -1 : 1]);
}

/** The queries inside one command the driver sent (an update command may hold several). */
export function queryShapes(commandName: string, command: Document): QueryShape[] {
  const collection = String(command[commandName] ?? '');
  const shape = (filter: Document | undefined, sort?: Document): QueryShape => ({
    collection,
    command: commandName,
    filter: filterShape(filter),
    sort: sortShape(sort),
  });
  switch (commandName) {
    case 'find':
      return [shape(command.filter, command.sort)];
    case 'findAndModify':
      return [shape(command.query, command.sort)];
    case 'count':
    case 'distinct':
      return [shape(command.query)];
    case 'update':
      return ((command.updates as Document[] | undefined) ?? []).map((u) => shape(u.q));
    case 'delete':
      return ((command.deletes as Document[] | undefined) ?? []).map((d) => shape(d.q));
    case 'aggregate': {
      const pipeline = (command.pipeline as Document[] | undefined) ?? [];
      const match = pipeline[0]?.$match as Document | undefined;
      const sortStage = (match ? pipeline[1] : pipeline[0])?.$sort as Document | undefined;
      return [shape(match, sortStage)];
    }
    default:
      return [];
  }
}

/**
 * Whether `index` serves the query: its leading keys are equality fields of the filter (in any
 * order), then the sort's fields in order (all in the index's direction or all reversed); range
 * fields may follow. With no sort, the first key must bound the scan. Sorting on a field the filter
 * fixes costs nothing, so such sort fields are left out.
 */
export function indexServes(query: QueryShape, index: IndexDescription): boolean {
  const keys = Object.entries(index.key as Record<string, number>);
  let i = 0;
  while (i < keys.length && query.filter[keys[i]![0]] === 'eq') i += 1;
  const sort = query.sort.filter(([field]) => query.filter[field] !== 'eq');
  if (sort.length === 0) {
    const first = keys[0]?.[0];
    return first !== undefined && (query.filter[first] === 'eq' || query.filter[first] === 'range');
  }
  // An index walked from end to end in order avoids the sort but reads the whole collection: a
  // filtered query must be bounded by the equality prefix or by a range on the first sort key.
  const bounded = i > 0 || query.filter[sort[0]![0]] === 'range' || Object.keys(query.filter).length === 0;
  if (!bounded) return false;
  let ratio: number | undefined;
  for (const [j, [field, direction]] of sort.entries()) {
    const key = keys[i + j];
    if (!key || key[0] !== field) return false;
    const r = direction * Math.sign(key[1]);
    if (ratio !== undefined && r !== ratio) return false;
    ratio = r;
  }
  return true;
}

/** Why a query is not served by any index, or undefined when one serves it. */
export function unservedReason(query: QueryShape, indexes: readonly IndexDescription[]): string | undefined {
  // _id and the unique call id name one document.
  if (query.filter._id === 'eq' || (query.collection.startsWith('calls') && query.filter.id === 'eq'))
    return undefined;
  if (indexes.some((index) => indexServes(query, index))) return undefined;
  return `no index of ${query.collection} serves filter ${JSON.stringify(query.filter)} sort ${JSON.stringify(query.sort)}`;
}
