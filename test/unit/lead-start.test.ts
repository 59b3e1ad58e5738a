/**
 * The lead never starts blind (issue 14): a lead whose CLI starts its first turn before its MCP client has
 * connected is launched without its prompt, which crewmux types only once that lead's MCP client has listed
 * crewmux's tools (bounded: past the wait it is typed anyway and the wait is logged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PROMPT_ARG, withoutPromptArg, type LaunchContext } from '../../src/core/agents/profile.js';
import { findAgent } from '../../src/core/agents/registry.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { deliverLeadPrompt, launchLead, leadScriptPath } from '../../src/app/session/lead.js';
import { createFakeRuntime, type FakeRuntime } from '../helpers/fake-runtime.js';
import { createMonitor } from '../../src/app/workers/monitor.js';
import { resumeSession } from '../../src/app/session/resume.js';

const ctx: LaunchContext = {
  role: 'lead',
  sessionId: 's1',
  cwd: '/repo/wt',
  mcpUrl: 'http://127.0.0.1:4555/mcp',
  mcpToken: 'tok',
  mcpConfigPath: '/state/mcp.json',
  promptFile: '/state/prompt.md',
  stateDir: '/state',
  toolTimeoutS: 45,
};

test('withoutPromptArg: each after-tools lead launches with no prompt and no option word that introduced it', () => {
  const tails: Record<string, string[]> = {
    claude: ['--settings', '/state/claude-crewmux-settings.json'],
    codex: ['--ask-for-approval', 'never'],
    gemini: ['--approval-mode', 'default'],
  };
  for (const [name, tail] of Object.entries(tails)) {
    const profile = findAgent(name)!;
    assert.equal(profile.leadPrompt, 'after-tools', name);
    const full = profile.launch(ctx, name);
    assert.ok(full.argv.includes(PROMPT_ARG), name);
    const spec = withoutPromptArg(full);
    assert.equal(spec.prompt, 'type', name);
    assert.deepEqual(spec.argv.slice(-tail.length), tail, name);
    assert.equal(spec.argv.length, full.argv.length - 2, `${name}: the prompt and the word before it`);
  }
  // A `--` that does not introduce the prompt stays.
  assert.deepEqual(withoutPromptArg({ argv: ['a', '--', 'b', PROMPT_ARG], env: {}, prompt: 'arg' }).argv, [
    'a',
    '--',
    'b',
  ]);
  // Qwen blocks on MCP start-up itself (QWEN_CODE_LEGACY_MCP_BLOCKING): its prompt stays on argv. Gemini's is
  // typed (issue 14): the goal is not on a command line `ps` shows to every local user. OpenCode's stays on argv
  // until a typed lead prompt is verified end to end with it.
  assert.equal(findAgent('qwen')!.leadPrompt, 'launch');
  assert.equal(findAgent('gemini')!.leadPrompt, 'after-tools');
  assert.equal(findAgent('opencode')!.leadPrompt, 'launch');
  // The option word goes with the prompt: `--prompt-interactive PROMPT`, `--prompt PROMPT`.
  assert.deepEqual(
    withoutPromptArg({ argv: ['gemini', '--prompt-interactive', PROMPT_ARG], env: {}, prompt: 'arg' }).argv,
    ['gemini'],
  );
});

async function withClaudeLead(fn: (f: FakeRuntime) => Promise<void>): Promise<void> {
  const f = await createFakeRuntime({ lead: claude });
  try {
    f.tmux.setScreen(f.leadPane, '? for shortcuts\n');
    await fn(f);
  } finally {
    f.cleanup();
  }
}

test('lead start: the goal is not typed before the lead has listed its tools, then typed and submitted', () =>
  withClaudeLead(async (f) => {
    const pastesWhileUnlisted: number[] = [];
    let polls = 0;
    f.rt.leadToolsListed = (token) => {
      polls++;
      if (polls <= 5) {
        pastesWhileUnlisted.push(f.tmux.callsOf('pasteBuffer').length);
        return false;
      }
      return token === 'lead-token';
    };
    const lead = await launchLead(f.rt, []);
    assert.deepEqual(lead, { paneId: f.leadPane, typed: true, afterTools: true });
    // Launched without the prompt: the script never reads the prompt file onto claude's command line.
    const script = readFileSync(leadScriptPath(f.rt.sessionDir), 'utf8');
    assert.doesNotMatch(script, /\$\(cat /);
    assert.equal(f.tmux.callsOf('pasteBuffer').length, 0);

    await deliverLeadPrompt(f.rt, lead);
    assert.deepEqual(pastesWhileUnlisted, [0, 0, 0, 0, 0]);
    assert.equal(polls, 6);
    assert.deepEqual(f.tmux.callsOf('pasteBuffer').length, 1);
    assert.deepEqual(f.tmux.callsOf('sendKeys').at(-1), [f.leadPane, 'Enter']);
    const screen = f.tmux.pane(f.leadPane)!.screen;
    assert.match(screen, /You are the lead of a crewmux session/);
    assert.match(screen, /a test goal/);
    const types = f.eventTypes();
    assert.deepEqual(
      types.filter((t) => t.startsWith('lead.')),
      ['lead.started', 'lead.prompted'],
    );
  }));

test('lead start: a list under an old token does not count; past the wait the goal is typed anyway and logged', () =>
  withClaudeLead(async (f) => {
    f.rt.leadToolsListed = (token) => token === 'an-old-rotated-token';
    const lead = await launchLead(f.rt, []);
    const start = f.clock.now();
    await deliverLeadPrompt(f.rt, lead, { waitMs: 5_000 });
    assert.ok(f.clock.now() - start >= 5_000, 'waited the whole bound');
    assert.deepEqual(
      f.eventTypes().filter((t) => t.startsWith('lead.')),
      ['lead.started', 'lead.tools_not_listed', 'lead.prompted'],
    );
    assert.equal(f.tmux.callsOf('pasteBuffer').length, 1);
  }));

test('lead start: nothing is typed once the session is ending', () =>
  withClaudeLead(async (f) => {
    f.rt.leadToolsListed = () => false;
    const lead = await launchLead(f.rt, []);
    f.store.updateSession(f.rt.sid, { status: 'failed' });
    await deliverLeadPrompt(f.rt, lead);
    assert.equal(f.tmux.callsOf('pasteBuffer').length, 0);
    assert.deepEqual(
      f.eventTypes().filter((t) => t.startsWith('lead.')),
      ['lead.started'],
    );
  }));

test('lead start: a lead that reads its prompt at launch (the scripted lead) is not typed into', async () => {
  const f = await createFakeRuntime();
  try {
    const lead = await launchLead(f.rt, []);
    assert.deepEqual(lead, { paneId: f.leadPane, typed: false, afterTools: false });
    await deliverLeadPrompt(f.rt, lead);
    assert.equal(f.tmux.callsOf('pasteBuffer').length, 0);
  } finally {
    f.cleanup();
  }
});

test('resume: the relaunched lead gets the same treatment, waiting for the list under its rotated token', () =>
  withClaudeLead(async (f) => {
    f.store.updateSession(f.rt.sid, { status: 'stopped', lead_token: 'rotated-token' });
    const listedBy = new Set(['lead-token']);
    f.rt.leadToolsListed = (token) => listedBy.has(token);
    const monitor = createMonitor(f.rt);
    try {
      const lead = await resumeSession(f.rt, monitor, { freshTmux: false }, []);
      assert.equal(lead.afterTools, true);
      // The relaunched claude shows its input prompt.
      f.tmux.setScreen(lead.paneId, '? for shortcuts\n');
      assert.doesNotMatch(readFileSync(leadScriptPath(f.rt.sessionDir), 'utf8'), /\$\(cat /);
      let polls = 0;
      f.rt.leadToolsListed = (token) => {
        if (++polls === 3) listedBy.add('rotated-token');
        assert.equal(f.tmux.callsOf('pasteBuffer').length, 0, 'typed before the relaunched lead listed its tools');
        return listedBy.has(token);
      };
      await deliverLeadPrompt(f.rt, lead);
      assert.equal(polls, 3);
      assert.equal(f.tmux.callsOf('pasteBuffer').length, 1);
      assert.match(f.tmux.pane(f.leadPane)!.screen, /You are the lead of a crewmux session/);
    } finally {
      monitor.close();
    }
  }));
