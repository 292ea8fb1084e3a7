import type { Call } from '@call-sync/core';
import { waitUntil } from '@call-sync/testkit';
import { easternTime, makeCall } from './support/calls';
import { LIMITED_TOKEN, ORGANISER_TOKEN, useConfigWorld } from './support/config-world';

// A short VAN timeout so the "answers too late" case below takes seconds.
const world = useConfigWorld({
  VAN_TIMEOUT_MS: '1500',
  VAN_PERSON_URL: 'https://van.example/p?id={vanId}',
});
beforeEach(() => world.van.reset());

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (response: Response): Promise<any> => response.json();
const resolve = (verdict: string, callId: string | string[], token?: string) =>
  world.api('/outcome-unknown/resolve', {
    method: 'POST',
    body: JSON.stringify({ verdict, callId }),
    headers: { 'content-type': 'application/json' },
    ...(token ? { token } : {}),
  });

const RUN_ID = '6a1c7a5e-0000-4000-8000-00000000a001';
const day = '2026-07-14';
let vanId = 150_000;

/** A call the van-writer left outcome unknown: its post's mark, the request it decided, the reason. */
function unknownCall(overrides: Partial<Call> = {}): Call {
  vanId += 1;
  const at = easternTime(day, 18, vanId % 60);
  return makeCall({
    timestamp: at,
    run_id: RUN_ID,
    sync_status: 'attempted_error',
    outcome_unknown: true,
    error: 'outcome unknown — check VAN before replaying (timeout)',
    posting_started_at: new Date(at.getTime() + 3_600_000),
    posting_request_id: `req-${vanId}`,
    attempts: 1,
    display_name: 'Strong support',
    van_request: {
      vanId,
      body: {
        canvassContext: { contactTypeId: 1, inputTypeId: 11, dateCanvassed: at.toISOString() },
        responses: [
          { type: 'SurveyResponse', surveyQuestionId: 101, surveyResponseId: 1011 },
          { type: 'ActivistCode', activistCodeId: 201, action: 'Apply' },
        ],
      },
    },
    ...overrides,
  });
}

/** The run the calls belong to, completed with these counts. */
const insertCompletedRun = (counts: Record<string, number>) =>
  world.db.collection('runs').insertOne({
    _id: RUN_ID,
    runId: RUN_ID,
    candidate: 'good-candidate',
    state: 'completed',
    counts,
  } as never);

async function metricValue(candidate: string): Promise<number> {
  const text = await (await world.api('/metrics', { token: null })).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`callsync_calls_outcome_unknown{candidate="${candidate}"`));
  return Number(line?.split(' ').pop());
}

const postsTo = (id: number) =>
  world.van.journal({ vanId: id }).filter((entry) => entry.method === 'POST' && entry.status !== 401);

describe('the outcome-unknown worklist', () => {
  test('lists each call with what was sent in words and ids, when the post left, and a link to the voter', async () => {
    const call = unknownCall();
    const other = unknownCall({ client: 'broken-candidate', district: 'nc09' });
    await world.db.collection('calls').insertMany([call, other, makeCall({ timestamp: call.timestamp })]);
    await insertCompletedRun({ attempted_error: 1, finished: 0 });

    const listed = await json(await world.api(`/outcome-unknown?candidate=good-candidate&day=${day}`));
    expect(listed.total).toBe(1);
    expect(listed.namesFromVan).toBe(true);
    expect(listed.calls).toEqual([
      {
        callId: call.id,
        candidate: 'good-candidate',
        runId: RUN_ID,
        vanId: call.van_request!.vanId,
        voter: 'Ada Lovelace',
        phoneDialed: '9195550101',
        calledAt: call.timestamp.toISOString(),
        result: 'Strong support',
        postLeftAt: call.posting_started_at!.toISOString(),
        requestId: call.posting_request_id,
        attempts: 1,
        dateCanvassed: call.timestamp.toISOString(),
        sent: [
          {
            type: 'SurveyResponse',
            surveyQuestionId: 101,
            question: 'Support 2026',
            surveyResponseId: 1011,
            response: 'Strong support',
          },
          { type: 'ActivistCode', activistCodeId: 201, name: 'Volunteer prospect', action: 'Apply' },
        ],
        error: 'outcome unknown — check VAN before replaying (timeout)',
        vanUrl: `https://van.example/p?id=${call.van_request!.vanId}`,
        repostInFlight: false,
      },
    ]);
    // By run, and all of them for an operator; an organiser limited to some candidates sees only theirs.
    expect((await json(await world.api(`/outcome-unknown?run=${RUN_ID}`))).total).toBe(2);
    const limited = await json(await world.api('/outcome-unknown', { token: LIMITED_TOKEN }));
    expect(limited.calls.map((c: { callId: string }) => c.callId).sort()).toEqual([call.id, other.id].sort());
    expect(
      (await world.api('/outcome-unknown?candidate=csv-candidate', { token: LIMITED_TOKEN })).status,
    ).toBe(403);
    expect((await world.api('/outcome-unknown?day=14-07')).status).toBe(400);

    const page = await world.api(`/outcome-unknown?candidate=good-candidate`, {
      headers: { accept: 'text/html' },
    });
    const text = await page.text();
    expect(text).toContain('Support 2026');
    expect(text).toContain('Volunteer prospect');
    expect(text).toContain(`https://van.example/p?id=${call.van_request!.vanId}`);
    expect(text).toContain('It is in VAN');
    await world.db.collection('calls').deleteMany({ run_id: RUN_ID });
    await world.db.collection('runs').deleteOne({ _id: RUN_ID as never });
  });

  test('"it is in VAN" finishes the call with a receipt naming who confirmed it, audited; the metric falls', async () => {
    const call = unknownCall();
    await world.db.collection('calls').insertOne(call);
    await insertCompletedRun({ attempted_error: 1, finished: 4 });
    // The metric is read from MongoDB at most once a second: wait for the scrape that sees the call.
    await waitUntil(async () => (await metricValue('good-candidate')) === 1, {
      what: 'the metric counting 1',
    });

    // An organiser sees the worklist but does not resolve it.
    expect((await resolve('in-van', call.id, ORGANISER_TOKEN)).status).toBe(403);
    const answer = await json(await resolve('in-van', [call.id]));
    expect(answer).toEqual({
      verdict: 'in-van',
      results: [{ callId: call.id, result: 'finished', detail: 'finished: confirmed in VAN by ops' }],
    });
    const stored = await world.db.collection<Call>('calls').findOne({ id: call.id });
    expect(stored).toMatchObject({
      sync_status: 'finished',
      receipt: { kind: 'van-confirmed', confirmedBy: 'ops', requestId: call.posting_request_id },
      resolution: { verdict: 'in-van', by: 'ops' },
    });
    expect(stored).not.toHaveProperty('outcome_unknown');
    expect(stored).not.toHaveProperty('error');
    expect(postsTo(call.van_request!.vanId)).toHaveLength(0);
    expect(await world.db.collection('runs').findOne({ _id: RUN_ID as never })).toMatchObject({
      counts: { attempted_error: 0, finished: 5 },
    });
    await waitUntil(async () => (await metricValue('good-candidate')) === 0, {
      what: 'the metric falling to 0',
    });

    // Settled once: a second verdict on it changes nothing.
    expect(await json(await resolve('not-in-van', call.id))).toMatchObject({
      results: [{ callId: call.id, result: 'refused' }],
    });
    expect(postsTo(call.van_request!.vanId)).toHaveLength(0);

    const audit = await json(await world.api('/audit?candidate=good-candidate'));
    expect(audit.entries[0]).toMatchObject({
      action: 'outcome_reposted',
      actor: 'ops',
      outcome: 'failed',
    });
    expect(audit.entries[1]).toMatchObject({
      action: 'outcome_confirmed',
      actor: 'ops',
      outcome: 'done',
      summary: '1 of 1 outcome-unknown calls confirmed in VAN',
    });
    await world.db.collection('calls').deleteMany({ run_id: RUN_ID });
    await world.db.collection('runs').deleteOne({ _id: RUN_ID as never });
  });

  test('"it is not in VAN" posts the call once more; a second timeout leaves it unknown, never posted twice', async () => {
    const accepted = unknownCall();
    const timesOut = unknownCall();
    const refused = unknownCall({
      van_request: {
        vanId: 150_900,
        body: {
          canvassContext: {
            contactTypeId: 1,
            inputTypeId: 11,
            dateCanvassed: easternTime(day, 18).toISOString(),
          },
          resultCodeId: 987_654,
        },
      },
    });
    await world.db.collection('calls').insertMany([accepted, timesOut, refused]);

    const first = await json(await resolve('not-in-van', [accepted.id, refused.id]));
    expect(first.results).toEqual([
      {
        callId: accepted.id,
        result: 'finished',
        detail: expect.stringMatching(/^finished: VAN accepted the re-post/),
      },
      {
        callId: refused.id,
        result: 'attempted_error',
        detail: expect.stringMatching(/^VAN refused the re-post/),
      },
    ]);
    expect(postsTo(accepted.van_request!.vanId)).toHaveLength(1);
    expect(postsTo(accepted.van_request!.vanId)[0]!.body).toEqual(accepted.van_request!.body);
    const finished = await world.db.collection<Call>('calls').findOne({ id: accepted.id });
    expect(finished).toMatchObject({
      sync_status: 'finished',
      receipt: { kind: 'van', vanId: accepted.van_request!.vanId, httpStatus: 204 },
      resolution: { verdict: 'not-in-van', by: 'ops' },
      attempts: 2,
    });
    expect(finished).not.toHaveProperty('outcome_unknown');
    expect(await world.db.collection<Call>('calls').findOne({ id: refused.id })).toMatchObject({
      sync_status: 'attempted_error',
      error: expect.stringMatching(/resultCodeId/),
    });

    // VAN takes the post but answers after the client gave up: unknown again, and it stays listed.
    world.van.setKnobs({ timeoutAnswerAfterMs: 2_500 });
    world.van.failNextPosts(1, 'timeout');
    const again = await json(await resolve('not-in-van', timesOut.id));
    expect(again.results).toEqual([
      {
        callId: timesOut.id,
        result: 'outcome_unknown',
        detail: expect.stringMatching(/^outcome unknown again \(timeout\)/),
      },
    ]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(postsTo(timesOut.van_request!.vanId)).toHaveLength(1);
    const stillUnknown = await world.db.collection<Call>('calls').findOne({ id: timesOut.id });
    expect(stillUnknown).toMatchObject({
      sync_status: 'attempted_error',
      outcome_unknown: true,
      attempts: 2,
    });
    expect(stillUnknown).not.toHaveProperty('repost_lease_until');
    const listed = await json(await world.api(`/outcome-unknown?candidate=good-candidate`));
    expect(listed.calls.map((c: { callId: string }) => c.callId)).toEqual([timesOut.id]);

    // A person then finds it in VAN: settled without another post.
    expect((await json(await resolve('in-van', timesOut.id))).results[0].result).toBe('finished');
    expect(postsTo(timesOut.van_request!.vanId)).toHaveLength(1);
    await world.db.collection('calls').deleteMany({ run_id: RUN_ID });
  }, 30_000);

  test('two people sending the same call at once post it once', async () => {
    const call = unknownCall();
    await world.db.collection('calls').insertOne(call);
    world.van.setKnobs({ latencyMs: 300 });
    const answers = await Promise.all([resolve('not-in-van', call.id), resolve('not-in-van', call.id)]);
    const results = (await Promise.all(answers.map(json))).map((a) => a.results[0].result).sort();
    expect(results).toEqual(['finished', 'refused']);
    expect(postsTo(call.van_request!.vanId)).toHaveLength(1);
    await world.db.collection('calls').deleteMany({ run_id: RUN_ID });
  });
});
