/** Agent launch data keeps secrets off argv and declares every file it writes in the worktree (docs/security/secrets.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_AGENTS, findAgent } from '../../src/core/agents/registry.js';
import type { LaunchContext } from '../../src/core/agents/profile.js';
import { resolveAgents, requireAgent, usableAgents } from '../../src/app/agents/agent-table.js';
import { UserError } from '../../src/core/errors.js';

const TOKEN = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6';
const KEY = 'sk-ant-0123456789abcdefghijklmnop';
const ctx = (role: 'lead' | 'worker'): LaunchContext => ({
  role,
  sessionId: 's1',
  workerId: role === 'worker' ? 'w1' : undefined,
  cwd: '/data/crewmux/worktrees/repo-abc/w1',
  mcpUrl: 'http://127.0.0.1:7801/mcp',
  mcpToken: TOKEN,
  mcpConfigPath: '/state/mcp.json',
  promptFile: '/state/prompt.md',
  stateDir: '/state/agents/w1',
  toolTimeoutS: 120,
  userHome: '/home/u',
  env: { ANTHROPIC_API_KEY: KEY },
});

for (const a of BUILTIN_AGENTS) {
  for (const role of ['lead', 'worker'] as const) {
    test(`${a.name} ${role}: no token or key on argv; worktree files are declared projectConfig`, () => {
      const c = ctx(role);
      const spec = a.launch(c, `/bin/${a.name}`);
      const argv = spec.argv.join(' ');
      assert.ok(!argv.includes(TOKEN), `${a.name}'s argv holds the MCP token`);
      assert.ok(!argv.includes(KEY), `${a.name}'s argv holds the API key`);
      const inWorktree = (spec.files ?? [])
        .filter((f) => f.path.startsWith(c.cwd + '/'))
        .map((f) => f.path.slice(c.cwd.length + 1));
      assert.deepEqual(
        inWorktree,
        a.projectConfig ?? [],
        `${a.name} declares exactly the files it writes in the worktree`,
      );
    });
  }
}

test('goose is unsupported with a reason: never usable, refused as lead and worker', () => {
  const goose = findAgent('goose')!;
  assert.match(goose.unsupported ?? '', /command line/);
  const table = resolveAgents({}, '');
  table.set('goose', { profile: goose, binary: '/bin/goose' });
  assert.ok(!usableAgents(table).some((a) => a.profile.name === 'goose'));
  for (const role of ['lead', 'worker'] as const)
    assert.throws(
      () => requireAgent(table, 'goose', role),
      (e: unknown) => e instanceof UserError && /not supported/.test(e.message),
    );
});
