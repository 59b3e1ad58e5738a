/**
 * The `desktop` notifier: notify-send on Linux, osascript on macOS, found on PATH when a notification is
 * sent. Text only ever travels as argv elements (adapters/process/exec.ts, no shell); AppleScript gets it through
 * `on run argv`, so nothing in a title or message is parsed as script.
 */
import { exec } from '../process/exec.js';
import { which } from '../process/which.js';
import { NOTIFY_SEND_URGENCY } from '../../core/notify/rules.js';
import type { Notification } from '../../core/notify/rules.js';
import type { Notifier } from '../../app/ports/notify.js';

/** The AppleScript run by osascript: title and message are its arguments, never part of its text. */
export const OSASCRIPT_LINES = [
  'on run argv',
  'display notification (item 2 of argv) with title (item 1 of argv)',
  'end run',
] as const;

// An argument starting with "-" could be read as an option by osascript, which has no "--".
const notOption = (s: string) => (s.startsWith('-') ? ` ${s}` : s);

/** The program and exact argv that show `n` on `platform`; undefined where crewmux has no desktop notifier. */
export function desktopCommand(
  platform: NodeJS.Platform,
  n: Notification,
): { program: string; args: string[] } | undefined {
  if (platform === 'darwin')
    return {
      program: 'osascript',
      args: [...OSASCRIPT_LINES.flatMap((l) => ['-e', l]), notOption(n.title), notOption(n.message)],
    };
  if (platform === 'win32') return undefined;
  return {
    program: 'notify-send',
    args: ['--app-name=crewmux', `--urgency=${NOTIFY_SEND_URGENCY[n.urgency]}`, '--', n.title, n.message],
  };
}

/** A notifier running notify-send / osascript from `env.PATH`; fails when neither is there. */
export function createDesktopNotifier(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Notifier {
  return {
    label: 'desktop',
    async send(n) {
      const cmd = desktopCommand(platform, n);
      if (!cmd) throw new Error(`no desktop notifier on ${platform}`);
      const bin = which(cmd.program, env.PATH);
      if (!bin) throw new Error(`${cmd.program} is not on PATH`);
      const r = await exec(bin, cmd.args, { env, timeoutMs: 5_000, killGraceMs: 1_000, reject: false });
      if (r.exitCode !== 0 || r.timedOut)
        throw new Error(
          `${cmd.program} ${r.timedOut ? 'timed out' : `exited ${r.exitCode ?? r.signal}`}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-200)}` : ''}`,
        );
    },
  };
}
