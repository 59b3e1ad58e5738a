/**
 * Every zod schema whose rows the stores read back through readRow (row-checks.ts), by name. Only
 * scripts/row-checks.mjs (which writes their RowSpecs into core/session/row-specs.ts) and the tests load this module;
 * the stores name a schema here and import nothing from it at run time, so reading rows loads no zod. A new table's
 * schema goes in its store's own `*-rows.ts` and gets a line here; then rerun the script.
 */
import { EventRowSchema, SessionRowSchema, VerifyRowSchema, WorkerRowSchema } from '../../core/session/rows.js';
import { SignalLineSchema, StatusDecisionSchema } from '../../core/workers/signals-schema.js';
import { TicketSchema } from '../../core/questions/ticket-schema.js';
import { CountRowSchema, ToolStatRowSchema } from './stats-rows.js';
import { CompactionRowSchema } from './compaction-rows.js';
import {
  UsageColumnsSchema,
  UsageCursorColumnsSchema,
  UsageGroupBySessionColumnsSchema,
  UsageGroupColumnsSchema,
  UsageLimitColumnsSchema,
} from '../usage/usage-rows.js';
import { PeakRssSchema, WorkerPeakColumnsSchema } from '../machine/peak-rows.js';
import {
  ApprovalColumnsSchema,
  GateRoundColumnsSchema,
  ReviewColumnsSchema,
  WorkerCriteriaColumnsSchema,
} from '../review/review-rows.js';

export const ROW_SCHEMAS = {
  session: SessionRowSchema,
  worker: WorkerRowSchema,
  event: EventRowSchema,
  verify: VerifyRowSchema,
  toolStat: ToolStatRowSchema,
  count: CountRowSchema,
  compaction: CompactionRowSchema,
  usage: UsageColumnsSchema,
  usageGroup: UsageGroupColumnsSchema,
  usageGroupBySession: UsageGroupBySessionColumnsSchema,
  usageLimit: UsageLimitColumnsSchema,
  usageCursor: UsageCursorColumnsSchema,
  workerPeak: WorkerPeakColumnsSchema,
  peakRss: PeakRssSchema,
  review: ReviewColumnsSchema,
  gateRound: GateRoundColumnsSchema,
  workerCriteria: WorkerCriteriaColumnsSchema,
  approval: ApprovalColumnsSchema,
  ticket: TicketSchema,
  statusDecision: StatusDecisionSchema,
  signalLine: SignalLineSchema,
};
