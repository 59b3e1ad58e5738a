/**
 * `crewmux doctor`: checks what a run needs (tmux, git, node, the native modules, the config files, agents and
 * whether each is logged in, model API keys, the summary router, writable dirs, a loopback port) and says, per
 * check, ok / warn / fatal with a fix.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseTmuxVersion } from '../../core/setup/tmux-version.js';
import { exec } from '../../adapters/process/exec.js';
import { assertWritableDir, readIfExists } from '../../adapters/system/files.js';
import { checkAgentAuth } from '../../core/agents/auth-check.js';
import { parseJsonText } from '../session/config.js';
import { ConfigSchema } from '../../core/session/config-schema.js';
import { probeLoopbackPort } from '../../adapters/system/net.js';
import { BUILTIN_AGENTS } from '../../core/agents/registry.js';
import { detectAgents } from '../agents/detect.js';
import { routerCheck, routerReport } from '../llm/router-report.js';
import type { AppServices } from '../services.js';
import { WORKER_OOM_SCORE_ADJ } from '../../core/workers/memory.js';

export interface Check {
  name: string;
  level: 'ok' | 'warn' | 'fatal';
  detail: string;
  fix?: string;
}

const KEYS = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'OPENAI_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'DASHSCOPE_API_KEY',
  'OPENROUTER_API_KEY',
  'GROQ_API_KEY',
  'CEREBRAS_API_KEY',
];

async function versionOf(file: string, args: string[]): Promise<string | undefined> {
  try {
    return (await exec(file, args, { timeoutMs: 5_000 })).stdout.trim();
  } catch {
    return undefined;
  }
}

/**
 * The global config.json and this repository's .crewmux/config.json, each read and validated: fatal with every
 * problem it has (not only the first), ok naming the files read.
 */
async function configChecks(ctx: AppServices): Promise<Check[]> {
  const repo = await ctx.git.repoInfo(ctx.cwd).catch(() => undefined);
  const files = [
    join(ctx.paths.configDir, 'config.json'),
    ...(repo ? [join(repo.root, '.crewmux', 'config.json')] : []),
  ];
  const read: string[] = [];
  const bad: Check[] = [];
  for (const file of files) {
    const text = readIfExists(file);
    if (text === undefined) continue;
    read.push(file);
    try {
      parseJsonText(text, file, ConfigSchema);
    } catch (e) {
      bad.push({
        name: 'config',
        level: 'fatal',
        detail: (e as Error).message,
        fix: 'fix each key named (docs/errors.md E_CONFIG_INVALID), or run `crewmux init` to write a fresh .crewmux/config.json',
      });
    }
  }
  return bad.length
    ? bad
    : [{ name: 'config', level: 'ok', detail: read.length ? read.join(', ') : 'none (defaults)' }];
}

/**
 * `crewmux doctor`: one check per prerequisite (tmux, git, node, native modules, agents, API keys, router, writable
 * dirs, a loopback port), each ok, warn or fatal with a fix; a failed check is a result, never a throw.
 */
export async function runDoctor(ctx: AppServices): Promise<Check[]> {
  const checks: Check[] = [];
  const tmux = await versionOf('tmux', ['-V']);
  const tv = tmux ? parseTmuxVersion(tmux) : undefined;
  checks.push(
    !tmux
      ? { name: 'tmux', level: 'fatal', detail: 'not found on PATH', fix: 'apt-get install tmux (>= 3.2)' }
      : !tv || tv[0] < 3 || (tv[0] === 3 && tv[1] < 2)
        ? { name: 'tmux', level: 'fatal', detail: tmux, fix: 'upgrade tmux to 3.2 or newer' }
        : { name: 'tmux', level: 'ok', detail: tmux },
  );
  const git = await versionOf('git', ['--version']);
  checks.push(
    git
      ? { name: 'git', level: 'ok', detail: git }
      : { name: 'git', level: 'fatal', detail: 'not found on PATH', fix: 'apt-get install git' },
  );
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'node',
    level: major >= 20 ? 'ok' : 'fatal',
    detail: process.version,
    ...(major >= 20 ? {} : { fix: 'use Node 20 or newer' }),
  });
  const require = createRequire(import.meta.url);
  for (const mod of ['better-sqlite3', 'node-pty']) {
    try {
      require(mod);
      checks.push({ name: mod, level: 'ok', detail: 'native module loads' });
    } catch (e) {
      checks.push({
        name: mod,
        level: mod === 'better-sqlite3' ? 'fatal' : 'warn',
        detail: (e as Error).message.split('\n')[0]!,
        fix: `npm rebuild ${mod} (needs g++, make, python3)`,
      });
    }
  }
  checks.push(...(await configChecks(ctx)));
  const agents = await detectAgents({
    agents: BUILTIN_AGENTS.filter((a) => !a.scripted),
    env: ctx.env,
    timeoutMs: 5_000,
  });
  const found = agents.filter((a) => a.found);
  const leaders = found.filter((a) => a.canLead);
  checks.push(
    found.length
      ? {
          name: 'agents',
          level: leaders.length ? 'ok' : 'warn',
          detail: found
            .map(
              (a) =>
                `${a.name} ${a.version ?? '?'}${a.unsupported ? ` (not supported: ${a.unsupported})` : a.canLead ? '' : ' (cannot lead)'}`,
            )
            .join(', '),
          ...(leaders.length ? {} : { fix: 'install an agent with an MCP client to lead (crewmux detect)' }),
        }
      : {
          name: 'agents',
          level: 'warn',
          detail: 'no agent CLI found on PATH (crewmux demo still works)',
          fix: 'install one, e.g. npm i -g @anthropic-ai/claude-code; or declare one in .crewmux/config.json',
        },
  );
  // An agent newer than the versions crewmux was verified on may have changed its screens and dialogs.
  for (const a of found)
    if (a.versionWarning) checks.push({ name: `${a.name} version`, level: 'warn', detail: a.versionWarning });
  const home = ctx.env.HOME ?? '';
  for (const a of found) {
    const profile = BUILTIN_AGENTS.find((p) => p.name === a.name);
    if (!profile || a.unsupported) continue;
    const s = checkAgentAuth(profile, ctx.env, home, readIfExists);
    checks.push(
      s.state === 'logged_in'
        ? { name: `${a.name} login`, level: 'ok', detail: `logged in (${s.detail})` }
        : s.state === 'not_logged_in'
          ? {
              name: `${a.name} login`,
              level: 'warn',
              detail: `not logged in: ${s.detail}`,
              ...(profile.authHint ? { fix: profile.authHint } : {}),
            }
          : { name: `${a.name} login`, level: 'warn', detail: `not checked: ${s.detail}` },
    );
  }
  const keys = KEYS.filter((k) => ctx.env[k]);
  checks.push({
    name: 'api keys',
    level: keys.length ? 'ok' : 'warn',
    detail: keys.length ? keys.join(', ') : 'none set (agents may use their own login)',
  });
  checks.push(routerCheck(await routerReport(ctx), ctx.now()));
  for (const [name, dir] of [
    ['data dir', ctx.paths.dataDir],
    ['config dir', ctx.paths.configDir],
    ['runtime dir', ctx.paths.runtimeDir],
  ] as const) {
    try {
      assertWritableDir(dir);
      checks.push({ name, level: 'ok', detail: dir });
    } catch (e) {
      checks.push({
        name,
        level: 'fatal',
        detail: `${dir}: ${(e as Error).message}`,
        fix: 'fix its permissions or set CREWMUX_DATA_DIR / CREWMUX_CONFIG_DIR / CREWMUX_RUNTIME_DIR',
      });
    }
  }
  try {
    checks.push({ name: 'loopback port', level: 'ok', detail: `127.0.0.1:${await probeLoopbackPort()} can be bound` });
  } catch (e) {
    checks.push({
      name: 'loopback port',
      level: 'fatal',
      detail: (e as Error).message,
      fix: 'allow binding 127.0.0.1',
    });
  }
  checks.push(workerMemoryCheck(process.platform, await probeUserSystemd()));
  return checks;
}

/**
 * True when a user systemd instance answers (`systemctl --user show-environment` exits 0 within 3 s) and
 * `systemd-run` is there: each worker's agent then runs in its own scope with a memory limit.
 */
export async function probeUserSystemd(): Promise<boolean> {
  const ok = (file: string, args: string[]) =>
    exec(file, args, { timeoutMs: 3_000, reject: false }).then(
      (r) => r.exitCode === 0,
      () => false,
    );
  return (await ok('systemctl', ['--user', 'show-environment'])) && (await ok('systemd-run', ['--version']));
}

/** The doctor line on how workers are confined in memory (README#admission-by-memory). */
export function workerMemoryCheck(platform: NodeJS.Platform, systemd: boolean): Check {
  if (systemd)
    return {
      name: 'worker memory',
      level: 'ok',
      detail: `user systemd: each worker runs in its own scope with MemoryMax and OOMScoreAdjust=${WORKER_OOM_SCORE_ADJ}`,
    };
  if (platform === 'linux')
    return {
      name: 'worker memory',
      level: 'warn',
      detail: `no user systemd: workers run without a memory limit; the kernel's OOM killer prefers workers (oom_score_adj ${WORKER_OOM_SCORE_ADJ})`,
      fix: 'log in through a systemd user session (or `loginctl enable-linger $USER`) to give each worker a memory limit',
    };
  return {
    name: 'worker memory',
    level: 'warn',
    detail: `no user systemd on ${platform}: workers run without a memory limit or OOM preference; admission by memory still applies`,
  };
}
