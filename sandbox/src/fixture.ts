import fs from 'node:fs';
import path from 'node:path';
import type {
  LivevoxCallRow,
  VanActivistCode,
  VanContactType,
  VanInputType,
  VanResultCode,
  VanSurveyQuestion,
} from '@call-sync/core';

export type { VanContactType, VanInputType };

// One JSON document seeds all three sandboxes, so a demo's VAN ids, Airtable rows and dialer
// calls agree with each other (see seed.ts, which writes it).

/** One VAN API key as the sandbox knows it: its owner's metadata and its limits. */
export interface VanKeyFixture {
  applicationName: string;
  apiKey: string;
  /** 0 = MyVoters (voter file), 1 = MyCampaign; the password is `<apiKey>|<mode>`. */
  mode: 0 | 1;
  /** The key profile's rate limit; VAN's common profile allows 15 requests/s. */
  ratePerSecond?: number;
  databaseName?: string;
  committeeName?: string;
  /** The VAN user the key acts as (`userId` of its profile); SANDBOX_VAN_USER_ID when absent. */
  userId?: number;
  surveyQuestions: VanSurveyQuestion[];
  activistCodes: VanActivistCode[];
  resultCodes: VanResultCode[];
  contactTypes?: VanContactType[];
  inputTypes?: VanInputType[];
}

/** The VAN user of a key whose fixture names none. */
export const SANDBOX_VAN_USER_ID = 1001;

/** The VAN user a key acts as: what its profile answers and the only valid CanvassedBy of its jobs. */
export function vanUserIdOf(key: VanKeyFixture): number {
  return key.userId ?? SANDBOX_VAN_USER_ID;
}

/** Which VAN ids exist: an explicit list and/or inclusive ranges. */
export interface VanPeopleFixture {
  ids?: number[];
  ranges?: { from: number; to: number }[];
}

export interface VanFixture {
  keys: VanKeyFixture[];
  people: VanPeopleFixture;
}

export type AirtableFieldValue = string | number | boolean | string[] | null;
export interface AirtableRecordFixture {
  id: string;
  createdTime?: string;
  fields: Record<string, AirtableFieldValue>;
}
export interface AirtableBaseFixture {
  baseId: string;
  /** Bearer tokens accepted for this base. */
  apiKeys: string[];
  tables: Record<string, AirtableRecordFixture[]>;
}
export interface AirtableFixture {
  bases: AirtableBaseFixture[];
  /** Name of the listing table, for whoever reads the fixture (the sandbox serves any table). */
  listingTable?: string;
  termCodeTable?: string;
}

export interface LivevoxCallFixture {
  serviceId: number;
  /** Start of the call in epoch ms, which the call-detail window filters on. */
  startMs: number;
  /** End of the call in epoch ms: under the `clockMs` knob a call appears only once it has ended. */
  finishMs?: number;
  /** Served as it is, with any fields a fixture adds beside the dialer's own. */
  row: LivevoxCallRow;
}
export interface LivevoxFixture {
  users: { userName: string; password: string; clientName: string }[];
  services: { id: number; name: string }[];
  calls: LivevoxCallFixture[];
}

export interface SandboxFixture {
  van: VanFixture;
  airtable: AirtableFixture;
  livevox: LivevoxFixture;
}

/** The fixture committed for the demo; resolves the same from src/ (tests) and dist/ (npm run sandbox). */
export const DEMO_FIXTURE_PATH = path.join(__dirname, '..', 'fixtures', 'demo.json');

/** Small hand-written fixture with known ids, for the sandbox and client contract tests. */
export const CONTRACT_FIXTURE_PATH = path.join(__dirname, '..', 'fixtures', 'contract.json');

export function loadFixture(file: string = DEMO_FIXTURE_PATH): SandboxFixture {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SandboxFixture;
}
