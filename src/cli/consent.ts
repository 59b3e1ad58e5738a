/**
 * How `run` and `resume` get consent for a repository's crewmux config: --trust-repo-config, else on a
 * terminal (stdin and stderr both TTYs) a y/N question on stderr, else none (headless: refused).
 */
import { createInterface } from 'node:readline';
import type { Consent } from '../app/session/repo-trust.js';

/** The yargs option both commands declare. */
export const TRUST_REPO_CONFIG_OPTION = {
  type: 'boolean',
  default: false,
  describe: "Run this repo's .crewmux config (hooks, verify, custom agents) for this run without `crewmux trust`",
} as const;

/** Writes `question` to stderr and reads one line from stdin; yes is `y` or `yes`, any case. */
async function askYesNo(question: string): Promise<boolean> {
  process.stderr.write(question);
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const line of rl) return /^\s*y(es)?\s*$/i.test(line);
    return false;
  } finally {
    rl.close();
  }
}

/** The consent of a command from its `--trust-repo-config` flag and the terminal it runs on. */
export function consentFromArgs(a: Record<string, unknown>): Omit<Consent, 'now'> {
  const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  return { trustFlag: Boolean(a.trustRepoConfig), ...(tty ? { ask: askYesNo } : {}) };
}
