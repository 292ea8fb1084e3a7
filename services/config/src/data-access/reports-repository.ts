import { MongoServerError, type Db } from 'mongodb';
import { reportsCollection, type ReportDelivery, type ReportDocument } from '@call-sync/store';

export interface ReportsRepository {
  /** Inserts the report unless one exists for the run; returns the stored one either way. */
  insertOnce(report: ReportDocument): Promise<{ created: boolean; report: ReportDocument }>;
  getForRuns(runIds: string[]): Promise<Map<string, ReportDocument>>;
  /** Takes one due, undelivered report (of `runId` when given) and pushes its next attempt out by `leaseMs`. */
  claimDue(now: Date, leaseMs: number, runId?: string): Promise<ReportDocument | null>;
  recordDelivery(runId: string, delivery: ReportDelivery): Promise<void>;
}

const DUPLICATE_KEY = 11000;

export function createReportsRepository(db: Db): ReportsRepository {
  const reports = reportsCollection(db);
  return {
    async insertOnce(report) {
      try {
        await reports.insertOne(report);
        return { created: true, report };
      } catch (error) {
        if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
        const existing = await reports.findOne({ _id: report._id });
        if (!existing) throw error;
        return { created: false, report: existing };
      }
    },
    async getForRuns(runIds) {
      const found = await reports.find({ _id: { $in: runIds } }).toArray();
      return new Map(found.map((report) => [report._id, report]));
    },
    claimDue(now, leaseMs, runId) {
      return reports.findOneAndUpdate(
        {
          ...(runId ? { _id: runId } : {}),
          'delivery.status': { $in: ['pending', 'failed'] },
          'delivery.nextAttemptAt': { $lte: now },
        },
        { $set: { 'delivery.nextAttemptAt': new Date(now.getTime() + leaseMs) } },
        { returnDocument: 'after' },
      );
    },
    async recordDelivery(runId, delivery) {
      await reports.updateOne({ _id: runId }, { $set: { delivery } });
    },
  };
}
