/** The scripted fake model server: stateless decisions per protocol, deferred MCP tools, schema-filled side requests, real HTTP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../fakes/fake-model/policy.js';
import { parseAnthropic } from '../fakes/fake-model/anthropic.js';
import { parseResponses } from '../fakes/fake-model/openai-responses.js';
import { parseChat } from '../fakes/fake-model/openai-chat.js';
import { parseGemini } from '../fakes/fake-model/gemini.js';
import { createFakeModelServer } from '../fakes/fake-model-server.js';

const LEAD = '# You are the lead of a crewmux session\n\n## Goal\nCreate file a.txt containing hi\n';
const WORKER = '# You are crewmux worker w1 (implementer)\n\n## Task\nCreate file b.txt containing hello there\n';
const obj = { type: 'object', properties: { task: { type: 'string' } }, required: ['task'] };

test('anthropic lead: first spawn_worker with the goal as task, then wait after the result', () => {
  const tools = [
    { name: 'Write', input_schema: {} },
    { name: 'mcp__crewmux__spawn_worker', input_schema: obj },
    {
      name: 'mcp__crewmux__wait_for_worker',
      input_schema: { type: 'object', properties: { worker_id: { type: 'string' } } },
    },
  ];
  const first = decide(
    parseAnthropic({ system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: LEAD }], tools }),
  );
  assert.equal(first.kind, 'tool');
  assert.ok(
    first.kind === 'tool' &&
      first.tool.name === 'mcp__crewmux__spawn_worker' &&
      first.args.task === 'Create file a.txt containing hi',
  );
  const second = decide(
    parseAnthropic({
      messages: [
        { role: 'user', content: LEAD },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 't1', name: 'mcp__crewmux__spawn_worker', input: { task: 'x' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [{ type: 'text', text: 'Started worker w7. {"worker_id":"w7"}' }],
            },
          ],
        },
      ],
      tools,
    }),
  );
  assert.ok(
    second.kind === 'tool' && second.tool.name === 'mcp__crewmux__wait_for_worker' && second.args.worker_id === 'w7',
  );
});

test('responses worker: exec_command in the cwd, then worker_done inside the mcp__crewmux namespace', () => {
  const tools = [
    { type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } },
    {
      type: 'namespace',
      name: 'mcp__crewmux',
      tools: [
        {
          type: 'function',
          name: 'worker_done',
          parameters: { type: 'object', properties: { status: { type: 'string' }, summary: { type: 'string' } } },
        },
      ],
    },
  ];
  const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: WORKER }] }];
  const a = decide(parseResponses({ input, tools }));
  assert.ok(
    a.kind === 'tool' && a.tool.name === 'exec_command' && String(a.args.cmd).includes("'hello there' > 'b.txt'"),
  );
  const b = decide(
    parseResponses({
      input: [
        ...input,
        { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'c1' },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
      ],
      tools,
    }),
  );
  assert.ok(
    b.kind === 'tool' &&
      b.tool.namespace === 'mcp__crewmux' &&
      b.tool.name === 'worker_done' &&
      b.args.status === 'done',
  );
});

test('chat (Qwen 0.24): a deferred tool goes through tool_search select:, then the tool_call proxy', () => {
  const tools = [
    { function: { name: 'write_file', parameters: {} } },
    { function: { name: 'tool_search', parameters: {} } },
    { function: { name: 'tool_call', parameters: {} } },
  ];
  const sys = {
    role: 'system',
    content: 'cwd. Working directory: /w\n### MCP servers\n"mcp__crewmux__worker_done": "report"',
  };
  const wrote = [
    { role: 'assistant', tool_calls: [{ id: 'c1', function: { name: 'write_file', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'ok' },
  ];
  const a = decide(parseChat({ messages: [sys, { role: 'user', content: WORKER }, ...wrote], tools }));
  assert.ok(a.kind === 'tool' && a.tool.name === 'tool_search' && a.args.query === 'select:mcp__crewmux__worker_done');
  const searched = [
    {
      role: 'assistant',
      tool_calls: [
        { id: 'c2', function: { name: 'tool_search', arguments: '{"query":"select:mcp__crewmux__worker_done"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c2', content: 'reviewed' },
  ];
  const b = decide(parseChat({ messages: [sys, { role: 'user', content: WORKER }, ...wrote, ...searched], tools }));
  assert.ok(b.kind === 'tool' && b.tool.name === 'tool_call' && b.args.name === 'mcp__crewmux__worker_done');
  const w = decide(parseChat({ messages: [sys, { role: 'user', content: JSON.stringify(WORKER) }], tools }));
  assert.ok(
    w.kind === 'tool' && w.tool.name === 'write_file' && w.args.file_path === '/w/b.txt',
    'JSON-quoted user text is unquoted; paths are absolute',
  );
});

test('chat (Copilot CLI): create {path, file_text} in the cwd, then crewmux-worker_done (hyphenated MCP names)', () => {
  const props = (...keys: string[]) => ({ type: 'object', properties: Object.fromEntries(keys.map((k) => [k, {}])) });
  const tools = [
    { function: { name: 'bash', parameters: props('command') } },
    { function: { name: 'create', parameters: { ...props('path', 'file_text'), required: ['path', 'file_text'] } } },
    { function: { name: 'crewmux-worker_done', parameters: props('status', 'summary') } },
  ];
  const sys = { role: 'system', content: '* Current working directory: /w\n' };
  const a = decide(parseChat({ messages: [sys, { role: 'user', content: WORKER }], tools }));
  assert.ok(a.kind === 'tool' && a.tool.name === 'create', JSON.stringify(a));
  assert.deepEqual(a.args, { path: '/w/b.txt', file_text: 'hello there\n' });
  const created = [
    { role: 'assistant', tool_calls: [{ id: 'c1', function: { name: 'create', arguments: JSON.stringify(a.args) } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'Created file /w/b.txt' },
  ];
  const b = decide(parseChat({ messages: [sys, { role: 'user', content: WORKER }, ...created], tools }));
  assert.ok(b.kind === 'tool' && b.tool.name === 'crewmux-worker_done' && b.args.status === 'done', JSON.stringify(b));
});

test('gemini router and other side requests get schema-filled JSON or OK', () => {
  const router = decide(
    parseGemini({
      contents: [{ role: 'user', parts: [{ text: LEAD }] }],
      generationConfig: {
        responseJsonSchema: {
          type: 'object',
          properties: { complexity_reasoning: { type: 'string' }, complexity_score: { type: 'integer' } },
        },
      },
    }),
  );
  assert.deepEqual(router, { kind: 'text', text: '{"complexity_reasoning":"ok","complexity_score":1}' });
  assert.deepEqual(
    decide(
      parseChat({
        messages: [
          { role: 'system', content: 'You are a title generator' },
          { role: 'user', content: LEAD },
        ],
      }),
    ),
    { kind: 'text', text: 'OK' },
  );
});

test('lead reacts to a refused mark_goal_done with list_workers, then retries', () => {
  const t = (n: string) => ({ name: `mcp_crewmux_${n}`, parameters: { type: 'object', properties: {} } });
  const tools = [{ functionDeclarations: ['spawn_worker', 'mark_goal_done', 'list_workers'].map(t) }];
  const call = (name: string, out: string) => [
    { role: 'model', parts: [{ functionCall: { name: `mcp_crewmux_${name}`, args: {} } }] },
    { role: 'user', parts: [{ functionResponse: { name: `mcp_crewmux_${name}`, response: { output: out } } }] },
  ];
  const base = [
    { role: 'user', parts: [{ text: LEAD }] },
    ...call('spawn_worker', 'Started w1'),
    ...call('mark_goal_done', 'Error: not merged'),
  ];
  const a = decide(parseGemini({ contents: base, tools }));
  assert.ok(a.kind === 'tool' && a.tool.name === 'mcp_crewmux_list_workers');
  const b = decide(parseGemini({ contents: [...base, ...call('list_workers', 'w1 merged')], tools }));
  assert.ok(b.kind === 'tool' && b.tool.name === 'mcp_crewmux_mark_goal_done');
});

test('lead calls verify again while it answers "still running" (a slow verify under load), then mark_goal_done', () => {
  const t = (n: string) => ({ name: `mcp_crewmux_${n}`, parameters: { type: 'object', properties: {} } });
  const names = ['spawn_worker', 'wait_for_worker', 'merge_worker', 'verify', 'mark_goal_done'];
  const tools = [{ functionDeclarations: names.map(t) }];
  const call = (name: string, out: string) => [
    { role: 'model', parts: [{ functionCall: { name: `mcp_crewmux_${name}`, args: {} } }] },
    { role: 'user', parts: [{ functionResponse: { name: `mcp_crewmux_${name}`, response: { output: out } } }] },
  ];
  const base = [
    { role: 'user', parts: [{ text: LEAD }] },
    ...call('spawn_worker', 'Started worker w01. {"worker_id":"w01"}'),
    ...call('wait_for_worker', 'Worker w01 finished: done.'),
    ...call('merge_worker', 'Merged w01.'),
    ...call(
      'verify',
      'Verify is still running on b9c4482cd5 (git status --short). Call verify again to get its result.',
    ),
  ];
  const a = decide(parseGemini({ contents: base, tools }));
  assert.ok(a.kind === 'tool' && a.tool.name === 'mcp_crewmux_verify', JSON.stringify(a));
  const b = decide(parseGemini({ contents: [...base, ...call('verify', 'Verify passed.')], tools }));
  assert.ok(b.kind === 'tool' && b.tool.name === 'mcp_crewmux_mark_goal_done', JSON.stringify(b));
});

test('lead with several "AGENT: Create file" lines: one spawn per line with its agent, wait for all, merge each', () => {
  const goal =
    '# You are the lead of a crewmux session\n\n## Goal\nTwo files.\n- codex: Create file a.txt containing from codex\n- gemini: Create file b.txt containing from gemini\n';
  const prop = {
    type: 'object',
    properties: {
      task: { type: 'string' },
      agent: { type: 'string' },
      worker_id: { type: 'string' },
      worker_ids: { type: 'array' },
      mode: { type: 'string' },
    },
  };
  const tools = ['spawn_worker', 'wait_for_worker', 'merge_worker', 'verify', 'mark_goal_done'].map((n) => ({
    name: `mcp__crewmux__${n}`,
    input_schema: prop,
  }));
  let n = 0;
  const turn = (name: string, input: Record<string, unknown>, out: string) => {
    const id = `t${++n}`;
    return [
      { role: 'assistant', content: [{ type: 'tool_use', id, name: `mcp__crewmux__${name}`, input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: [{ type: 'text', text: out }] }] },
    ];
  };
  const next = (msgs: unknown[]) =>
    decide(parseAnthropic({ messages: [{ role: 'user', content: goal }, ...msgs], tools }));
  const a = next([]);
  assert.ok(a.kind === 'tool' && a.args.task === 'Create file a.txt containing from codex' && a.args.agent === 'codex');
  const s1 = turn(
    'spawn_worker',
    {},
    'Started worker w01 (codex, implementer). Call wait_for_worker with worker_id "w01".',
  );
  const b = next(s1);
  assert.ok(
    b.kind === 'tool' && b.args.task === 'Create file b.txt containing from gemini' && b.args.agent === 'gemini',
  );
  const s2 = [...s1, ...turn('spawn_worker', {}, 'Started worker w02 (gemini, implementer).')];
  const c = next(s2);
  assert.ok(c.kind === 'tool' && c.tool.name === 'mcp__crewmux__wait_for_worker' && c.args.mode === 'all');
  assert.deepEqual(c.kind === 'tool' && c.args.worker_ids, ['w01', 'w02']);
  const w1 = [...s2, ...turn('wait_for_worker', {}, 'w01 is done: ok\nStill running: w02 (running).')];
  assert.ok(
    next(w1).kind === 'tool' && (next(w1) as { tool: { name: string } }).tool.name === 'mcp__crewmux__wait_for_worker',
    'still running: wait again',
  );
  const w2 = [...w1, ...turn('wait_for_worker', {}, 'w01 is done: ok\nw02 is done: ok')];
  const m1 = next(w2);
  assert.ok(m1.kind === 'tool' && m1.tool.name === 'mcp__crewmux__merge_worker' && m1.args.worker_id === 'w01');
  const m2 = next([...w2, ...turn('merge_worker', {}, 'Merged w01')]);
  assert.ok(m2.kind === 'tool' && m2.tool.name === 'mcp__crewmux__merge_worker' && m2.args.worker_id === 'w02');
  const v = next([...w2, ...turn('merge_worker', {}, 'Merged w01'), ...turn('merge_worker', {}, 'Merged w02')]);
  assert.ok(v.kind === 'tool' && v.tool.name === 'mcp__crewmux__verify');
});

test('over HTTP: chat SSE with a tool call, Gemini JSON, 404 elsewhere; close() stops it', async () => {
  const fake = createFakeModelServer();
  const url = await fake.listen();
  try {
    const r = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({
        stream: true,
        messages: [{ role: 'user', content: LEAD }],
        tools: [{ function: { name: 'crewmux_spawn_worker', parameters: obj } }],
      }),
    });
    const text = await r.text();
    assert.match(text, /"name":"crewmux_spawn_worker"/);
    assert.match(text, /"finish_reason":"tool_calls"/);
    assert.match(text, /data: \[DONE\]/);
    const g = (await (
      await fetch(`${url}/v1beta/models/m:generateContent`, {
        method: 'POST',
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      })
    ).json()) as { candidates: { content: { parts: { text: string }[] } }[] };
    assert.equal(g.candidates[0]!.content.parts[0]!.text, 'OK');
    assert.equal((await fetch(`${url}/nope`)).status, 404);
    assert.equal(fake.requests.length, 2);
  } finally {
    await fake.close();
  }
});

interface Ev {
  type?: string;
  message?: { usage: { input_tokens: number; output_tokens: number } };
  usage?: { output_tokens?: number; prompt_tokens?: number; completion_tokens?: number };
  response?: { usage: { input_tokens: number; output_tokens: number } };
}

test('over HTTP: every wire reports the usage the fake records, with whom it served', async () => {
  const fake = createFakeModelServer();
  const url = await fake.listen();
  const post = async (path: string, body: unknown) =>
    (await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) })).text();
  const sseData = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)) as Ev);
  try {
    const tools = [{ name: 'mcp__crewmux__spawn_worker', input_schema: obj }];
    const a = sseData(
      await post('/v1/messages', {
        model: 'claude-x',
        stream: true,
        messages: [{ role: 'user', content: LEAD }],
        tools,
      }),
    );
    const start = a[0]!.message!.usage;
    const delta = a.find((e) => e.type === 'message_delta')!.usage!;
    const r = sseData(
      await post('/v1/responses', {
        model: 'gpt-x',
        input: [{ role: 'user', content: [{ type: 'input_text', text: WORKER }] }],
        tools: [{ type: 'function', name: 'exec_command', parameters: obj }],
      }),
    );
    const done = r.at(-1)!.response!.usage;
    const c = sseData(
      await post('/v1/chat/completions', {
        model: 'chat-x',
        stream: true,
        messages: [{ role: 'user', content: LEAD }],
        tools: [{ function: { name: 'crewmux_spawn_worker', parameters: obj } }],
      }),
    );
    const chat = c.at(-1)!.usage!;
    const g = JSON.parse(
      await post('/v1beta/models/gem-x:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    ) as { usageMetadata: { promptTokenCount: number; candidatesTokenCount: number } };
    const served = fake.requests.map((q) => [q.protocol, q.role, q.usage.model]);
    assert.deepEqual(served, [
      ['anthropic', 'lead', 'claude-x'],
      ['responses', 'w1', 'gpt-x'],
      ['chat', 'lead', 'chat-x'],
      ['gemini', 'side', 'gem-x'],
    ]);
    const u = fake.requests.map((q) => q.usage);
    assert.deepEqual([start.input_tokens, start.output_tokens, delta.output_tokens], [u[0]!.input, 1, u[0]!.output]);
    assert.deepEqual([done.input_tokens, done.output_tokens], [u[1]!.input, u[1]!.output]);
    assert.deepEqual([chat.prompt_tokens, chat.completion_tokens], [u[2]!.input, u[2]!.output]);
    assert.deepEqual(
      [g.usageMetadata.promptTokenCount, g.usageMetadata.candidatesTokenCount],
      [u[3]!.input, u[3]!.output],
    );
    assert.ok(
      u.every((x) => x.input > 10 && x.output > 5),
      'the counts come from the request and the answer',
    );
  } finally {
    await fake.close();
  }
});

test('anthropic worker with ASK THE USER: AskUserQuestion first, then the answer from the result goes into the file', () => {
  const task = `${WORKER}ASK THE USER: Which port?\n`;
  const tools = [
    { name: 'Write', input_schema: { type: 'object', properties: { file_path: {}, content: {} } } },
    { name: 'AskUserQuestion', input_schema: { type: 'object', properties: { questions: {} } } },
    { name: 'mcp__crewmux__worker_done', input_schema: obj },
  ];
  const first = decide(parseAnthropic({ messages: [{ role: 'user', content: task }], tools }));
  assert.ok(first.kind === 'tool' && first.tool.name === 'AskUserQuestion');
  assert.deepEqual(first.args, {
    questions: [
      {
        question: 'Which port?',
        header: 'Question',
        options: [
          { label: 'Option A', description: 'the first choice' },
          { label: 'Option B', description: 'the second choice' },
        ],
        multiSelect: false,
      },
    ],
  });
  const second = decide(
    parseAnthropic({
      messages: [
        { role: 'user', content: task },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'AskUserQuestion', input: first.args }] },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              is_error: true,
              content: 'crewmux routed this question to the lead (ticket q1). The answer: 8080\nCarry on.',
            },
          ],
        },
      ],
      tools,
    }),
  );
  assert.ok(second.kind === 'tool' && second.tool.name === 'Write');
  assert.equal(second.args.content, 'hello there 8080\n');
  // Without the marker the worker writes at once.
  const plain = decide(parseAnthropic({ messages: [{ role: 'user', content: WORKER }], tools }));
  assert.ok(plain.kind === 'tool' && plain.tool.name === 'Write');
});

test('anthropic lead on Claude Code 2.1.328+: crewmux "still connecting" and no WaitForMcpServers -> ToolSearch for it', () => {
  // The system text and tools of Claude Code 2.1.332's first request when its MCP client had not connected yet.
  const system = [
    'The following deferred tools are now available via ToolSearch. Use ToolSearch with query "select:<name>":',
    'CronCreate\nWebFetch',
    '',
    'The following MCP servers are still connecting — their tools (typically named mcp__<server>__*) are not yet available but will appear shortly:',
    'crewmux',
    '',
    "If the user's request might be served by one of these servers, call ToolSearch with a relevant keyword — ToolSearch will wait for connecting servers.",
  ].join('\n');
  const search = {
    name: 'ToolSearch',
    input_schema: {
      type: 'object',
      properties: { query: { type: 'string' }, max_results: { type: 'number' } },
      required: ['query', 'max_results'],
    },
  };
  const tools = [{ name: 'Bash', input_schema: {} }, search, { name: 'Write', input_schema: {} }];
  const body = (extra: object[] = []) => ({
    system: [{ type: 'text', text: system }],
    messages: [{ role: 'user', content: LEAD }, ...extra],
    tools,
  });
  const first = decide(parseAnthropic(body()));
  assert.deepEqual(first.kind === 'tool' && [first.tool.name, first.args], [
    'ToolSearch',
    { query: 'select:mcp__crewmux__spawn_worker', max_results: 5 },
  ]);
  // Another server still connecting is no reason to wait for crewmux.
  const other = decide(
    parseAnthropic({ ...body(), system: [{ type: 'text', text: system.replace('\ncrewmux\n', '\ngithub\n') }] }),
  );
  assert.deepEqual(other, { kind: 'text', text: 'DONE: cannot reach tool spawn_worker' });
  // At most three searches while it still connects, then the turn ends.
  const searched = [1, 2, 3].flatMap((i) => [
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: `s${i}`, name: 'ToolSearch', input: first.kind === 'tool' ? first.args : {} }],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: `s${i}`, content: 'No matching deferred tools found' }],
    },
  ]);
  assert.deepEqual(decide(parseAnthropic(body(searched))), {
    kind: 'text',
    text: 'DONE: cannot reach tool spawn_worker',
  });
});

test('responses reviewer: a verdict from the criteria and the diff of the latest gate round, then worker_done', () => {
  const fn = (name: string, keys: string[]) => ({
    type: 'function',
    name,
    parameters: { type: 'object', properties: Object.fromEntries(keys.map((k) => [k, {}])) },
  });
  const tools = [
    {
      type: 'namespace',
      name: 'mcp__crewmux',
      tools: [
        fn('submit_verdict', ['verdict', 'risk', 'criteria', 'findings']),
        fn('worker_done', ['status', 'summary']),
      ],
    },
  ];
  const round = (n: number, files: string[]) =>
    [
      `Review gate round ${n} of 3: judge it.`,
      'Give your verdict with the submit_verdict tool (not in prose), then call worker_done:',
      'Criteria:\n- [A1] a.txt exists\n- [A2] b.txt exists',
      `Patch:\n${files.map((f) => `+++ b/${f}\n+x`).join('\n')}`,
    ].join('\n\n');
  const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
  const call = (name: string, id: string, output: string) => [
    { type: 'function_call', namespace: 'mcp__crewmux', name, arguments: '{}', call_id: id },
    { type: 'function_call_output', call_id: id, output },
  ];
  const r1 = [user(`# You are crewmux worker w02 (reviewer)\n\n## Task\n${round(1, ['a.txt'])}`)];
  const a = decide(parseResponses({ input: r1, tools }));
  assert.ok(a.kind === 'tool' && a.tool.name === 'submit_verdict', JSON.stringify(a));
  assert.equal(a.args.verdict, 'fail');
  assert.deepEqual(
    (a.args.criteria as { id: string; met: boolean }[]).map((c) => [c.id, c.met]),
    [
      ['A1', true],
      ['A2', false],
    ],
  );
  assert.match(JSON.stringify(a.args.findings), /b\.txt is missing/);
  const afterVerdict = [...r1, ...call('submit_verdict', 'c1', 'Recorded your verdict (fail)')];
  const b = decide(parseResponses({ input: afterVerdict, tools }));
  assert.ok(b.kind === 'tool' && b.tool.name === 'worker_done');
  const r2 = [...afterVerdict, ...call('worker_done', 'c2', 'ok'), user(round(2, ['a.txt', 'b.txt']))];
  const c = decide(parseResponses({ input: r2, tools }));
  assert.ok(c.kind === 'tool' && c.tool.name === 'submit_verdict' && c.args.verdict === 'pass', JSON.stringify(c));
});
