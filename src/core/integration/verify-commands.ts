/**
 * Where verify commands come from, and how a lead-given command is split into argv. Configured
 * commands (config.json `verify`, PROJECT.md `## How to verify`) are the user's own and run in a
 * shell; a command the lead passes runs only when it is one of them or the config sets
 * `verifyAllowAdHoc` (src/app/integration/verify.ts), and then without a shell. The metacharacter check
 * below is not a security boundary (`node -e "..."` passes it): the allow-list is.
 */
import { verifySection } from '../session/repo-trust.js';

/** Commands from the `## How to verify` section of PROJECT.md: a fenced block's lines, else bullets. */
export function verifyCommandsFromProject(markdown: string): string[] {
  const section = verifySection(markdown);
  if (section === undefined) return [];
  const body = section.slice(section.indexOf('\n') + 1);
  const fence = /```[a-z]*\n([\s\S]*?)```/.exec(body);
  const lines = fence
    ? fence[1]!.split('\n')
    : body
        .split('\n')
        .filter((l) => /^\s*[-*]\s+/.test(l))
        .map((l) => l.replace(/^\s*[-*]\s+/, ''));
  return lines
    .map((l) =>
      l
        .trim()
        .replace(/^`(.*)`$/, '$1')
        .trim(),
    )
    .filter((l) => l && !l.startsWith('#'));
}

/** A command as compared with the configured ones: trimmed, runs of blanks as one space. */
export function normalizeCommand(command: string): string {
  return command.trim().replace(/\s+/g, ' ');
}

const FORBIDDEN = /[|&;<>`$\\]/;

/** Splits a lead-given command into argv (quotes group words); undefined with a reason when it needs a shell. */
export function splitCommand(command: string): { argv: string[] } | { error: string } {
  if (FORBIDDEN.test(command)) {
    return {
      error: `"${command}" needs a shell (it holds one of | & ; < > \` $ \\). verify runs commands you pass without a shell; put shell pipelines in .crewmux/config.json "verify" instead, or call verify with no commands to run the configured ones`,
    };
  }
  const argv: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(command); m; m = re.exec(command)) argv.push(m[1] ?? m[2] ?? m[3]!);
  return argv.length ? { argv } : { error: 'an empty command' };
}
