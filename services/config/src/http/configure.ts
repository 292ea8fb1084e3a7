import Router from '@koa/router';
import type Koa from 'koa';
import type { Candidate } from '@call-sync/core';
import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanError,
  type CandidateConfiguration,
} from '@call-sync/integrations';
import type { ConfigCache } from '../config-cache';
import type { VanMetadataCache, VanView } from '../van-metadata-cache';
import { renderConfigurePage } from '../pages/configure-page';
import { HttpError, vanBudgetSpent } from './http-error';
import { respond } from './negotiation';
import { candidateParam } from './params';
import { operations } from './api/operations';
import { serve } from './serve-operation';

/** How to fill the result table, as the original's configure page told organisers. */
const CONFIGURE_INSTRUCTIONS = [
  'Each row of the result table named after the candidate is one dialer result: type it in "Full On Screen Result" as the dialer shows it (case does not matter).',
  'Check "Success" when the voter was reached; leave it unchecked for a non-contact (busy, not home, wrong number).',
  'Not reached: put the id of a VAN result code in "Canvass Result Code" (e.g. 1 for Not Home). QR pairs and Tags are not sent for these rows.',
  'Reached: put survey answers in "QR 1", "QR 2", ... one per column, written questionId,responseId exactly as listed below; and/or activist code ids in "Tags", separated by commas. VAN needs one or the other.',
  'Check "Sync to System" to post the result to VAN; check only "Include in CSV" to receive it in the CSV file instead; check neither to ignore it.',
  '"Display Name" is the label used in the CSV and in the morning report.',
  "When the table is filled in, open the validate page to check every row against VAN before tonight's run.",
];

export function candidateHeader(candidate: Candidate) {
  return {
    slug: candidate.slug,
    referenceName: candidate.referenceName,
    system: candidate.system,
    strategy: candidate.strategy,
    district: candidate.district,
  };
}

/** The VAN view of a candidate, or the HTTP error that explains why VAN could not give it. */
async function vanViewOrThrow(vanCache: VanMetadataCache, candidate: Candidate): Promise<VanView> {
  try {
    return await vanCache.get(candidate);
  } catch (error) {
    if (error instanceof VanAuthError) throw new HttpError(502, 'van_key_refused', error.message);
    if (error instanceof VanBudgetExhaustedError) throw vanBudgetSpent();
    if (error instanceof VanError) throw new HttpError(502, 'van_unavailable', error.message);
    throw error;
  }
}

function describeVan(view: VanView) {
  const { metadata } = view;
  return {
    database: view.profile.databaseName ?? null,
    committee: view.profile.committeeName ?? null,
    fetchedAt: view.fetchedAt.toISOString(),
    resultCodes: metadata.resultCodes
      .map((code) => ({ id: code.resultCodeId, name: code.name, shortName: code.shortName ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    activistCodes: metadata.activistCodes
      .map((code) => ({
        id: code.activistCodeId,
        name: code.name,
        description: code.description ?? null,
        label: code.description ? `${code.name} (${code.description})` : code.name,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    surveyQuestions: metadata.surveyQuestions
      .map((question) => ({
        id: question.surveyQuestionId,
        name: question.name,
        type: question.type ?? null,
        responses: question.responses.map((response) => ({
          id: response.surveyResponseId,
          name: response.name,
          pair: `${question.surveyQuestionId},${response.surveyResponseId}`,
          label: `${question.surveyQuestionId},${response.surveyResponseId} -> ${response.name}`,
        })),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

async function configureAnswer(vanCache: VanMetadataCache, { candidate }: CandidateConfiguration) {
  const van = candidate.system === 'csv' ? null : describeVan(await vanViewOrThrow(vanCache, candidate));
  return {
    candidate: candidateHeader(candidate),
    van,
    note:
      van === null
        ? 'This candidate has no VAN (System csv): results go to the CSV file, so only Display Name and Include in CSV matter.'
        : null,
    instructions: CONFIGURE_INSTRUCTIONS,
  };
}

export function configureRoutes(deps: { cache: ConfigCache; vanCache: VanMetadataCache }): Router {
  const router = new Router();
  serve(router, operations.configure, async (ctx: Koa.Context, { params }) => {
    const configuration = await candidateParam(ctx, deps.cache, params.candidate);
    const answer = await configureAnswer(deps.vanCache, configuration);
    respond(ctx, answer, () => renderConfigurePage(ctx, answer));
  });
  return router;
}
