/**
 * The recorder crewmux installs as an agent's structured status source, run by the agent with the Node that runs
 * crewmux and one argument, the file to append to (in the worker's crewmux state dir, 0600):
 * - as a Claude Code hook (Stop, StopFailure, SessionStart, Notification, UserPromptSubmit, PreToolUse), with the
 *   hook's JSON on stdin;
 * - as Codex's `notify` program, with the notification's JSON as a second argument.
 * It appends one small JSON line (core/workers/signals.ts SignalLineSchema: time, event, notification type, tool,
 * clipped message; never the prompt or tool input) and prints nothing, so it never adds context to a prompt or
 * blocks a hook. It never fails the agent: any error leaves the file as it was and exits 0. It imports nothing
 * from crewmux, so it starts fast.
 */
import { appendFileSync } from 'node:fs';

const str = (v: unknown, max = 200): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

function record(out: string, j: Record<string, unknown>, via: 'claude-hook' | 'codex-notify'): void {
  const line =
    via === 'claude-hook'
      ? {
          at: Date.now(),
          via,
          event: str(j.hook_event_name, 60) ?? '?',
          type: str(j.notification_type, 60),
          tool: str(j.tool_name, 100),
          message: str(j.message),
        }
      : { at: Date.now(), via, event: str(j.type, 60) ?? '?' };
  appendFileSync(out, JSON.stringify(line) + '\n', { mode: 0o600 });
}

function main(): void {
  const out = process.argv[2];
  const arg = process.argv[3];
  if (!out) return;
  if (arg !== undefined) {
    try {
      record(out, JSON.parse(arg) as Record<string, unknown>, 'codex-notify');
    } catch {
      // Not JSON, or the file cannot be written: the agent goes on.
    }
    return;
  }
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    try {
      record(out, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, 'claude-hook');
    } catch {
      // As above.
    }
  });
}

main();
