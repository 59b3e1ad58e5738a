/**
 * ACP workers (issue 21 item 3, ACP): the pane's input line (typed keys, a bracketed paste, escape sequences), the
 * transcript of session updates, the permission policy (inside the worktree: allowed; outside: a person), the ACP
 * launch of a Gemini worker (exact argv, env and the launch file), the `acp` signal lines' decisions, the config
 * switch, and the conversation itself against the fake ACP agent (test/fakes/acp-agent.ts): MCP server in
 * session/new, prompts, typed turns, a permission left to a person, signals in order; the usage an agent reports
 * per model call (Qwen Code's `_meta.usage`, recorded from 0.24.4's wire), Qwen's and OpenCode's ACP launches; the
 * agent's fs/* requests (OpenCode's fs/write_text_file after an allowed edit) served inside the worktree only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feedInput, newInput } from '../../src/core/acp/input.js';
import { newTranscript, renderStop, renderUpdate } from '../../src/core/acp/transcript.js';
import { choosePermission } from '../../src/core/acp/permission.js';
import { ACP_LAUNCH_FILE, ACP_PANE_SCRIPT, acpLaunchSpec } from '../../src/core/acp/launch.js';
import {
  INVALID_PARAMS,
  METHOD_NOT_FOUND,
  PATH_REFUSED,
  PermissionRequestSchema,
  RESOURCE_NOT_FOUND,
} from '../../src/core/acp/protocol.js';
import { worktreeFiles } from '../../src/adapters/acp/worktree-files.js';
import { decideSignalLines } from '../../src/core/workers/signals.js';
import { gemini } from '../../src/core/agents/profiles/gemini.js';
import { qwen } from '../../src/core/agents/profiles/qwen.js';
import { opencode } from '../../src/core/agents/profiles/opencode.js';
import { ACP_USAGE_FILE, acpCallUsage, sessionModel, type AcpUsageLine } from '../../src/core/acp/usage.js';
import { resolveAgents } from '../../src/app/agents/agent-table.js';
import { runAcpWorker } from '../../src/app/workers/acp-worker.js';
import { UserError } from '../../src/core/errors.js';
import { createFakeAcpAgent } from '../fakes/acp-agent.js';

test('the input line: typed keys echo and submit on Enter; Backspace; arrows dropped; Ctrl-C interrupts', () => {
  const s = newInput();
  let r = feedInput(s, 'helo\x7flo\x1b[D');
  assert.deepEqual(r, { submitted: [], echo: 'helo\b \blo', interrupt: false });
  r = feedInput(s, '\r');
  assert.deepEqual(r.submitted, ['hello']);
  r = feedInput(s, '   \r\x03');
  assert.deepEqual(r.submitted, [], 'a blank line is not a prompt');
  assert.equal(r.interrupt, true);
});

test('the input line: a bracketed paste (tmux paste-buffer -p, CR line ends) is one prompt sent by the Enter after it', () => {
  const s = newInput();
  let r = feedInput(s, '\x1b[200~<crewmux message>\rline two\r</crewmux');
  assert.deepEqual(r.submitted, []);
  r = feedInput(s, ' message>\x1b[2');
  assert.deepEqual(r.submitted, [], 'an escape cut by the chunk end waits for the rest');
  r = feedInput(s, '01~\r');
  assert.deepEqual(r.submitted, ['<crewmux message>\nline two\n</crewmux message>']);
  assert.equal(s.pasting, false);
});

test('the transcript: streamed message, dimmed thought, tool calls by title, escaped agent text, silent kinds', () => {
  const t = newTranscript();
  const out = [
    renderUpdate(t, { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: 'thinking' } }),
    renderUpdate(t, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'Hel' } }),
    renderUpdate(t, { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'lo\x1b[2J\n' } }),
    renderUpdate(t, { sessionUpdate: 'tool_call', toolCallId: 'a', title: 'Writing to a.txt', status: 'in_progress' }),
    renderUpdate(t, { sessionUpdate: 'tool_call_update', toolCallId: 'a', status: 'completed' }),
    renderUpdate(t, { sessionUpdate: 'available_commands_update', availableCommands: [] }),
    renderStop(t, 'end_turn'),
  ].join('');
  assert.equal(
    out,
    '\x1b[2mthinking\x1b[0m\r\nHello\\x1b[2J\r\n\r\n  ▸ Writing to a.txt\r\n  ✓ Writing to a.txt\r\n' +
      '\x1b[2m-- turn ended (end_turn); type a message for another turn\x1b[0m\r\n',
  );
});

const request = (paths: string[], kinds = ['allow_once', 'reject_once'], more: Record<string, unknown> = {}) =>
  PermissionRequestSchema.parse({
    sessionId: 's',
    toolCall: { toolCallId: 't', title: 'Edit', kind: 'edit', locations: paths.map((path) => ({ path })), ...more },
    options: kinds.map((kind, i) => ({ optionId: `o${i}`, name: kind, kind })),
  });

test('permissions: inside the worktree (or no path) or only reading is allowed once; a change outside (location, diff, ..) or no allow option asks', () => {
  const wt = '/repo/wt';
  assert.deepEqual(choosePermission(request(['/repo/wt/a.txt', 'src/b.ts']), wt), {
    kind: 'allow',
    optionId: 'o0',
    why: 'inside the worktree',
  });
  assert.equal(choosePermission(request([]), wt).kind, 'allow');
  assert.deepEqual(choosePermission(request(['/repo/wt/../secret']), wt), {
    kind: 'ask',
    why: 'it touches /repo/wt/../secret, outside the worktree',
  });
  assert.equal(choosePermission(request(['/repo/wt2/x']), wt).kind, 'ask');
  const diffOutside = { content: [{ type: 'diff', path: '/etc/hosts', oldText: '', newText: 'x' }] };
  assert.equal(choosePermission(request([], undefined, diffOutside), wt).kind, 'ask', "a diff's path counts");
  assert.deepEqual(choosePermission(request(['/usr/lib/x.js'], undefined, { kind: 'read' }), wt), {
    kind: 'allow',
    optionId: 'o0',
    why: 'it only reads',
  });
  assert.equal(choosePermission(request(['/repo/wt/a'], ['reject_once']), wt).kind, 'ask');
  assert.deepEqual(choosePermission(request(['/repo/wt/a'], ['reject_once', 'allow_always']), wt), {
    kind: 'allow',
    optionId: 'o1',
    why: 'inside the worktree',
  });
});

test("a Gemini worker's ACP launch: crewmux's pane process; the agent's argv without its prompt plus --acp in a 0600 file", () => {
  const ctx = {
    role: 'worker' as const,
    sessionId: 's1',
    workerId: 'w01',
    cwd: '/wt',
    mcpUrl: 'http://127.0.0.1:9/mcp',
    mcpToken: 'tok',
    mcpConfigPath: '/st/mcp.json',
    promptFile: '/st/prompt.md',
    stateDir: '/st',
    toolTimeoutS: 20,
  };
  assert.ok(gemini.launch(ctx, '/bin/gemini').argv.includes('yolo'), 'the TUI worker runs with approvals off');
  const tui = gemini.launch({ ...ctx, acp: true }, '/bin/gemini');
  const spec = acpLaunchSpec(tui, gemini.acp!.args, { nodePath: '/bin/node', stateDir: '/st', cwd: '/wt' });
  assert.deepEqual(spec.argv, ['/bin/node', ACP_PANE_SCRIPT]);
  assert.equal(spec.prompt, 'file');
  assert.deepEqual(spec.env, { ...tui.env, CREWMUX_ACP_LAUNCH: `/st/${ACP_LAUNCH_FILE}` });
  const file = spec.files!.find((f) => f.path === `/st/${ACP_LAUNCH_FILE}`)!;
  assert.equal(file.mode, 0o600);
  assert.deepEqual(JSON.parse(file.content), {
    argv: ['/bin/gemini', '--approval-mode', 'default', '--acp'],
    cwd: '/wt',
    signals: '/st/agent-signals.jsonl',
  });
  assert.ok(!file.content.includes('tok'), 'no token in the launch file');
  assert.deepEqual(
    spec.files!.slice(0, -1).map((f) => f.path),
    (tui.files ?? []).map((f) => f.path),
  );
});

test('acp signal lines decide busy, idle and waiting with source acp', () => {
  const line = (at: number, event: string, more: Record<string, string> = {}) =>
    JSON.stringify({ at, via: 'acp', event, ...more });
  assert.deepEqual(
    decideSignalLines([
      line(1, 'prompt'),
      line(2, 'permission', { message: 'Edit /etc/x' }),
      line(3, 'permission-answered', { message: 'o0' }),
      line(4, 'stop', { type: 'end_turn' }),
      line(5, 'prompt-error', { message: 'quota' }),
      line(6, 'something-new'),
    ]).map((d) => [d.at, d.activity, d.source, d.evidence]),
    [
      [1, 'busy', 'acp', 'session/prompt'],
      [2, 'waiting', 'acp', 'session/request_permission: Edit /etc/x'],
      [3, 'busy', 'acp', 'permission answered: o0'],
      [4, 'idle', 'acp', 'stopReason end_turn'],
      [5, 'idle', 'acp', 'session/prompt failed: quota'],
    ],
  );
});

test('config acp: false keeps the TUI for gemini, true turns qwen on; an agent without ACP is E_CONFIG_INVALID', () => {
  assert.equal(resolveAgents({}, '').get('gemini')!.profile.acp!.workers, true);
  assert.equal(resolveAgents({ acp: { gemini: false } }, '').get('gemini')!.profile.acp!.workers, false);
  assert.throws(
    () => resolveAgents({ acp: { codex: true } }, ''),
    (e: unknown) => e instanceof UserError && e.code === 'E_CONFIG_INVALID' && /does not speak ACP/.test(e.message),
  );
  assert.throws(() => resolveAgents({ acp: { nope: true } }, ''), /no agent is named "nope"/);
});

function drive(agent: ReturnType<typeof createFakeAcpAgent>) {
  const printed: string[] = [];
  const signals: string[] = [];
  const w = runAcpWorker(
    {
      conn: agent,
      print: (t) => printed.push(t),
      signal: (event, d) => signals.push([event, d?.type ?? d?.message].filter(Boolean).join(' ')),
    },
    { cwd: '/wt', prompt: 'do the task', mcp: { url: 'http://127.0.0.1:9/mcp', token: 'tok' }, version: '0.0.0' },
  );
  return { w, printed, signals };
}

test('the ACP conversation: MCP server in session/new, the prompt, a typed turn, signals busy then idle each turn', async () => {
  const agent = createFakeAcpAgent({
    turns: [{ updates: [{ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'done' } }] }],
  });
  const { w, printed, signals } = drive(agent);
  await agent.sentTimes('session/prompt', 1);
  await new Promise((r) => setImmediate(r));
  w.typed('second turn');
  await agent.sentTimes('session/prompt', 2);
  await new Promise((r) => setImmediate(r));
  w.interrupt();
  assert.equal(await w.done, 0);
  const params = (m: string, i = 0) => agent.sent.filter((s) => s.method === m)[i]!.params;
  assert.deepEqual(params('session/new'), {
    cwd: '/wt',
    mcpServers: [
      {
        type: 'http',
        name: 'crewmux',
        url: 'http://127.0.0.1:9/mcp',
        headers: [{ name: 'Authorization', value: 'Bearer tok' }],
      },
    ],
  });
  assert.deepEqual(params('session/prompt'), { sessionId: 'sess-1', prompt: [{ type: 'text', text: 'do the task' }] });
  assert.deepEqual(params('session/prompt', 1), {
    sessionId: 'sess-1',
    prompt: [{ type: 'text', text: 'second turn' }],
  });
  assert.deepEqual(signals, ['prompt', 'stop end_turn', 'prompt', 'stop end_turn']);
  assert.match(printed.join(''), /done\r\n.*turn ended \(end_turn\)/);
});

test('an agent without HTTP MCP gets no server in session/new (its settings file names crewmux)', async () => {
  const agent = createFakeAcpAgent({ http: false });
  const { w } = drive(agent);
  await agent.sentTimes('session/prompt', 1);
  await new Promise((r) => setImmediate(r));
  w.interrupt();
  await w.done;
  assert.deepEqual(
    (agent.sent.find((s) => s.method === 'session/new')!.params as { mcpServers: unknown[] }).mcpServers,
    [],
  );
});

test('permissions over ACP: inside the worktree answered by crewmux; outside, waiting until a person types a number', async () => {
  const options = [
    { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
    { optionId: 'no', name: 'Reject', kind: 'reject_once' },
  ];
  const agent = createFakeAcpAgent({
    turns: [
      { permission: { toolCall: { title: 'Edit a', locations: [{ path: '/wt/a' }] }, options } },
      { permission: { toolCall: { title: 'Edit passwd', locations: [{ path: '/etc/passwd' }] }, options } },
    ],
  });
  const { w, printed, signals } = drive(agent);
  await agent.sentTimes('session/prompt', 1);
  await new Promise((r) => setImmediate(r));
  w.typed('next');
  await agent.sentTimes('session/prompt', 2);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(signals, ['prompt', 'stop end_turn', 'prompt', 'permission Edit passwd']);
  assert.match(printed.join(''), /1\. Allow \(allow_once\)\r\n {2}2\. Reject \(reject_once\)/);
  w.typed('7');
  assert.match(printed.at(-1)!, /type a number from 1 to 2/);
  w.typed('2');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(agent.answers, [
    { outcome: { outcome: 'selected', optionId: 'yes' } },
    { outcome: { outcome: 'selected', optionId: 'no' } },
  ]);
  assert.deepEqual(signals.slice(4), ['permission-answered no', 'stop end_turn']);
  w.interrupt();
  assert.equal(await w.done, 0);
});

test('a failed prompt is idle with the error shown; the agent exiting ends the pane with 1', async () => {
  const agent = createFakeAcpAgent({ turns: [{ error: '[API Error: 429 quota]' }] });
  const { w, printed, signals } = drive(agent);
  await agent.sentTimes('session/prompt', 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(signals, ['prompt', 'prompt-error [API Error: 429 quota]']);
  assert.ok(printed.join('').includes('✕ [API Error: 429 quota]\r\n'));
  agent.exit(3);
  assert.equal(await w.done, 1);
  assert.match(printed.join(''), /the agent exited \(code 3\)/);
});

// Recorded from qwen --acp 0.24.4 against the fake model server: session/new's models, and the update after a call.
const QWEN_MODELS = {
  currentModelId: '$runtime|openai|fake-model(openai)',
  availableModels: [
    { modelId: '$runtime|openai|fake-model(openai)', name: 'fake-model', description: null, _meta: {} },
  ],
};
const qwenUsage = (input: number, output: number, more: Record<string, number> = {}) => ({
  sessionUpdate: 'agent_message_chunk',
  content: { type: 'text', text: '' },
  _meta: {
    usage: { inputTokens: input, outputTokens: output, totalTokens: input + output, thoughtTokens: 0, ...more },
    durationMs: 703,
  },
});

test("usage over ACP: a call's _meta.usage (input less cache reads, thoughts in output), the session's model by name", () => {
  assert.deepEqual(acpCallUsage(qwenUsage(21198, 18, { cachedReadTokens: 0 })), {
    input: 21198,
    output: 18,
    cacheRead: 0,
    cacheWrite: 0,
    reasoning: 0,
  });
  assert.deepEqual(acpCallUsage(qwenUsage(1000, 10, { cachedReadTokens: 400, thoughtTokens: 7 })), {
    input: 600,
    output: 17,
    cacheRead: 400,
    cacheWrite: 0,
    reasoning: 7,
  });
  assert.equal(
    acpCallUsage({ sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'hi' } }),
    undefined,
  );
  assert.equal(acpCallUsage({ sessionUpdate: 'usage_update', used: 5, size: 9 }), undefined, 'context size only');
  assert.equal(sessionModel({ sessionId: 's', models: QWEN_MODELS }), 'fake-model');
  assert.equal(sessionModel({ sessionId: 's', models: { currentModelId: 'm2', availableModels: [] } }), 'm2');
  assert.equal(sessionModel({ sessionId: 's' }), undefined);
});

test('the ACP conversation records each call the agent reports, keyed by session and number, with the session model', async () => {
  const agent = createFakeAcpAgent({
    session: { models: QWEN_MODELS },
    turns: [
      {
        updates: [
          qwenUsage(21198, 18),
          { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'DONE' } },
          qwenUsage(21315, 8),
        ],
      },
      { updates: [qwenUsage(22000, 9, { cachedReadTokens: 20000 })] },
    ],
  });
  const calls: AcpUsageLine[] = [];
  const printed: string[] = [];
  const w = runAcpWorker(
    { conn: agent, print: (t) => printed.push(t), signal: () => undefined, usage: (c) => calls.push(c) },
    { cwd: '/wt', prompt: 'do the task', mcp: { url: 'http://127.0.0.1:9/mcp', token: 'tok' }, version: '0.0.0' },
  );
  await agent.sentTimes('session/prompt', 1);
  await new Promise((r) => setImmediate(r));
  w.typed('again');
  await agent.sentTimes('session/prompt', 2);
  await new Promise((r) => setImmediate(r));
  w.interrupt();
  assert.equal(await w.done, 0);
  assert.deepEqual(calls, [
    { key: 'sess-1#1', model: 'fake-model', input: 21198, output: 18, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    { key: 'sess-1#2', model: 'fake-model', input: 21315, output: 8, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    { key: 'sess-1#3', model: 'fake-model', input: 2000, output: 9, cacheRead: 20000, cacheWrite: 0, reasoning: 0 },
  ]);
  assert.match(printed.join(''), /DONE/);
  assert.doesNotMatch(printed.join(''), /21198/, 'usage is not shown as text');
});

test("a Qwen worker speaks ACP by default: its launch file names the usage file; a worker's memory extraction is off", () => {
  assert.equal(resolveAgents({}, '').get('qwen')!.profile.acp!.workers, true);
  assert.equal(resolveAgents({ acp: { qwen: false } }, '').get('qwen')!.profile.acp!.workers, false);
  assert.equal(qwen.acp!.usage, true);
  assert.equal(gemini.acp!.usage, undefined, "Gemini's usage stays its chat files'");
  const ctx = {
    role: 'worker' as const,
    sessionId: 's1',
    workerId: 'w01',
    cwd: '/wt',
    mcpUrl: 'http://127.0.0.1:9/mcp',
    mcpToken: 'tok',
    mcpConfigPath: '/st/mcp.json',
    promptFile: '/st/prompt.md',
    stateDir: '/st',
    toolTimeoutS: 20,
  };
  const tui = qwen.launch({ ...ctx, acp: true }, '/bin/qwen');
  const spec = acpLaunchSpec(tui, qwen.acp!.args, { nodePath: '/bin/node', stateDir: '/st', cwd: '/wt', usage: true });
  const file = spec.files!.find((f) => f.path === `/st/${ACP_LAUNCH_FILE}`)!;
  assert.deepEqual(JSON.parse(file.content), {
    argv: ['/bin/qwen', '--approval-mode', 'default', '--acp'],
    cwd: '/wt',
    signals: '/st/agent-signals.jsonl',
    usage: `/st/${ACP_USAGE_FILE}`,
  });
  const settings = (spec: { files?: { path: string; content: string }[] }) =>
    JSON.parse(spec.files!.find((f) => f.path === '/st/qwen-system-settings.json')!.content) as Record<string, unknown>;
  assert.deepEqual(settings(spec).memory, { enableManagedAutoMemory: false, enableManagedAutoDream: false });
  assert.equal(settings(qwen.launch({ ...ctx, role: 'lead' }, '/bin/qwen')).memory, undefined, "the lead's stays on");
});

test("an OpenCode worker over ACP (its default): `opencode acp`, its permissions asked (crewmux's policy answers); the TUI's allow all", () => {
  assert.equal(resolveAgents({}, '').get('opencode')!.profile.acp!.workers, true);
  assert.equal(resolveAgents({ acp: { opencode: false } }, '').get('opencode')!.profile.acp!.workers, false);
  assert.equal(
    opencode.acp!.usage,
    undefined,
    'its prompt response reports the last call only: usage stays its database',
  );
  const ctx = {
    role: 'worker' as const,
    sessionId: 's1',
    workerId: 'w01',
    cwd: '/wt',
    mcpUrl: 'http://127.0.0.1:9/mcp',
    mcpToken: 'tok',
    mcpConfigPath: '/st/mcp.json',
    promptFile: '/st/prompt.md',
    stateDir: '/st',
    toolTimeoutS: 20,
  };
  const config = (spec: { files?: { path: string; content: string }[] }) =>
    JSON.parse(spec.files!.find((f) => f.path === '/st/opencode.json')!.content) as { permission: unknown };
  assert.deepEqual(config(opencode.launch(ctx, '/bin/opencode')).permission, { '*': 'allow' });
  const tui = opencode.launch({ ...ctx, acp: true }, '/bin/opencode');
  assert.deepEqual(config(tui).permission, { '*': 'ask' });
  const spec = acpLaunchSpec(tui, opencode.acp!.args, { nodePath: '/bin/node', stateDir: '/st', cwd: '/wt' });
  assert.deepEqual(JSON.parse(spec.files!.find((f) => f.path === `/st/${ACP_LAUNCH_FILE}`)!.content), {
    argv: ['/bin/opencode', 'acp'],
    cwd: '/wt',
    signals: '/st/agent-signals.jsonl',
  });
});

// What OpenCode 1.18.33 sends after crewmux allowed its write of second.txt (its writeProposedEdit), whatever the
// client's capabilities say: the whole new content at the absolute path.
test("an agent's fs/write_text_file and fs/read_text_file (OpenCode's, after an allowed edit): served in the worktree, refused outside it", async () => {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'crewmux-acp-fs-')));
  const wt = join(base, 'wt');
  mkdirSync(wt);
  writeFileSync(join(wt, 'old.txt'), 'one\ntwo\nthree\n');
  try {
    const options = [{ optionId: 'once', name: 'Allow once', kind: 'allow_once' }];
    const edit = { title: 'second.txt', kind: 'edit', locations: [{ path: join(wt, 'second.txt') }] };
    const agent = createFakeAcpAgent({
      turns: [
        {
          permission: { toolCall: edit, options },
          requests: [
            { method: 'fs/write_text_file', params: { path: join(wt, 'second.txt'), content: 'second turn' } },
            { method: 'fs/write_text_file', params: { path: join(wt, 'second.txt'), content: 'second turn' } },
            { method: 'fs/write_text_file', params: { path: join(wt, 'sub', 'dir', 'c.txt'), content: 'c' } },
            { method: 'fs/read_text_file', params: { path: join(wt, 'old.txt') } },
            { method: 'fs/read_text_file', params: { path: join(wt, 'old.txt'), line: 2, limit: 1 } },
            { method: 'fs/read_text_file', params: { path: join(wt, 'nope.txt') } },
            { method: 'fs/write_text_file', params: { path: join(base, 'outside.txt'), content: 'x' } },
            { method: 'fs/write_text_file', params: { path: join(wt, '..', 'outside.txt'), content: 'x' } },
            { method: 'fs/read_text_file', params: { path: '/etc/hostname' } },
            { method: 'fs/write_text_file', params: { path: 'rel.txt', content: 'x' } },
            { method: 'fs/write_text_file', params: { path: join(wt, 'x.txt'), content: 'x', sessionId: 'other' } },
            { method: 'terminal/create', params: { command: 'true' } },
          ],
        },
      ],
    });
    const printed: string[] = [];
    const w = runAcpWorker(
      { conn: agent, files: worktreeFiles(wt), print: (t) => printed.push(t), signal: () => undefined },
      { cwd: wt, prompt: 'do the task', mcp: { url: 'http://127.0.0.1:9/mcp', token: 'tok' }, version: '0.0.0' },
    );
    await agent.sentTimes('session/prompt', 1);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    w.interrupt();
    assert.equal(await w.done, 0);
    const codes = agent.replies.map((r) => r.error?.code ?? JSON.stringify(r.result));
    assert.deepEqual(codes, [
      '{}',
      '{}',
      '{}',
      JSON.stringify({ content: 'one\ntwo\nthree\n' }),
      JSON.stringify({ content: 'two\n' }),
      RESOURCE_NOT_FOUND,
      PATH_REFUSED,
      PATH_REFUSED,
      PATH_REFUSED,
      PATH_REFUSED,
      INVALID_PARAMS,
      METHOD_NOT_FOUND,
    ]);
    assert.equal(readFileSync(join(wt, 'second.txt'), 'utf8'), 'second turn');
    assert.equal(statSync(join(wt, 'second.txt')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(wt, 'sub', 'dir', 'c.txt'), 'utf8'), 'c');
    assert.equal(existsSync(join(base, 'outside.txt')), false);
    assert.equal(existsSync(join(wt, 'x.txt')), false, "another session's write is not served");
    assert.match(agent.replies[6]!.error!.message, /inside the worker's worktree only: .*outside\.txt is outside/);
    const pane = printed.join('');
    assert.match(pane, /crewmux: wrote second\.txt for the agent \(fs\/write_text_file\)/);
    assert.match(pane, /crewmux: second\.txt already held what the agent wrote/);
    assert.match(pane, /crewmux: refused the agent's fs\/write_text_file: .*outside\.txt is outside the worktree/);
    // Without the worktree's files (another caller of runAcpWorker) fs/* stays "method not found".
    const bare = createFakeAcpAgent({
      turns: [{ requests: [{ method: 'fs/write_text_file', params: { path: join(wt, 'y.txt'), content: 'y' } }] }],
    });
    const { w: w2 } = drive(bare);
    await bare.sentTimes('session/prompt', 1);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    w2.interrupt();
    await w2.done;
    assert.equal(bare.replies[0]!.error!.code, METHOD_NOT_FOUND);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
