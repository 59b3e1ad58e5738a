/**
 * Hooks: user commands run on session events (.crewmux/hooks.json and hooks.json in the global config
 * dir). This file holds the file's schema and the mapping from crewmux's event log to hook events.
 */
import { z } from 'zod';
import { isWorkerEnd, type EventType } from './event-types.js';

export const HOOK_EVENTS = [
  'session_start',
  'session_end',
  'worker_spawned',
  'worker_done',
  'worker_merged',
  'verify_done',
  'goal_done',
  'goal_failed',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

const HookCommandSchema = z.union([
  z.string().min(1),
  z.object({ command: z.string().min(1), timeout: z.number().positive().max(3600).optional() }).strict(),
]);

export const HooksFileSchema = z
  .object({
    hooks: z.partialRecord(z.enum(HOOK_EVENTS), z.array(HookCommandSchema)),
  })
  .strict();
export type HooksFile = z.infer<typeof HooksFileSchema>;

export interface HookCommand {
  event: HookEvent;
  command: string;
  timeoutS: number;
  source: string;
}

/** Flattens parsed hook files into commands, in file order (global first, then project). */
export function hookCommands(files: { source: string; file: HooksFile }[], defaultTimeoutS = 30): HookCommand[] {
  const out: HookCommand[] = [];
  for (const { source, file } of files) {
    for (const event of HOOK_EVENTS) {
      for (const c of file.hooks[event] ?? []) {
        out.push(
          typeof c === 'string'
            ? { event, command: c, timeoutS: defaultTimeoutS, source }
            : { event, command: c.command, timeoutS: c.timeout ?? defaultTimeoutS, source },
        );
      }
    }
  }
  return out;
}

/** The hook events an event-log entry fires (none for most entries). */
export function hookEventsFor(type: EventType): HookEvent[] {
  if (type === 'session.started') return ['session_start'];
  if (type === 'worker.spawned') return ['worker_spawned'];
  if (isWorkerEnd(type)) return ['worker_done'];
  if (type === 'worker.merged') return ['worker_merged'];
  if (type === 'verify.done') return ['verify_done'];
  if (type === 'session.done') return ['goal_done', 'session_end'];
  if (type === 'session.failed' || type === 'session.timeout' || type === 'session.budget')
    return ['goal_failed', 'session_end'];
  if (type === 'session.stopped') return ['session_end'];
  return [];
}
