/**
 * Trusting a repository's crewmux config (like `direnv allow` or `mise trust`): `crewmux trust` records the
 * hash of the repo's config material (src/core/session/repo-trust.ts) in `<configDir>/trusted-repos.json`
 * (0600), keyed by the repository's real path. A run (or a resume with changed config) goes on only when
 * the repo needs no trust, the hash is recorded, the user passed --trust-repo-config, or the user says yes
 * at the prompt on a terminal.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../core/errors.js';
import { readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import {
  parseRepoConfig,
  readRepoConfig,
  repoConfigNeedsTrust,
  type ParsedRepoConfig,
  type RepoConfigSnapshot,
} from './repo-config.js';
import type { Config } from '../../core/session/config-schema.js';
import type { AppServices } from '../services.js';

export const TRUST_FILE = 'trusted-repos.json';

const TrustFileSchema = z.object({
  version: z.literal(1),
  repos: z.record(z.string(), z.object({ hash: z.string(), trustedAt: z.string(), parts: z.array(z.string()) })),
});
type TrustFile = z.infer<typeof TrustFileSchema>;

/** not-needed: nothing in the repo runs; trusted: this exact config; changed: another config was trusted. */
export type TrustStatus = 'not-needed' | 'trusted' | 'untrusted' | 'changed';

function trustFile(configDir: string): string {
  return join(configDir, TRUST_FILE);
}

/** The trust store; an unreadable or foreign file counts as empty (nothing trusted), never as trust. */
function readTrust(configDir: string): TrustFile {
  const text = readIfExists(trustFile(configDir));
  if (text === undefined) return { version: 1, repos: {} };
  try {
    return TrustFileSchema.parse(JSON.parse(text));
  } catch {
    return { version: 1, repos: {} };
  }
}

function writeTrust(configDir: string, t: TrustFile): void {
  // Atomic rename over the file: a symlink planted at the path is replaced, never followed.
  writeFileAtomic(trustFile(configDir), JSON.stringify(t, null, 2) + '\n', 0o600);
}

/** Whether `snap` may run without asking. */
export function trustStatus(configDir: string, snap: RepoConfigSnapshot): TrustStatus {
  if (!repoConfigNeedsTrust(snap)) return 'not-needed';
  const entry = readTrust(configDir).repos[snap.root];
  if (!entry) return 'untrusted';
  return entry.hash === snap.hash ? 'trusted' : 'changed';
}

/** Records trust in `snap` (its root and hash); `now` is an ISO time for the record. */
export function recordTrust(configDir: string, snap: RepoConfigSnapshot, now: string): void {
  const t = readTrust(configDir);
  t.repos[snap.root] = { hash: snap.hash, trustedAt: now, parts: Object.keys(snap.material) };
  writeTrust(configDir, t);
}

/** Forgets the trust recorded for `root`; false when there was none. */
export function revokeTrust(configDir: string, root: string): boolean {
  const t = readTrust(configDir);
  if (!t.repos[root]) return false;
  delete t.repos[root];
  writeTrust(configDir, t);
  return true;
}

/** What the repo's config would run, for the prompt and `crewmux trust --show`. */
export interface WhatWouldRun {
  hooks: { event: string; command: string }[];
  verify: { source: string; commands: string[] };
  agents: { name: string; command: string }[];
  /** Worktree setup and teardown commands (config.json `worktree`, or conductor.json's setup script). */
  worktree: { step: 'setup' | 'teardown'; source: string; command: string }[];
}

/** The commands a parsed repo config would run: hooks, verify (the repo's), custom agent commands. */
export function whatWouldRun(parsed: ParsedRepoConfig): WhatWouldRun {
  const c: Config = parsed.config;
  return {
    hooks: parsed.hooks.map((h) => ({ event: h.event, command: h.command })),
    verify: c.verify?.length
      ? { source: '.crewmux/config.json "verify"', commands: c.verify }
      : { source: '.crewmux/PROJECT.md "## How to verify"', commands: parsed.projectVerify },
    agents: Object.entries(c.agents ?? {}).map(([name, a]) => ({
      name,
      command: [a.command, ...(a.args ?? [])].map((x) => (/[\s"'$`\\]/.test(x) ? JSON.stringify(x) : x)).join(' '),
    })),
    worktree: [
      ...(c.worktree?.setup?.length
        ? c.worktree.setup.map((command) => ({ step: 'setup' as const, source: 'config.json', command }))
        : parsed.conductorSetup
          ? [{ step: 'setup' as const, source: 'conductor.json', command: parsed.conductorSetup }]
          : []),
      ...(c.worktree?.teardown ?? []).map((command) => ({ step: 'teardown' as const, source: 'config.json', command })),
    ],
  };
}

/** The text that shows `what` to a person: one line per command. */
export function describeWhatWouldRun(what: WhatWouldRun): string {
  const lines: string[] = [];
  for (const h of what.hooks) lines.push(`  hook ${h.event}: ${h.command}`);
  for (const v of what.verify.commands) lines.push(`  verify (${what.verify.source}): ${v}`);
  for (const a of what.agents) lines.push(`  agent ${a.name}: ${a.command}`);
  for (const w of what.worktree ?? []) lines.push(`  worktree ${w.step} (${w.source}): ${w.command}`);
  return lines.length ? lines.join('\n') : '  (no commands; other settings only)';
}

export interface Consent {
  /** --trust-repo-config: this run trusts the repo config without recording it. */
  trustFlag?: boolean;
  /** On a terminal: show `summary` and ask; resolves true for yes. Unset: headless, never asks. */
  ask?: (summary: string) => Promise<boolean>;
  /** ISO time for a trust recorded after a yes. */
  now: string;
}

/**
 * Goes on when `snap` needs no trust, is trusted, the flag is given, or the user says yes to `consent.ask`
 * (then the trust is recorded); else throws UserError E_REPO_CONFIG_UNTRUSTED naming `crewmux trust`.
 */
export async function requireRepoTrust(
  configDir: string,
  snap: RepoConfigSnapshot,
  parsed: ParsedRepoConfig,
  consent: Consent,
): Promise<void> {
  const status = trustStatus(configDir, snap);
  if (status === 'not-needed' || status === 'trusted' || consent.trustFlag) return;
  const what = `${snap.root}'s crewmux config (${Object.keys(snap.material).join(', ')})`;
  if (consent.ask) {
    const summary =
      `${what} is ${status === 'changed' ? 'changed since you trusted it' : 'not trusted'}. It would run:\n` +
      `${describeWhatWouldRun(whatWouldRun(parsed))}\nTrust it and run? (y/N) `;
    if (await consent.ask(summary)) {
      recordTrust(configDir, snap, consent.now);
      return;
    }
  }
  throw new UserError(
    'E_REPO_CONFIG_UNTRUSTED',
    `${what} ${status === 'changed' ? 'changed since you trusted it' : 'is not trusted'}; review it with \`crewmux trust --show\`, then run \`crewmux trust\`.`,
  );
}

/** What `crewmux trust --show` reports about the repository around ctx.cwd. */
export interface RepoTrustView {
  root: string;
  status: TrustStatus;
  /** Which parts of the config are trusted together (config.json, hooks.json, PROJECT.md#how-to-verify). */
  parts: string[];
  hash: string;
  wouldRun: WhatWouldRun;
  /** Keys of the repo's config.json that are ignored (base URLs). */
  warnings: string[];
}

/** The trust view of the repository around ctx.cwd; E_NOT_GIT_REPO outside one, E_CONFIG_* when a file is broken. */
export async function inspectRepoTrust(ctx: AppServices): Promise<{ view: RepoTrustView; snap: RepoConfigSnapshot }> {
  const repo = await ctx.git.repoInfo(ctx.cwd);
  if (!repo) throw new UserError('E_NOT_GIT_REPO', `${ctx.cwd} is not inside a git repository.`);
  const snap = readRepoConfig(repo.root);
  const parsed = parseRepoConfig(snap);
  return {
    snap,
    view: {
      root: snap.root,
      status: trustStatus(ctx.paths.configDir, snap),
      parts: Object.keys(snap.material),
      hash: snap.hash,
      wouldRun: whatWouldRun(parsed),
      warnings: parsed.warnings,
    },
  };
}
