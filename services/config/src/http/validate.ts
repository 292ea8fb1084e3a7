import Router from '@koa/router';
import type Koa from 'koa';
import { validateResultTable, VALIDATION_HEADER_ERRORS } from '@call-sync/core';
import {
  VanAuthError,
  VanBudgetExhaustedError,
  VanError,
  type CandidateConfiguration,
} from '@call-sync/integrations';
import type { ConfigCache } from '../config-cache';
import type { VanMetadataCache, VanView } from '../van-metadata-cache';
import { renderValidatePage } from '../pages/validate-page';
import { candidateHeader } from './configure';
import { HttpError, vanBudgetSpent } from './http-error';
import { respond } from './negotiation';
import { candidateParam } from './params';

export type ValidateAnswer = Awaited<ReturnType<typeof validateAnswer>>;

/**
 * SPEC 5: the key and its mode first (a wrong mode answers 401 like a wrong key), then every row
 * against VAN's metadata. When VAN refuses the key the rows are still checked for what can be
 * checked without VAN, so organisers see every problem at once.
 */
async function validateAnswer(vanCache: VanMetadataCache, configuration: CandidateConfiguration) {
  const { candidate, rows, errors } = configuration;
  let apiKey: { ok: boolean; message: string };
  let view: VanView | undefined;
  if (candidate.system === 'csv') {
    apiKey = { ok: true, message: 'System csv: no VAN key needed, ids are not checked against VAN' };
  } else {
    try {
      view = await vanCache.get(candidate);
      const mode = candidate.system === 'myc' ? 'MyCampaign (|1)' : 'MyVoters (|0)';
      apiKey = {
        ok: true,
        message: `VAN accepted the key in mode ${mode}${view.profile.databaseName ? ` for ${view.profile.databaseName}` : ''}`,
      };
    } catch (error) {
      if (error instanceof VanAuthError) apiKey = { ok: false, message: error.message };
      else if (error instanceof VanBudgetExhaustedError) throw vanBudgetSpent();
      else if (error instanceof VanError) throw new HttpError(502, 'van_unavailable', error.message);
      else throw error;
    }
  }
  const table = validateResultTable(rows, view?.metadata);
  const rowIds = new Set(rows.map((row) => row.rowId));
  // Errors of rows that could not become rows at all (no result, table missing) are only here.
  const tableErrors = errors.filter((error) => !rowIds.has(error.rowId));
  const ok = table.ok && apiKey.ok && tableErrors.length === 0 && rows.length > 0;
  if (rows.length === 0 && tableErrors.length === 0) {
    tableErrors.push({
      table: candidate.referenceName,
      rowId: '',
      field: '',
      message: 'the result table has no rows',
    });
  }
  return {
    candidate: candidateHeader(candidate),
    ok,
    header: ok ? table.header : VALIDATION_HEADER_ERRORS,
    apiKey,
    metadataFetchedAt: view?.fetchedAt.toISOString() ?? null,
    tableErrors,
    rows: table.rows,
  };
}

export function validateRoutes(deps: { cache: ConfigCache; vanCache: VanMetadataCache }): Router {
  const router = new Router();
  router.get('/validate/:candidate', async (ctx: Koa.Context) => {
    const configuration = await candidateParam(ctx, deps.cache);
    const answer = await validateAnswer(deps.vanCache, configuration);
    respond(ctx, answer, () => renderValidatePage(ctx, answer));
  });
  return router;
}
