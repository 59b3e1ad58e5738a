/**
 * A headless run the test can act on while it runs: a repo whose one worker (the `gated-worker` fixture) waits
 * for a gate file before writing gated.txt, started with `--no-wait`, and a `view` of its status.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRepo, diagnostics, fixtureAgent, headlessRunArgs, runCli, writeConfig, type TestEnv } from './env.js';

/** What `crewmux status SID --json` says, as far as these tests read it. */
export interface GatedView {
  session: { status: string; supervisorPid: number };
  workers: { state: string; worktree: string }[];
}

export interface GatedRun {
  repo: string;
  /** The file whose creation lets the worker finish. */
  gate: string;
  sid: string;
  view(): Promise<GatedView>;
}

/** Starts `Write gated.txt when the gate opens.` under `lead` with `env`; asserts that the run started. */
export async function startGatedRun(
  t: TestEnv,
  o: { lead: string; env: NodeJS.ProcessEnv; timeoutS: number },
): Promise<GatedRun> {
  const repo = createRepo(t, { 'README.md': '# test repo\n' });
  const gate = join(t.dir, 'gate-open');
  writeConfig(repo, {
    verify: ['git status --short'],
    toolWait: 5,
    agents: { gated: fixtureAgent('gated-worker', { env: { GATE_FILE: gate } }) },
  });
  const args = headlessRunArgs('Write gated.txt when the gate opens.', {
    lead: o.lead,
    agents: ['gated'],
    timeoutS: o.timeoutS,
    wait: false,
  });
  const started = await runCli(t, repo, args, { env: o.env });
  assert.equal(started.code, 0, `${started.stdout}\n${started.stderr}\n${diagnostics(t)}`);
  const sid = started.stdout.trim();
  const view = async () =>
    JSON.parse((await runCli(t, repo, ['status', sid, '--json'], { env: o.env })).stdout) as GatedView;
  return { repo, gate, sid, view };
}
