/** `crewmux notify test`: one test message through every configured notifier, each result reported. */
import { join } from 'node:path';
import { TEST_NOTIFICATION } from '../../core/notify/rules.js';
import type { NotifierConfig } from '../../core/notify/config.js';
import type { SessionRow } from '../../core/session/rows.js';
import type { Notifier } from '../ports/notify.js';
import type { AppServices } from '../services.js';
import { loadConfigFile } from '../session/config.js';
import { effectiveConfig, parseRepoConfig, readRepoConfig } from '../session/repo-config.js';
import { trustStatus } from '../session/repo-trust.js';
import { repoRootsOf } from '../session/lookup.js';
import { deliver, type DeliveryResult } from './send.js';

/** The notifiers a run here would use, notes on what was left out, and this repository's running session. */
export interface NotifyTestSetup {
  notifiers: NotifierConfig[];
  notes: string[];
  /** The latest running session of this repository (the tmux notifier shows the test there). */
  session?: SessionRow;
}

/**
 * The "notify" config of a run in `ctx.cwd`: the global config.json, and the repository's .crewmux/config.json
 * only when it is trusted (`crewmux trust`): a URL from an untrusted checkout is never sent to. Broken files
 * are UserErrors naming them.
 */
export async function notifyTestSetup(ctx: AppServices): Promise<NotifyTestSetup> {
  const notes: string[] = [];
  const repo = await ctx.git.repoInfo(ctx.cwd).catch(() => undefined);
  let notifiers = loadConfigFile(join(ctx.paths.configDir, 'config.json')).notify ?? [];
  if (repo) {
    const snap = readRepoConfig(repo.root);
    const parsed = parseRepoConfig(snap);
    const status = trustStatus(ctx.paths.configDir, snap);
    if (status === 'trusted' || status === 'not-needed')
      notifiers = effectiveConfig(ctx.paths.configDir, parsed).notify ?? [];
    else if (parsed.config.notify?.length)
      notes.push(
        `the notifiers of ${repo.root}/.crewmux/config.json were skipped: the repository's config is ${status === 'changed' ? 'changed since you trusted it' : 'not trusted'} (run \`crewmux trust\`)`,
      );
  }
  const roots = await repoRootsOf(ctx.git, ctx.cwd);
  const session = roots
    ? ctx
        .store()
        .listSessions()
        .find((s) => s.status === 'running' && roots.includes(s.repo_root))
    : undefined;
  return { notifiers, notes, session };
}

/** Sends the test notification through each of `notifiers` (each within `timeoutMs`); one result per notifier. */
export function sendTestNotification(notifiers: readonly Notifier[], timeoutMs?: number): Promise<DeliveryResult[]> {
  return deliver(notifiers, TEST_NOTIFICATION, timeoutMs);
}
