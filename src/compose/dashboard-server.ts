/**
 * Serving the dashboard from the CLI: builds it over the context's state database, listens on
 * 127.0.0.1, and returns the tokened URL. `launchDashboardFor` starts it as a background process for
 * `run --dashboard`, so it outlives an attached or detached terminal and exits after the session ends.
 */
import { staticReader } from './dashboard-static.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildDashboard } from '../dashboard/build-dashboard.js';
import { spawnDetached } from '../adapters/process/detached.js';
import { readIfExists, writeFileAtomic } from '../adapters/system/files.js';
import { TERMINAL_SESSION_STATUSES } from '../core/session/rows.js';
import { UserError } from '../core/errors.js';
import { waitUntil } from '../core/clock.js';
import type { AppContext } from './app-context.js';

export interface RunningDashboard {
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`port` (0 = random); the URL opens session `sid` when given. Port in use: E_DASHBOARD_PORT. */
export async function serveDashboard(
  ctx: AppContext,
  opts: { port: number; sid?: string; pollMs?: number },
): Promise<RunningDashboard> {
  const store = ctx.store();
  const token = randomBytes(24).toString('base64url');
  const app = buildDashboard({
    store,
    stats: store.stats(),
    git: ctx.git,
    tmuxFor: ctx.tmuxFor,
    token,
    pollMs: opts.pollMs,
    readStatic: staticReader(),
    version: ctx.version,
  });
  try {
    await app.listen({ host: '127.0.0.1', port: opts.port });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES')
      throw new UserError('E_DASHBOARD_PORT', `Cannot listen on 127.0.0.1:${opts.port} (${code}).`);
    throw e;
  }
  const addr = app.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : opts.port;
  const url = `http://127.0.0.1:${port}/?token=${token}${opts.sid ? `#/s/${opts.sid}` : ''}`;
  return { url, port, app, close: () => app.close() };
}

/** Resolves once session `sid` has ended (or is gone) and `graceMs` more have passed; polls every `pollMs`. */
export async function untilSessionEnded(
  ctx: AppContext,
  sid: string,
  opts: { graceMs: number; pollMs?: number; signal?: AbortSignal },
): Promise<void> {
  const ended = () => {
    const s = ctx.store().getSession(sid);
    return !s || TERMINAL_SESSION_STATUSES.includes(s.status);
  };
  await waitUntil(ended, {
    timeoutMs: Infinity,
    intervalMs: opts.pollMs ?? 1000,
    clock: ctx.clock,
    signal: opts.signal,
  });
  if (!opts.signal?.aborted) await ctx.clock.sleep(opts.graceMs, opts.signal);
}

/**
 * Starts `crewmux dashboard --until-ended sid` in the background for `run --dashboard` and returns
 * its URL once it listens (its pid is in dashboard.pid) (within `timeoutMs`, default 10 s); E_DASHBOARD_START otherwise. Its log is
 * dashboard.log in the session dir; the URL (holding the token) is written 0600 to dashboard.url.
 */
export async function launchDashboardFor(
  ctx: AppContext,
  sid: string,
  opts: { port?: number; timeoutMs?: number; graceS?: number } = {},
): Promise<string> {
  const s = ctx.store().getSession(sid);
  if (!s) throw new Error(`no session ${sid}`);
  const urlFile = join(s.session_dir, 'dashboard.url');
  const logFile = join(s.session_dir, 'dashboard.log');
  const pid = spawnDetached(
    process.execPath,
    [
      ctx.crewmuxBin,
      'dashboard',
      '--port',
      String(opts.port ?? 0),
      '--until-ended',
      sid,
      '--grace',
      String(opts.graceS ?? 60),
      '--url-file',
      urlFile,
    ],
    { cwd: s.repo_root, env: ctx.env, logFile },
  );
  writeFileAtomic(join(s.session_dir, 'dashboard.pid'), `${pid}\n`);
  const url = await waitUntil(() => readIfExists(urlFile)?.trim() || undefined, {
    timeoutMs: opts.timeoutMs ?? 10_000,
    intervalMs: 50,
    clock: ctx.clock,
  });
  if (url) return url;
  const tail = (readIfExists(logFile) ?? '').trim().split('\n').slice(-3).join(' ');
  throw new UserError(
    'E_DASHBOARD_START',
    `The dashboard did not start within ${Math.round((opts.timeoutMs ?? 10_000) / 1000)} s${tail ? `: ${tail}` : ''}.`,
  );
}
