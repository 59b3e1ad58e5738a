/**
 * Running hooks: each command of a fired hook event runs in /bin/sh (hooks are the user's own
 * commands) in the repository root, with the event as JSON on stdin and a timeout. Its exit code and
 * output tail go to the event log. A hook that fails or hangs is reported and never stops the run.
 */
import { join } from 'node:path';
import { HooksFileSchema, hookCommands, hookEventsFor, type HookCommand } from '../../core/session/hooks.js';
import { eventSubject } from '../../core/session/event-types.js';
import { loadJsonFile, parseJsonText } from './config.js';
import { exec } from '../../adapters/process/exec.js';
import type { EventLog, SessionEvent } from './events.js';
import { redactSecrets } from '../../core/text/redact.js';

/**
 * Global hooks.json (config dir, always trusted) then the project's: `projectHooksJson` is the text of the
 * repo's .crewmux/hooks.json as the session recorded it when the user trusted it (never read here from the
 * checkout). A broken file is a UserError naming it and the key.
 */
export function loadHooks(configDir: string, projectHooksJson: string | undefined): HookCommand[] {
  const files = [];
  const globalFile = join(configDir, 'hooks.json');
  const global = loadJsonFile(globalFile, HooksFileSchema);
  if (global) files.push({ source: `global ${globalFile}`, file: global });
  if (projectHooksJson !== undefined)
    files.push({
      source: 'project .crewmux/hooks.json',
      file: parseJsonText(projectHooksJson, '.crewmux/hooks.json', HooksFileSchema),
    });
  return hookCommands(files);
}

export type HookRunner = ReturnType<typeof createHookRunner>;

/** Subscribes to `events` and runs matching hooks; `drain()` waits for the ones in flight. */
export function createHookRunner(
  events: EventLog,
  hooks: HookCommand[],
  ctx: { cwd: string; sessionId: string; env: NodeJS.ProcessEnv },
) {
  const inFlight = new Set<Promise<void>>();
  async function run(h: HookCommand, ev: SessionEvent): Promise<void> {
    const payload = JSON.stringify({
      event: h.event,
      sessionId: ctx.sessionId,
      workerId: ev.workerId,
      type: ev.type,
      message: ev.message,
      data: ev.data,
      ts: ev.ts,
    });
    try {
      const r = await exec('/bin/sh', ['-c', h.command], {
        cwd: ctx.cwd,
        env: { ...ctx.env, CREWMUX_HOOK_EVENT: h.event, CREWMUX_SESSION_ID: ctx.sessionId },
        input: payload,
        timeoutMs: h.timeoutS * 1000,
        reject: false,
      });
      const tail = redactSecrets(`${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join(' | ').slice(0, 500));
      const ok = r.exitCode === 0 && !r.timedOut;
      events.emit(
        ok ? 'hook.ran' : 'hook.failed',
        `hook ${h.event} "${redactSecrets(h.command)}" ${r.timedOut ? `timed out after ${h.timeoutS} s` : `exited ${r.exitCode}`}${tail ? `: ${tail}` : ''}`,
        ev.workerId,
        { hook: h.event, command: redactSecrets(h.command), exitCode: r.exitCode, timedOut: r.timedOut },
      );
    } catch (e) {
      events.emit(
        'hook.failed',
        `hook ${h.event} "${redactSecrets(h.command)}" could not run: ${(e as Error).message}`,
        ev.workerId,
      );
    }
  }
  const unsubscribe = events.subscribe((ev) => {
    // A hook's own outcome never fires hooks (no loops).
    if (eventSubject(ev.type) === 'hook') return;
    for (const name of hookEventsFor(ev.type)) {
      for (const h of hooks.filter((x) => x.event === name)) {
        const p = run(h, ev).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
  });
  return {
    async drain(): Promise<void> {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    close: unsubscribe,
  };
}
