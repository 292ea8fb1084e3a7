import { MongoServerError, type Collection, type Db } from 'mongodb';
import { Collections } from '@call-sync/platform';

export type DeliveryStatus = 'pending' | 'sent' | 'failed';

export interface ReportDelivery {
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: Date;
  sentAt?: Date;
  /** When the retry loop may try again; also a lease so two replicas never send at once. */
  nextAttemptAt: Date;
}

/** One report per run: `_id` is the runId, so a redelivered run.completed cannot make a second. */
export interface ReportDocument {
  _id: string;
  runId: string;
  candidate: string;
  kind: 'completed' | 'failed';
  /** Send Report To of the candidate, when the listing has one. */
  to?: string;
  subject: string;
  text: string;
  createdAt: Date;
  delivery: ReportDelivery;
}

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
  const reports: Collection<ReportDocument> = db.collection(Collections.Reports);
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
