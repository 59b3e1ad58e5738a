/**
 * The zod schema of a question ticket (tickets.ts says what a ticket is); apart from tickets.ts so that what
 * `crewmux status` imports from there does not load zod.
 */
import { z } from 'zod';
import { ANSWERERS, CATEGORIES, TICKET_SOURCES, URGENCIES } from './tickets.js';

export const TicketSchema = z.object({
  session_id: z.string(),
  id: z.string(),
  worker_id: z.string(),
  question: z.string(),
  options: z.array(z.string()),
  urgency: z.enum(URGENCIES),
  category: z.enum(CATEGORIES),
  source: z.enum(TICKET_SOURCES),
  status: z.enum(['open', 'answered']),
  created_at: z.number(),
  shown_at: z.number().nullable(),
  escalations: z.number().int().min(0),
  escalated_at: z.number().nullable(),
  answer: z.string().nullable(),
  answered_by: z.enum(ANSWERERS).nullable(),
  answered_at: z.number().nullable(),
  delivered_at: z.number().nullable(),
});
export type Ticket = z.infer<typeof TicketSchema>;
