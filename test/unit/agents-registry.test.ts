/** The agent registry as data: every entry launches with crewmux's MCP wired, its files in crewmux-owned places, and no user file written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_AGENTS, findAgent } from '../../src/core/agents/registry.js';
import { PROMPT_ARG, fillPromptArg, customAgentProfile, type LaunchContext } from '../../src/core/agents/profile.js';

const ctx = (role: 'lead' | 'worker'): LaunchContext => ({
  role,
  sessionId: 's1',
  workerId: role === 'worker' ? 'w1' : undefined,
  cwd: '/data/crewmux/worktrees/repo-abc/w1',
  mcpUrl: 'http://127.0.0.1:7801/mcp',
  mcpToken: 'tok123',
  mcpConfigPath: '/state/mcp.json',
  promptFile: '/state/prompt.md',
  stateDir: '/state/agents/w1',
  toolTimeoutS: 120,
  userHome: '/home/u',
  env: { ANTHROPIC_API_KEY: 'sk-ant-0123456789abcdefghijklmnop' },
});

const REQUIRED = [
  'claude',
  'codex',
  'gemini',
  'qwen',
  'opencode',
  'aider',
  'goose',
  'kiro',
  'amp',
  'cursor-agent',
  'copilot',
  'openclaude',
  'kilocode',
  'crush',
];

test('the registry has every required agent, once', () => {
  const names = BUILTIN_AGENTS.map((a) => a.name);
  for (const n of REQUIRED) assert.ok(names.includes(n), `${n} is registered`);
  assert.equal(new Set(names).size, names.length);
});

for (const a of BUILTIN_AGENTS.filter((x) => !x.scripted)) {
  for (const role of ['lead', 'worker'] as const) {
    test(`${a.name} ${role}: launch spec is complete and writes only under stateDir, the worktree or a seeded copy`, () => {
      const c = ctx(role);
      const spec = a.launch(c, `/bin/${a.binaries[0]}`);
      assert.equal(spec.argv[0], `/bin/${a.binaries[0]}`);
      assert.equal(
        spec.argv.includes(PROMPT_ARG),
        spec.prompt === 'arg',
        'PROMPT_ARG exactly when the prompt is an argument',
      );
      for (const f of spec.files ?? [])
        assert.ok(f.path.startsWith(c.stateDir + '/') || f.path.startsWith(c.cwd + '/'), `${f.path} is crewmux-owned`);
      for (const s of spec.seed ?? []) {
        assert.ok(s.from.startsWith('/home/u/'), 'seeds read the user home');
        assert.ok(s.to.startsWith(c.stateDir + '/'), 'seeds land in stateDir');
      }
      if (a.capabilities.mcpClient) {
        const all = JSON.stringify(spec);
        assert.ok(all.includes(c.mcpUrl) || all.includes(c.mcpConfigPath), 'the MCP server is wired');
        assert.ok(
          all.includes('tok123') || all.includes('CREWMUX_MCP_TOKEN') || all.includes(c.mcpConfigPath),
          'the token reaches the agent',
        );
        assert.ok(all.includes('crewmux'), 'the server is named crewmux');
      }
    });
  }
}

test('claude: MCP from the config file, bypass only for workers, dialogs pre-answered in its own config dir', () => {
  const w = findAgent('claude')!.launch(ctx('worker'), 'claude');
  assert.deepEqual(w.argv.slice(0, 6), [
    'claude',
    '--mcp-config',
    '/state/mcp.json',
    '--strict-mcp-config',
    '--settings',
    '/state/agents/w1/claude-crewmux-settings.json',
  ]);
  assert.ok(w.argv.includes('--dangerously-skip-permissions'));
  assert.deepEqual(w.argv.slice(-2), ['--', PROMPT_ARG]);
  assert.equal(w.env.IS_SANDBOX, '1');
  assert.equal(w.env.CLAUDE_CONFIG_DIR, '/state/agents/w1/claude-config');
  assert.equal(w.env.MCP_TOOL_TIMEOUT, '150000');
  const global = JSON.parse(w.files!.find((f) => f.path.endsWith('.claude.json'))!.content);
  assert.equal(global.hasCompletedOnboarding, true);
  // 2.1.3xx opened a diff panel beside the transcript in wide panes once the worker wrote a file (issue 21).
  assert.equal(global.diffSidebarOpen, false, 'the diff panel stays closed');
  assert.equal(global.projects[ctx('worker').cwd].hasTrustDialogAccepted, true);
  assert.deepEqual(
    global.customApiKeyResponses.approved,
    ['6789abcdefghijklmnop'],
    'the last 20 characters of the key',
  );
  const l = findAgent('claude')!.launch(ctx('lead'), 'claude');
  assert.ok(!l.argv.includes('--dangerously-skip-permissions'));
  const settings = JSON.parse(l.files!.find((f) => f.path.endsWith('claude-crewmux-settings.json'))!.content);
  assert.deepEqual(settings.permissions.allow, ['mcp__crewmux']);
});

test('codex: everything on -c, tool timeout above crewmux budget, token via env var, daemon off, worktree trusted', () => {
  const s = findAgent('codex')!.launch(ctx('lead'), 'codex');
  const overrides = s.argv.filter((_, i) => s.argv[i - 1] === '-c');
  assert.ok(overrides.includes('mcp_servers.crewmux.url="http://127.0.0.1:7801/mcp"'));
  assert.ok(overrides.includes('mcp_servers.crewmux.tool_timeout_sec=150'));
  assert.ok(overrides.includes('mcp_servers.crewmux.bearer_token_env_var="CREWMUX_MCP_TOKEN"'));
  assert.ok(overrides.includes('features.daemon_auto_start=false'));
  assert.ok(overrides.includes('projects={"/data/crewmux/worktrees/repo-abc/w1"={trust_level="trusted"}}'));
  assert.equal(s.env.CREWMUX_MCP_TOKEN, 'tok123');
  assert.ok(!s.argv.join(' ').includes('tok123'), 'the token is not on argv');
});

test('gemini and qwen: a system settings file with the crewmux server trusted and a timeout in ms', () => {
  for (const name of ['gemini', 'qwen']) {
    const s = findAgent(name)!.launch(ctx('worker'), name);
    const file = s.files![0]!;
    const settings = JSON.parse(file.content);
    assert.deepEqual(settings.mcpServers.crewmux, {
      httpUrl: 'http://127.0.0.1:7801/mcp',
      headers: { Authorization: 'Bearer tok123' },
      trust: true,
      timeout: 150000,
    });
    assert.equal(settings.general.enableAutoUpdate, false);
    assert.ok(Object.values(s.env).includes(file.path));
    assert.ok(s.argv.includes('yolo'));
  }
});

test('fillPromptArg puts the prompt where PROMPT_ARG is, or drops it', () => {
  assert.deepEqual(fillPromptArg(['a', PROMPT_ARG, 'b'], 'hi there'), ['a', 'hi there', 'b']);
  assert.deepEqual(fillPromptArg(['a', PROMPT_ARG], undefined), ['a']);
});

test('customAgentProfile still builds its argv', () => {
  const p = customAgentProfile('mine', { command: 'my-cli', args: ['--x'], prompt: 'arg' });
  assert.deepEqual(p.launch(ctx('worker'), '/usr/bin/my-cli').argv, ['/usr/bin/my-cli', '--x', PROMPT_ARG]);
});
