/**
 * `crewmux init`: scaffolds .crewmux/ in the repository (PROJECT.md with a real `## How to verify`
 * guessed from the repo, CONVENTIONS.md, config.json with a worktree bootstrap when a lockfile needs one,
 * hooks.json that runs as written) and adds
 * crewmux's lines to .gitignore. Existing files are kept unless `force`; what was written is returned. When
 * init wrote every part of the repo's config itself, it records trust in it (docs/security/repo-trust.md).
 */
import { join } from 'node:path';
import { guessVerifyCommands, guessWorktreeBootstrap, LOCKFILES } from '../../core/setup/project-guess.js';
import { UserError } from '../../core/errors.js';
import { appendText, listDir, pathExists, readIfExists, writeFileAtomic } from '../../adapters/system/files.js';
import type { AppServices } from '../services.js';
import { readRepoConfig, repoConfigNeedsTrust } from '../session/repo-config.js';
import { recordTrust } from '../session/repo-trust.js';

/**
 * `crewmux init`: writes .crewmux/ (PROJECT.md with guessed verify commands, CONVENTIONS.md, config.json,
 * hooks.json) and .gitignore lines in the repository around ctx.cwd, keeping existing files unless `force`;
 * UserError E_NOT_GIT_REPO outside a repository.
 */
export async function initProject(
  ctx: AppServices,
  force: boolean,
): Promise<{
  written: string[];
  kept: string[];
  verify: string[];
  worktree: { clone?: string[]; setup?: string[] };
  trusted: boolean;
}> {
  const repo = await ctx.git.repoInfo(ctx.cwd);
  if (!repo) throw new UserError('E_NOT_GIT_REPO', `${ctx.cwd} is not inside a git repository.`);
  const root = repo.root;
  let scripts: Record<string, string> | undefined;
  try {
    scripts = (
      JSON.parse(readIfExists(join(root, 'package.json')) ?? 'null') as { scripts?: Record<string, string> } | null
    )?.scripts;
  } catch {
    /* not JSON: no scripts */
  }
  const top = listDir(root);
  const verify = guessVerifyCommands(top, scripts);
  // A lockfile without vendored dependencies: a new worktree needs them cloned or installed (README#worktrees).
  const depDirs = [...new Set(LOCKFILES.filter((l) => top.includes(l.lock)).map((l) => l.dir))];
  const tracked: string[] = [];
  for (const d of depDirs) if ((await ctx.git.raw(root, ['ls-files', '--', d]).catch(() => '')).trim()) tracked.push(d);
  const worktree = guessWorktreeBootstrap(
    top,
    tracked,
    depDirs.filter((d) => pathExists(join(root, d))),
  );
  const name = root.split('/').pop();
  const files: Record<string, string> = {
    'PROJECT.md': `# ${name}\n\nWhat this project is, for the agents crewmux starts: its purpose, its layout, what matters.\n\n## How to verify\n\n\`\`\`sh\n${verify.length ? verify.join('\n') : '# add the commands that prove a change works, one per line'}\n\`\`\`\n`,
    'CONVENTIONS.md':
      '# Conventions\n\n- Follow the style of the code around you.\n- Small commits with messages that say why.\n- Add or update tests with every behaviour change.\n',
    'config.json':
      JSON.stringify(
        {
          maxWorkers: 4,
          workerTimeout: 3600,
          ...(verify.length ? { verify } : {}),
          ...(worktree.clone || worktree.setup ? { worktree } : {}),
        },
        null,
        2,
      ) + '\n',
    'hooks.json':
      JSON.stringify(
        {
          hooks: {
            session_start: ['mkdir -p .crewmux/logs && cat >> .crewmux/logs/hooks.jsonl'],
            worker_done: ['mkdir -p .crewmux/logs && cat >> .crewmux/logs/hooks.jsonl'],
            session_end: [{ command: 'mkdir -p .crewmux/logs && cat >> .crewmux/logs/hooks.jsonl', timeout: 10 }],
          },
        },
        null,
        2,
      ) + '\n',
  };
  const written: string[] = [];
  const kept: string[] = [];
  for (const [file, content] of Object.entries(files)) {
    const path = join(root, '.crewmux', file);
    if (pathExists(path) && !force) {
      kept.push(`.crewmux/${file}`);
      continue;
    }
    writeFileAtomic(path, content, 0o644);
    written.push(`.crewmux/${file}`);
  }
  const ignore = readIfExists(join(root, '.gitignore')) ?? '';
  const lines = ['.crewmux/done.flag', '.crewmux/logs/'].filter((l) => !ignore.split('\n').includes(l));
  if (lines.length) {
    appendText(
      join(root, '.gitignore'),
      `${ignore && !ignore.endsWith('\n') ? '\n' : ''}# crewmux\n${lines.join('\n')}\n`,
      0o644,
    );
    written.push('.gitignore (appended)');
  }
  // The user ran init, so what init itself wrote is theirs: trusted, but only when every part of the repo's
  // config was written now (a kept file, or one from a clone, still needs `crewmux trust`).
  const snap = readRepoConfig(root);
  const source: Record<string, string> = {
    'config.json': '.crewmux/config.json',
    'hooks.json': '.crewmux/hooks.json',
    'PROJECT.md#how-to-verify': '.crewmux/PROJECT.md',
  };
  const trusted =
    repoConfigNeedsTrust(snap) && Object.keys(snap.material).every((part) => written.includes(source[part] ?? ''));
  if (trusted) recordTrust(ctx.paths.configDir, snap, new Date(ctx.now()).toISOString());
  return { written, kept, verify, worktree, trusted };
}
