import type { VanActivistCode, VanResultCode, VanSurveyQuestion } from '@call-sync/core';
import { easternToEpochMs, formatDialerTime } from './eastern-clock';
import type { AirtableFieldValue, LivevoxCallFixture, SandboxFixture, VanKeyFixture } from './fixture';
import { createSeededRandom, type SeededRandom } from './seeded-random';

export type SeedStrategy = 'full' | 'hybrid' | 'all csv' | 'bulk';
export type SeedSystem = 'van' | 'myc' | 'csv';

export interface SeedOptions {
  candidates: number;
  callsPerCandidate: number;
  seed: number;
  /** Day called, YYYY-MM-DD; calls fall in its Eastern evening. */
  day?: string;
  /**
   * Gives the second candidate (or the only one) a "Call Back Later" row that cannot be synced
   * (a non-contact without result code), so `validate` has something to find.
   */
  misconfiguredRow?: boolean;
  /**
   * Strategies by candidate position, over the cycled profiles (e.g. `['bulk']` makes the first
   * candidate a VAN Bulk Import one). The calls stay the same, so two seeds differing only here
   * can be compared call by call.
   */
  strategies?: (SeedStrategy | undefined)[];
  /** Sync Mode by candidate position (`continuous` or `nightly`); unset leaves the column empty (nightly). */
  syncModes?: ('nightly' | 'continuous' | undefined)[];
}

export interface SeedCandidate {
  referenceName: string;
  slug: string;
  district: string;
  strategy: SeedStrategy;
  system: SeedSystem;
  serviceIds: number[];
}

export interface SeedSummary {
  seed: number;
  day: string;
  vanApplicationName: string;
  airtableBaseId: string;
  listingTable: string;
  termCodeTable: string;
  candidates: SeedCandidate[];
}

export type SeededFixture = SandboxFixture & { meta: SeedSummary };

export const SEED_VAN_APPLICATION_NAME = 'call-sync-sandbox';
export const SEED_AIRTABLE_BASE_ID = 'appCallSyncSandbox';
export const SEED_AIRTABLE_TOKEN = 'patSandboxDemoToken';
export const SEED_LIVEVOX_USER = {
  userName: 'call-sync',
  password: 'sandbox-password',
  clientName: 'CALLSYNC',
};
const LISTING_TABLE = 'Listing';
const TERM_CODE_TABLE = 'Term Codes';

// Cycled in this order so that 3 candidates cover every strategy and 4 every system.
const PROFILES: { strategy: SeedStrategy; system: SeedSystem }[] = [
  { strategy: 'full', system: 'van' },
  { strategy: 'hybrid', system: 'van' },
  { strategy: 'all csv', system: 'csv' },
  { strategy: 'full', system: 'myc' },
  { strategy: 'hybrid', system: 'myc' },
  { strategy: 'all csv', system: 'van' },
];
const CANDIDATE_NAMES = [
  'Maria Lopez',
  'James Carter',
  'Aisha Okafor',
  'Daniel Kim',
  'Rosa Martinez',
  'Samuel Greene',
  'Priya Natarajan',
  'Tom Walsh',
];
const DISTRICTS = ['nc05', 'pa07', 'az02', 'mi08', 'ga06', 'wi03', 'nv04', 'tx28'];
const AREA_CODES = ['919', '215', '602', '517', '404', '608', '702', '512'];
const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Frank',
  'Grace',
  'Hector',
  'Ines',
  'Jamal',
  'Kira',
  'Luis',
];
const LAST_NAMES = [
  'Alvarez',
  'Brooks',
  'Chen',
  'Diaz',
  'Evans',
  'Fischer',
  'Garcia',
  'Huang',
  'Ibrahim',
  'Jones',
];
/**
 * The Contact Type each listing row names, by candidate (cycled like PROFILES): the default
 * (absent, Phone), and names in other cases and spacing, resolved per key by VAN's list.
 */
const CONTACT_TYPE_NAMES: (string | undefined)[] = [
  undefined,
  'Auto Dial',
  undefined,
  'phone bank',
  ' Phone Bank',
  undefined,
];
const CALLERS = ['vol_ana', 'vol_ben', 'vol_chloe', 'vol_dev', 'vol_elena', 'vol_frank'];

// VAN's result codes are the same ids in every committee.
const RESULT_CODES: VanResultCode[] = [
  { resultCodeId: 1, name: 'Not Home', shortName: 'NH' },
  { resultCodeId: 2, name: 'Refused', shortName: 'RF' },
  { resultCodeId: 3, name: 'Moved', shortName: 'MV' },
  { resultCodeId: 4, name: 'Deceased', shortName: 'DC' },
  { resultCodeId: 18, name: 'Busy', shortName: 'BZ' },
  { resultCodeId: 19, name: 'Left Message', shortName: 'LM' },
  { resultCodeId: 20, name: 'Wrong Number', shortName: 'WR' },
  { resultCodeId: 25, name: 'Disconnected', shortName: 'DI' },
];

/** One dialer result: how the term codes name it, how often it happens, and what it means in VAN. */
interface DialerResult {
  screen: string;
  display: string;
  /** The raw dialer result: an agent disposition (LV Result) or a system one (LV System Result). */
  lv: { agent: string; code: number } | { system: string };
  weight: number;
  contact: boolean;
  dropped?: boolean;
  resultCode?: number;
  /** Keys into the candidate's metadata: question/response pairs and activist codes. */
  answers?: [question: 'support' | 'votePlan' | 'volunteer', response: number][];
  tags?: ('volunteer' | 'ride' | 'spanish')[];
  misconfigured?: boolean;
}

const DIALER_RESULTS: DialerResult[] = [
  {
    screen: 'Not Home',
    display: 'Not home',
    lv: { system: 'NO ANSWER' },
    weight: 30,
    contact: false,
    resultCode: 1,
  },
  {
    screen: 'Answering Machine',
    display: 'Left message',
    lv: { system: 'MACHINE' },
    weight: 18,
    contact: false,
    resultCode: 19,
  },
  { screen: 'Busy', display: 'Busy', lv: { system: 'BUSY' }, weight: 6, contact: false, resultCode: 18 },
  {
    screen: 'Dropped',
    display: 'Dropped',
    lv: { system: 'ABANDON' },
    weight: 6,
    contact: false,
    dropped: true,
  },
  {
    screen: 'Disconnected',
    display: 'Disconnected',
    lv: { system: 'INVALID NUMBER' },
    weight: 4,
    contact: false,
    resultCode: 25,
  },
  {
    screen: 'Wrong Number',
    display: 'Wrong number',
    lv: { agent: 'Agent Cust 9', code: 175 },
    weight: 4,
    contact: true,
    resultCode: 20,
  },
  {
    screen: 'Refused',
    display: 'Refused',
    lv: { agent: 'Agent Cust 10', code: 176 },
    weight: 5,
    contact: true,
    resultCode: 2,
  },
  {
    screen: 'Strong Support',
    display: 'Strong support',
    lv: { agent: 'Agent Cust 1', code: 167 },
    weight: 7,
    contact: true,
    answers: [['support', 0]],
  },
  {
    screen: 'Lean Support',
    display: 'Lean support',
    lv: { agent: 'Agent Cust 2', code: 168 },
    weight: 5,
    contact: true,
    answers: [['support', 1]],
  },
  {
    screen: 'Undecided',
    display: 'Undecided',
    lv: { agent: 'Agent Cust 3', code: 169 },
    weight: 5,
    contact: true,
    answers: [['support', 2]],
  },
  {
    screen: 'Lean Oppose',
    display: 'Lean oppose',
    lv: { agent: 'Agent Cust 4', code: 170 },
    weight: 2,
    contact: true,
    answers: [['support', 3]],
  },
  {
    screen: 'Strong Oppose',
    display: 'Strong oppose',
    lv: { agent: 'Agent Cust 5', code: 171 },
    weight: 3,
    contact: true,
    answers: [['support', 4]],
  },
  {
    screen: 'Volunteer Yes',
    display: 'Volunteer',
    lv: { agent: 'Agent Cust 6', code: 172 },
    weight: 1,
    contact: true,
    answers: [
      ['support', 0],
      ['volunteer', 0],
    ],
    tags: ['volunteer'],
  },
  {
    screen: 'Needs A Ride',
    display: 'Needs a ride',
    lv: { agent: 'Agent Cust 7', code: 173 },
    weight: 1,
    contact: true,
    tags: ['ride'],
  },
  {
    screen: 'Early Voter',
    display: 'Voting early',
    lv: { agent: 'Agent Cust 8', code: 174 },
    weight: 1,
    contact: true,
    answers: [
      ['votePlan', 0],
      ['support', 0],
    ],
    tags: ['spanish'],
  },
];
const MISCONFIGURED_RESULT: DialerResult = {
  screen: 'Call Back Later',
  display: 'Call back',
  lv: { agent: 'Agent Cust 11', code: 177 },
  weight: 2,
  contact: false,
  misconfigured: true,
};

interface CandidateMetadata {
  questions: Record<'support' | 'votePlan' | 'volunteer', VanSurveyQuestion>;
  tags: Record<'volunteer' | 'ride' | 'spanish', VanActivistCode>;
  key: VanKeyFixture | undefined;
}

/** A whole sandbox world from a seed: Airtable configuration, VAN metadata and dialer calls that agree. */
export function generateSeed(opts: SeedOptions): SeededFixture {
  const random = createSeededRandom(opts.seed);
  const day = opts.day ?? '2026-10-20';
  const allResults = opts.misconfiguredRow ? [...DIALER_RESULTS, MISCONFIGURED_RESULT] : DIALER_RESULTS;
  const misconfiguredIndex = opts.misconfiguredRow ? Math.min(1, opts.candidates - 1) : -1;

  const fixture: SeededFixture = {
    van: { keys: [], people: { ranges: [{ from: 100000, to: 99_999_999 }] } },
    airtable: {
      listingTable: LISTING_TABLE,
      termCodeTable: TERM_CODE_TABLE,
      bases: [{ baseId: SEED_AIRTABLE_BASE_ID, apiKeys: [SEED_AIRTABLE_TOKEN], tables: {} }],
    },
    livevox: { users: [SEED_LIVEVOX_USER], services: [], calls: [] },
    meta: {
      seed: opts.seed,
      day,
      vanApplicationName: SEED_VAN_APPLICATION_NAME,
      airtableBaseId: SEED_AIRTABLE_BASE_ID,
      listingTable: LISTING_TABLE,
      termCodeTable: TERM_CODE_TABLE,
      candidates: [],
    },
  };
  const tables = fixture.airtable.bases[0]!.tables;
  const recordId = (): string => `rec${random.hex(14)}`;
  tables[LISTING_TABLE] = [];
  tables[TERM_CODE_TABLE] = allResults.map((result) => ({ id: recordId(), fields: termCodeFields(result) }));

  let callSeq = 0;
  for (let index = 0; index < opts.candidates; index += 1) {
    const cycled = PROFILES[index % PROFILES.length]!;
    const profile = { ...cycled, strategy: opts.strategies?.[index] ?? cycled.strategy };
    const results = index === misconfiguredIndex ? allResults : DIALER_RESULTS;
    const round = Math.floor(index / CANDIDATE_NAMES.length);
    const referenceName = `${CANDIDATE_NAMES[index % CANDIDATE_NAMES.length]!}${round ? ` ${round + 1}` : ''}`;
    const district = `${DISTRICTS[index % DISTRICTS.length]!}${round ? String(round + 1) : ''}`;
    const lastName = referenceName.split(' ')[1] ?? referenceName;
    const services = [
      { id: 9000 + index * 10 + 1, name: `${lastName} Persuasion` },
      { id: 9000 + index * 10 + 2, name: `${lastName} GOTV` },
    ];
    fixture.livevox.services.push(...services);
    const candidate: SeedCandidate = {
      referenceName,
      slug: referenceName.toLowerCase().replace(/\s+/g, '-'),
      district,
      strategy: profile.strategy,
      system: profile.system,
      serviceIds: services.map((s) => s.id),
    };
    fixture.meta.candidates.push(candidate);

    const metadata = candidateMetadata(random, index, profile.system);
    if (metadata.key) fixture.van.keys.push(metadata.key);

    const listing: Record<string, AirtableFieldValue> = {
      'Reference Name': referenceName,
      'Service Names': services.map((s) => s.name).join(', '),
      'District Abbreviation': district,
      System: profile.system,
      'Tag Ids': String(metadata.tags.volunteer.activistCodeId),
      Active: true,
      Strategy: profile.strategy,
      'Send Report To': `organiser+${candidate.slug}@example.org`,
      'Sync Time (EST)': 21 + (index % 2),
    };
    if (metadata.key) listing['API Key'] = metadata.key.apiKey;
    const contactType = CONTACT_TYPE_NAMES[index % CONTACT_TYPE_NAMES.length];
    if (contactType !== undefined) listing['Contact Type'] = contactType;
    const syncMode = opts.syncModes?.[index];
    if (syncMode !== undefined) listing['Sync Mode'] = syncMode;
    tables[LISTING_TABLE].push({ id: recordId(), fields: listing });
    tables[referenceName] = results.map((result) => ({
      id: recordId(),
      fields: resultRowFields(result, profile.strategy, metadata),
    }));

    const accountSystem = profile.system === 'csv' ? 'van' : profile.system;
    const areaCode = AREA_CODES[index % AREA_CODES.length]!;
    for (let n = 0; n < opts.callsPerCandidate; n += 1) {
      callSeq += 1;
      const service = random.pick(services);
      fixture.livevox.calls.push(
        dialerCall(random, {
          day,
          district,
          accountSystem,
          areaCode,
          service,
          callSeq,
          results,
          campaignIndex: index,
        }),
      );
    }
  }
  fixture.livevox.calls.sort((a, b) => a.startMs - b.startMs);
  return fixture;
}

function candidateMetadata(random: SeededRandom, index: number, system: SeedSystem): CandidateMetadata {
  const base = 1000 * (index + 1);
  const question = (offset: number, name: string, type: string, responses: string[]): VanSurveyQuestion => ({
    surveyQuestionId: base + offset,
    name,
    shortName: name.slice(0, 10),
    type,
    cycle: 2026,
    status: 'Active',
    scriptQuestion: `${name}?`,
    responses: responses.map((response, i) => ({
      surveyResponseId: (base + offset) * 10 + i + 1,
      name: response,
      mediumName: response.slice(0, 8),
      shortName: response.slice(0, 2).toUpperCase(),
    })),
  });
  const questions = {
    support: question(1, 'Support 2026', 'Candidate', [
      'Strong support',
      'Lean support',
      'Undecided',
      'Lean oppose',
      'Strong oppose',
    ]),
    votePlan: question(2, 'Vote plan', 'GOTV', ['Early', 'Election day', 'By mail']),
    volunteer: question(3, 'Volunteer interest', 'Volunteer', ['Yes', 'Maybe', 'No']),
  };
  const code = (offset: number, name: string, type: string, status = 'Active'): VanActivistCode => ({
    activistCodeId: base + 500 + offset,
    name,
    type,
    description: `${name} (${type})`,
    status,
  });
  const tags = {
    volunteer: code(1, 'Volunteer prospect', 'Volunteer'),
    ride: code(2, 'Needs ride', 'GOTV'),
    spanish: code(3, 'Spanish speaker', 'Language'),
  };
  if (system === 'csv') return { questions, tags, key: undefined };
  const archived = question(9, 'Support 2024', 'Candidate', ['Support', 'Oppose']);
  archived.status = 'Archived';
  const key: VanKeyFixture = {
    applicationName: SEED_VAN_APPLICATION_NAME,
    apiKey: `${random.hex(8)}-${random.hex(4)}-4${random.hex(3)}-8${random.hex(3)}-${random.hex(12)}`,
    mode: system === 'myc' ? 1 : 0,
    ratePerSecond: 15,
    databaseName: system === 'myc' ? 'MyCampaign Sandbox' : 'SmartVAN Sandbox',
    committeeName: `Committee ${index + 1}`,
    surveyQuestions: [questions.support, questions.votePlan, questions.volunteer, archived],
    activistCodes: [
      tags.volunteer,
      tags.ride,
      tags.spanish,
      code(4, 'Yard sign', 'GOTV'),
      code(5, '2022 donor', 'Donor', 'Inactive'),
    ],
    resultCodes: RESULT_CODES,
    // Committees number their own contact types: only Phone is the same everywhere.
    contactTypes: [
      { contactTypeId: 1, name: 'Phone', channelTypeName: 'Phone' },
      { contactTypeId: 2, name: 'Walk', channelTypeName: 'Walk' },
      { contactTypeId: 37, name: 'SMS Text', channelTypeName: 'SMS' },
      { contactTypeId: 60 + index * 7, name: 'Auto Dial', channelTypeName: 'Phone' },
      { contactTypeId: 90 + index * 11, name: 'Phone Bank', channelTypeName: 'Phone' },
    ],
  };
  return { questions, tags, key };
}

function termCodeFields(result: DialerResult): Record<string, AirtableFieldValue> {
  return {
    'LV Result': 'agent' in result.lv ? result.lv.agent : '',
    'LV System Result': 'system' in result.lv ? result.lv.system : '',
    'Full On Screen Result': result.screen,
    'VAN Result': result.display,
    Dialed: true,
    Dropped: result.dropped ?? false,
    Contact: result.contact,
  };
}

function resultRowFields(
  result: DialerResult,
  strategy: SeedStrategy,
  metadata: CandidateMetadata,
): Record<string, AirtableFieldValue> {
  // hybrid spends VAN requests on conversations only; all csv never posts; dropped calls go nowhere.
  const worthVan =
    result.contact || strategy === 'full' || strategy === 'bulk' || result.misconfigured === true;
  const sync = !result.dropped && strategy !== 'all csv' && worthVan;
  const csv = !result.dropped && !sync;
  const fields: Record<string, AirtableFieldValue> = {
    'Full On Screen Result': result.screen,
    Success: result.answers !== undefined || result.tags !== undefined,
    'Canvass Result Code': result.resultCode === undefined ? '' : String(result.resultCode),
    Tags: (result.tags ?? []).map((tag) => metadata.tags[tag].activistCodeId).join(','),
    'Sync to System': sync,
    'Include in CSV': csv,
    'Display Name': result.display,
    'Used?': true,
  };
  (result.answers ?? []).forEach(([question, response], i) => {
    const q = metadata.questions[question];
    fields[`QR ${i + 1}`] = `${q.surveyQuestionId},${q.responses[response]!.surveyResponseId}`;
  });
  return fields;
}

function dialerCall(
  random: SeededRandom,
  at: {
    day: string;
    district: string;
    accountSystem: string;
    areaCode: string;
    service: { id: number; name: string };
    callSeq: number;
    results: DialerResult[];
    campaignIndex: number;
  },
): LivevoxCallFixture {
  const result = random.weighted(at.results.map((r) => [r, r.weight] as const));
  // Phone banks run from 5 pm to 9 pm Eastern.
  const startMs = easternToEpochMs(at.day, 17, 0, 0) + random.int(0, 4 * 3600 - 1) * 1000;
  const answered = result.contact || result.screen === 'Answering Machine' || result.dropped === true;
  const connectMs = answered ? startMs + random.int(2, 8) * 1000 : undefined;
  const finishMs = (connectMs ?? startMs) + (result.contact ? random.int(45, 420) : random.int(4, 35)) * 1000;
  const roll = random.next();
  // A few rows are what real exports contain: the dialer's test accounts, and VAN ids VAN doesn't know.
  const vanId = roll < 0.02 ? random.int(900_000_000, 999_999_999) : random.int(100_000, 99_999_999);
  const accountNumber =
    roll > 0.985 ? `TEST${random.int(100, 999)}` : `${at.district}-${at.accountSystem}-${vanId}`;
  return {
    serviceId: at.service.id,
    startMs,
    finishMs,
    row: {
      id: String(700_000_000 + at.callSeq * 13 + random.int(0, 12)),
      account_number: accountNumber,
      first_name: random.pick(FIRST_NAMES),
      last_name: random.pick(LAST_NAMES),
      phone_dialed: `${at.areaCode}555${String(random.int(0, 9999)).padStart(4, '0')}`,
      connect: connectMs === undefined ? '' : formatDialerTime(connectMs),
      start: formatDialerTime(startMs),
      finish: formatDialerTime(finishMs),
      caller_login: 'agent' in result.lv ? random.pick(CALLERS) : '',
      result: 'agent' in result.lv ? `${result.lv.agent} (${result.lv.code})` : result.lv.system,
      campaign_id: String(5500 + at.campaignIndex * 10 + (at.service.id % 10)),
      service_name: at.service.name,
      // Most rows carry VAN's phone id, some (every fourth) do not, as when a list was loaded
      // without it. Derived from the sequence, not drawn, so existing seeds make the same calls.
      ...(at.callSeq % 4 === 0 ? {} : { phone_id: String(30_000_000 + at.callSeq * 17) }),
    },
  };
}
