import type Router from '@koa/router';
import type { Db } from 'mongodb';
import type { OperatorCalls, OperatorRuns } from '@call-sync/store';
import type { ConfigCache } from '../config-cache';
import type { AuditRepository } from '../data-access/audit-repository';
import type { ImportsRepository } from '../data-access/imports-repository';
import type { ReportsRepository } from '../data-access/reports-repository';
import type { VanMetadataCache } from '../van-metadata-cache';
import { auditRoutes } from './audit';
import { callJourneyRoutes } from './call-journey';
import { callsImportRoutes } from './calls-import';
import { candidatesRoutes } from './candidates';
import { configureRoutes } from './configure';
import { dropRateRoutes } from './drop-rate';
import { openApiRoutes } from './openapi';
import { outcomeUnknownRoutes } from './outcome-unknown';
import { runsRoutes } from './runs';
import { validateRoutes } from './validate';

export interface ConfigRouterDeps {
  db: Db;
  cache: ConfigCache;
  vanCache: VanMetadataCache;
  calls: OperatorCalls;
  runs: OperatorRuns;
  reports: ReportsRepository;
  imports: ImportsRepository;
  audit: AuditRepository;
  /** IMPORT_MAX_BYTES. */
  maxImportBytes: number;
  /** PHONE_ID_SHARE_CACHE_MS. */
  phoneIdShareCacheMs?: number;
  /** VAN_DAILY_BUDGET, as the VAN clients spend it. */
  vanDailyBudget: number;
  /** VAN_BULK_MAX_ROWS_PER_JOB. */
  bulkRowsPerJob: number;
  /** VAN_PERSON_URL. */
  vanPersonUrl: string;
  /** VAN_TIMEOUT_MS: a person's re-post holds its call for longer than VAN can take. */
  vanTimeoutMs: number;
}

/** Every router of the service, in one list: main mounts it, the access test walks it. */
export function configRouters(deps: ConfigRouterDeps): Router[] {
  const { cache, vanCache, calls, runs, reports, imports, audit } = deps;
  return [
    candidatesRoutes({ cache, calls, audit }),
    configureRoutes({ cache, vanCache }),
    validateRoutes({ cache, vanCache, calls, phoneIdShareCacheMs: deps.phoneIdShareCacheMs ?? 60_000 }),
    runsRoutes({
      db: deps.db,
      vanDailyBudget: deps.vanDailyBudget,
      cache,
      vanCache,
      runs,
      calls,
      reports,
      audit,
      bulkRowsPerJob: deps.bulkRowsPerJob,
    }),
    dropRateRoutes({ calls, cache }),
    openApiRoutes(),
    auditRoutes({ audit }),
    callsImportRoutes({ cache, calls, imports, audit, maxBytes: deps.maxImportBytes }),
    callJourneyRoutes({ calls, runs }),
    outcomeUnknownRoutes({
      db: deps.db,
      cache,
      vanCache,
      audit,
      personUrl: deps.vanPersonUrl,
      repostLeaseMs: repostLeaseMs(deps.vanTimeoutMs),
    }),
  ];
}

/**
 * A person's re-post owns its call for twice VAN's timeout and two minutes of the client's
 * throttling back-off: past that its process is gone, and the call may be resolved again.
 */
const repostLeaseMs = (vanTimeoutMs: number): number => 2 * vanTimeoutMs + 120_000;
