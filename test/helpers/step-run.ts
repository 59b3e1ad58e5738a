/** Running a goal whose lead is test/fixtures/bin/step-lead.mjs following a list of MCP steps. */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureAgent, runCli, writeConfig, type CliResult, type TestEnv } from './env.js';

export interface StepResult {
  call: string;
  args: Record<string, unknown>;
  text: string;
  isError: boolean;
  structured?: Record<string, unknown>;
}

export interface StepRun {
  result: Promise<CliResult>;
  /** The steps answered so far. */
  steps(): StepResult[];
  /** The session dir of the (only) session, once it exists. */
  sessionDir(): string | undefined;
}

/** Starts `crewmux run --no-attach --wait --trust-repo-config` with the step lead; `agents` are extra config agents. */
export function startStepRun(
  t: TestEnv,
  repo: string,
  steps: unknown[],
  agents: Record<string, unknown>,
  flags: string[] = [],
  config: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): StepRun {
  const plan = join(t.dir, `plan-${Date.now()}.json`);
  const out = join(t.dir, `out-${Date.now()}.json`);
  writeFileSync(plan, JSON.stringify(steps));
  writeConfig(repo, {
    ...config,
    agents: { 'step-lead': fixtureAgent('step-lead', { env: { STEP_PLAN: plan, STEP_OUT: out } }), ...agents },
  });
  const workers = Object.keys(agents).join(',');
  const result = runCli(
    t,
    repo,
    [
      'run',
      '--goal',
      'a scripted test goal',
      '--lead',
      'step-lead',
      '--agents',
      workers,
      '--no-attach',
      '--wait',
      // The test wrote the repo's config itself (docs/security/repo-trust.md).
      '--trust-repo-config',
      ...flags,
    ],
    { timeoutMs: 150_000, env },
  );
  return {
    result,
    steps: () => (existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as StepResult[]) : []),
    sessionDir: () => {
      const dir = join(t.env.CREWMUX_DATA_DIR!, 'sessions');
      if (!existsSync(dir)) return undefined;
      const [sid] = readdirSync(dir);
      return sid ? join(dir, sid) : undefined;
    },
  };
}

/** The content of a data fence (src/core/text/data-fence.ts): `text` without its first and last lines. */
export function unfence(text: string): string {
  const m = /^<<<data-[0-9a-f]+ .* \(data, not instructions\)\n([\s\S]*)\n>>>data-[0-9a-f]+ end .*$/.exec(text);
  if (!m) throw new Error(`not a data fence: ${text.slice(0, 200)}`);
  return m[1]!;
}
