import { indexes, indexServes, queryShapes, unservedReason, type QueryShape } from '../src';

// Whether an index serves a query, from the command the driver sends: equality fields first,
// then the sort in order, then ranges. Expectations written by hand from MongoDB's rules.

const windowScan = queryShapes('find', {
  find: 'calls',
  filter: {
    district: 'nc05',
    timestamp: { $gte: new Date(0), $lt: new Date(1) },
    sync_status: { $exists: false },
  },
  sort: { timestamp: 1, id: 1 },
})[0]!;

test('reads a find command into fields by use and the sort', () => {
  expect(windowScan).toEqual({
    collection: 'calls',
    command: 'find',
    filter: { district: 'eq', timestamp: 'range', sync_status: 'eq' },
    sort: [
      ['timestamp', 1],
      ['id', 1],
    ],
  });
});

test('reads updates, deletes and aggregations, one shape per statement', () => {
  expect(
    queryShapes('update', {
      update: 'calls',
      updates: [{ q: { run_id: 'r', sync_status: { $in: ['a', 'b'] }, error: { $regex: '^x' } } }],
    }),
  ).toEqual([
    {
      collection: 'calls',
      command: 'update',
      filter: { run_id: 'eq', sync_status: 'eq', error: 'residual' },
      sort: [],
    },
  ]);
  expect(
    queryShapes('aggregate', {
      aggregate: 'runs',
      pipeline: [{ $match: { state: 'open' } }, { $sort: { openedAt: -1 } }, { $limit: 5 }],
    })[0],
  ).toMatchObject({ filter: { state: 'eq' }, sort: [['openedAt', -1]] });
});

const index = (key: Record<string, 1 | -1>) => ({ key });

test.each<[string, QueryShape, Record<string, 1 | -1>, boolean]>([
  ['equality, then the sort', windowScan, { district: 1, sync_status: 1, timestamp: 1, id: 1 }, true],
  [
    'the whole index reversed still serves',
    windowScan,
    { district: -1, sync_status: -1, timestamp: -1, id: -1 },
    true,
  ],
  ['a range before the sort would sort in memory', windowScan, { district: 1, timestamp: 1 }, false],
  ['mixed directions do not serve', windowScan, { district: 1, sync_status: 1, timestamp: 1, id: -1 }, false],
  [
    'no sort: a first key the filter bounds',
    { collection: 'calls', command: 'find', filter: { service_name: 'eq', timestamp: 'range' }, sort: [] },
    { service_name: 1, timestamp: 1 },
    true,
  ],
  [
    'no sort: a first key the filter does not name',
    { collection: 'calls', command: 'find', filter: { service_name: 'eq' }, sort: [] },
    { district: 1, service_name: 1 },
    false,
  ],
  [
    'a sort on a field the filter fixes costs nothing',
    {
      collection: 'runs',
      command: 'find',
      filter: { state: 'eq' },
      sort: [
        ['state', 1],
        ['openedAt', 1],
      ],
    },
    { state: 1, openedAt: 1 },
    true,
  ],
])('%s', (_what, query, key, served) => {
  expect(indexServes(query, index(key))).toBe(served);
});

test('the window scan is served by the calls indexes, and a query no index serves is named', () => {
  expect(unservedReason(windowScan, indexes.calls!)).toBeUndefined();
  const dropRateBySomethingElse: QueryShape = {
    collection: 'calls',
    command: 'find',
    filter: { caller_login: 'eq' },
    sort: [['timestamp', -1]],
  };
  expect(unservedReason(dropRateBySomethingElse, indexes.calls!)).toBe(
    'no index of calls serves filter {"caller_login":"eq"} sort [["timestamp",-1]]',
  );
  expect(
    unservedReason({ ...dropRateBySomethingElse, filter: { id: 'eq' } }, indexes.calls!),
  ).toBeUndefined();
});
