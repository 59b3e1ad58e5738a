/**
 * Claude Code's AskUserQuestion through crewmux's PreToolUse hook: the built hook script, run as Claude runs it (hook
 * input on stdin, the worker's MCP URL and token inherited in its environment), opens a ticket over real MCP HTTP on
 * 127.0.0.1, waits, and prints the lead's answer as the deny reason Claude reads; the pane is never typed into.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createMcpHttpServer } from '../../src/mcp/http-server.js';
import { buildMcpServer } from '../../src/mcp/build-server.js';
import { connectCrewmux } from '../../src/demo/mcp-client.js';
import { claude } from '../../src/core/agents/profiles/claude.js';
import { askHookArgv } from '../../src/app/questions/ask-hook-path.js';
import { createFakeRuntime } from '../helpers/fake-runtime.js';
import { spawnRunning } from '../helpers/worker-steps.js';
import { eventually } from '../helpers/env.js';

const LEAD = 'lead-token-0123456789';

const HOOK_INPUT = {
  session_id: 'x',
  hook_event_name: 'PreToolUse',
  tool_name: 'AskUserQuestion',
  tool_input: {
    questions: [
      {
        question: 'Which database should the cache use?',
        header: 'Cache',
        multiSelect: false,
        options: [
          { label: 'Redis', description: 'in memory' },
          { label: 'SQLite', description: 'a file' },
        ],
      },
    ],
  },
};

test('the ask hook turns AskUserQuestion into a ticket and hands Claude the lead answer', async () => {
  const f = await createFakeRuntime();
  const w = await spawnRunning(f);
  const server = createMcpHttpServer({
    book: { lead: LEAD, workerByToken: (t) => (t === w.token ? w.id : undefined) },
    buildServer: (p) => buildMcpServer(p, { rt: f.rt, version: '0.0.0-test' }),
    maxBodyBytes: 1 << 20,
  });
  const port = await server.listen(0);
  const url = `http://127.0.0.1:${port}/mcp`;
  try {
    const [node, script] = askHookArgv();
    const child = spawn(node!, [script!], {
      env: { PATH: process.env.PATH, CREWMUX_MCP_URL: url, CREWMUX_MCP_TOKEN: w.token },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdin.end(JSON.stringify(HOOK_INPUT));
    const t = await eventually('the hook ticket', () => f.store.questions().get(f.rt.sid, 'q1'));
    assert.equal(t.source, 'hook');
    assert.equal(t.worker_id, w.id);
    assert.equal(
      t.question,
      'Cache: Which database should the cache use?\n  1. Redis — in memory\n  2. SQLite — a file',
    );
    assert.deepEqual(t.options, ['Redis', 'SQLite']);
    const lead = await connectCrewmux(url, LEAD, 'test-lead');
    const r = await lead.call('answer_question', { ticket: 'q1', answer: 'SQLite, to keep it simple.' });
    await lead.close();
    assert.equal(r.isError, false, r.text);
    assert.equal(await exited, 0, err);
    const answer = JSON.parse(out) as { hookSpecificOutput: Record<string, string> };
    assert.equal(answer.hookSpecificOutput.hookEventName, 'PreToolUse');
    assert.equal(answer.hookSpecificOutput.permissionDecision, 'deny');
    assert.match(
      answer.hookSpecificOutput.permissionDecisionReason!,
      /^crewmux routed this question to the lead \(ticket q1\)\. The answer: SQLite, to keep it simple\./,
    );
    // The hook read it: delivered once, and nothing was typed into the worker's pane.
    assert.notEqual(f.store.questions().get(f.rt.sid, 'q1')!.delivered_at, null);
    assert.equal(
      f.tmux.calls.some((c) => c[0] === 'pasteBuffer'),
      false,
    );
  } finally {
    await server.close();
    f.cleanup();
  }
});

test("Claude Code workers get the hook in crewmux's settings (node and the script, no token); leads do not", () => {
  const ctx = {
    role: 'worker' as const,
    sessionId: 's1',
    workerId: 'w01',
    cwd: '/tmp/wt',
    mcpUrl: 'http://127.0.0.1:1/mcp',
    mcpToken: 'secret-token-123',
    mcpConfigPath: '/tmp/state/mcp.json',
    promptFile: '/tmp/state/prompt.md',
    stateDir: '/tmp/state',
    toolTimeoutS: 45,
    askHook: ['/usr/bin/node', '/opt/crewmux/dist/src/mcp/ask-hook.js'],
  };
  const settingsOf = (c: typeof ctx | (Omit<typeof ctx, 'role'> & { role: 'lead' })) => {
    const spec = claude.launch(c, '/usr/bin/claude');
    const file = spec.files!.find((x) => x.path === join('/tmp/state', 'claude-crewmux-settings.json'))!;
    return JSON.parse(file.content) as { hooks?: { PreToolUse: { matcher: string; hooks: { command: string }[] }[] } };
  };
  const hooks = settingsOf(ctx).hooks!.PreToolUse;
  assert.equal(hooks[0]!.matcher, 'AskUserQuestion');
  assert.equal(hooks[0]!.hooks[0]!.command, '/usr/bin/node /opt/crewmux/dist/src/mcp/ask-hook.js');
  assert.ok(!JSON.stringify(hooks).includes('secret-token-123'), 'the token is never on the hook command');
  assert.equal(settingsOf({ ...ctx, role: 'lead' }).hooks, undefined);
});
