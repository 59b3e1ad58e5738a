/**
 * The router as `crewmux detect` and `crewmux doctor` show it: every provider with key env var (never
 * the key), model, base URL and cooldown, read from router.db without creating it, plus doctor's check.
 */
import { loadConfig } from '../session/config.js';
import { openRouter, type ProviderStatus, type Router } from './router.js';
import { PROVIDERS, routerOff } from '../../core/llm/router-providers.js';
import { describeCooldown } from '../../core/llm/router-policy.js';
import type { RouterConfig } from '../../core/session/config-schema.js';
import type { AppServices } from '../services.js';
import type { Check } from '../setup/doctor.js';

export interface RouterReport {
  /** CREWMUX_ROUTER=off. */
  off: boolean;
  /** At least one provider can be asked. */
  configured: boolean;
  providers: ProviderStatus[];
  /** A config or router.db problem; the report then uses what it could read. */
  problem?: string;
}

/** The report of an open router (`off` from routerOff(env)). */
export function describeRouter(router: Router, off: boolean, problem?: string): RouterReport {
  return { off, configured: router.configured(), providers: router.status(), ...(problem ? { problem } : {}) };
}

/** Reads config (global + this repo's), env and router.db (never created here) into a report; never throws on bad config. */
export async function routerReport(ctx: AppServices): Promise<RouterReport> {
  let config: RouterConfig | undefined;
  let problem: string | undefined;
  try {
    const repo = await ctx.git.repoInfo(ctx.cwd).catch(() => undefined);
    config = loadConfig(ctx.paths.configDir, repo?.root).router;
  } catch (e) {
    problem = `config ignored: ${(e as Error).message}`;
  }
  const opened = openRouter({ dataDir: ctx.paths.dataDir, config, env: ctx.env, now: ctx.now, create: false });
  try {
    return describeRouter(
      opened.router,
      routerOff(ctx.env),
      [problem, opened.warning].filter(Boolean).join('; ') || undefined,
    );
  } finally {
    opened.close();
  }
}

/** Every key env var the router reads, for hints. */
export const ROUTER_KEY_HINT = Object.values(PROVIDERS)
  .map((p) => p.keyEnvs.join(' or '))
  .join(', ');

const isDefaultUrl = (p: ProviderStatus) => p.baseUrl === PROVIDERS[p.name].baseUrl;

/** One phrase per provider state: `ready`, `no key`, `cooling down until ...`, or why it is disabled. */
export function providerState(p: ProviderStatus, now: number): string {
  if (p.disabled) return p.disabled;
  if (!p.hasKey) return 'no key';
  if (p.coolingUntil) return describeCooldown(p.coolingUntil, p.coolingReason, now);
  return 'ready';
}

/** doctor's `router` check: warn when no provider can be asked (summaries fall back to truncation) or one is cooling down. */
export function routerCheck(r: RouterReport, now: number): Check {
  if (r.off) return { name: 'router', level: 'ok', detail: 'off (CREWMUX_ROUTER=off); summaries use truncation' };
  const usable = r.providers.filter((p) => p.configured);
  const problem = r.problem ? ` (${r.problem})` : '';
  if (usable.length === 0) {
    return {
      name: 'router',
      level: 'warn',
      detail: `no provider key set; summaries fall back to truncation${problem}`,
      fix: `set one of ${ROUTER_KEY_HINT}`,
    };
  }
  const cooling = usable.filter((p) => p.coolingUntil);
  const parts = usable.map(
    (p) =>
      `${p.name} ${p.model}${isDefaultUrl(p) ? '' : ` @ ${p.baseUrl}`}${p.coolingUntil ? `, ${providerState(p, now)}` : ''}`,
  );
  const detail = `${parts.join('; ')}${problem}`;
  if (cooling.length === 0) return { name: 'router', level: r.problem ? 'warn' : 'ok', detail };
  const badKey = cooling.find((p) => p.coolingReason?.startsWith('bad key'));
  return {
    name: 'router',
    level: 'warn',
    detail,
    fix: badKey
      ? `check ${badKey.keyEnv} (and its base URL)`
      : cooling.length < usable.length
        ? 'nothing to do: the other providers answer until the cooldown ends'
        : "wait for the cooldown to end (summaries fall back to truncation meanwhile), or set another provider's key",
  };
}
