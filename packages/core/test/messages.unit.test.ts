import { CsvExportMessage, RunEvent, VanSyncMessage, decodeMessage } from '../src/messages';

describe('kafka messages', () => {
  it('accepts a van-sync message and refuses one without calls or with another version', () => {
    const message = { v: 1, runId: 'run-1', candidate: 'nc05-jane-doe', callIds: ['9001', '9002'] };
    expect(VanSyncMessage.parse(message)).toEqual(message);
    expect(VanSyncMessage.safeParse({ ...message, callIds: [] }).success).toBe(false);
    expect(VanSyncMessage.safeParse({ ...message, v: 2 }).success).toBe(false);
  });

  it('tells results exports from caller files', () => {
    expect(
      CsvExportMessage.parse({
        v: 1,
        runId: 'r',
        candidate: 'c',
        kind: 'results',
        fromStatus: 'queued_for_csv',
      }),
    ).toMatchObject({ kind: 'results' });
    expect(CsvExportMessage.parse({ v: 1, runId: 'r', candidate: 'c', kind: 'callers' })).toMatchObject({
      kind: 'callers',
    });
    expect(CsvExportMessage.safeParse({ v: 1, runId: 'r', candidate: 'c', kind: 'results' }).success).toBe(
      false,
    );
  });

  it('accepts run events with counts per status', () => {
    const event = {
      v: 1,
      runId: 'r',
      candidate: 'c',
      type: 'run.progress',
      at: '2026-11-03T20:01:00-05:00',
      state: 'writing',
      counts: { finished: 3, attempted_error: 1 },
    };
    expect(RunEvent.parse(event)).toEqual(event);
    expect(RunEvent.safeParse({ ...event, counts: { posting: 1 } }).success).toBe(false);
    expect(RunEvent.safeParse({ ...event, type: 'run.exploded' }).success).toBe(false);
  });

  it('decodes JSON text or says why it cannot, for the dead-letter topic', () => {
    expect(decodeMessage(VanSyncMessage, '{"v":1,"runId":"r","candidate":"c","callIds":["1"]}')).toEqual({
      ok: true,
      message: { v: 1, runId: 'r', candidate: 'c', callIds: ['1'] },
    });
    expect(decodeMessage(VanSyncMessage, '{oops')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not JSON/),
    });
    expect(decodeMessage(VanSyncMessage, '{"v":1}')).toMatchObject({
      ok: false,
      error: expect.stringContaining('runId'),
    });
  });
});
