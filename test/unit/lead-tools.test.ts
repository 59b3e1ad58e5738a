/**
 * The lead prompt's tool list comes from the tools the MCP server registers for the lead: it names every
 * one of them and no other (restart_worker and the external-agent tools were once missing from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { buildMcpServer, listLeadTools, type ToolDeps } from '../../src/mcp/build-server.js';
import { buildLeadPrompt } from '../../src/core/workers/prompts.js';
import type { Runtime } from '../../src/app/runtime.js';
import type { ExternalAgentDeps } from '../../src/app/external/external-agents.js';
import type { Research } from '../../src/app/llm/research.js';

// Registration reads only rt.options (wait_for_worker's cap); no handler runs in these tests.
const rt = { options: { toolWaitS: 45 } } as unknown as Runtime;
const allDeps: ToolDeps = { rt, version: '0.0.0-test', external: {} as ExternalAgentDeps, research: {} as Research };

/** The tool names a connected MCP client of `principal`'s server sees. */
async function registeredNames(deps: ToolDeps, principal: Parameters<typeof buildMcpServer>[0]): Promise<string[]> {
  const server = buildMcpServer(principal, deps);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'lead-tools-test', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
    await server.close();
  }
}

function prompt(deps: ToolDeps): string {
  return buildLeadPrompt({
    sessionId: 's1',
    goal: 'G',
    agents: ['a'],
    maxWorkers: 2,
    projectContext: [],
    tools: listLeadTools(deps),
  });
}

/** Every `name(` in the prompt: how it writes a tool call. */
function toolCallsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\b([a-z][a-z_]*)\(/g)].map((m) => m[1]!))].sort();
}

test('listLeadTools lists exactly the tools the lead sees over MCP', async () => {
  for (const deps of [allDeps, { rt, version: '0.0.0-test' }]) {
    const listed = listLeadTools(deps)
      .map((t) => t.name)
      .sort();
    assert.deepEqual(listed, await registeredNames(deps, { role: 'lead' }));
  }
});

test('the lead prompt names every registered lead tool and no other', async () => {
  for (const deps of [allDeps, { rt, version: '0.0.0-test' }]) {
    const registered = await registeredNames(deps, { role: 'lead' });
    const text = prompt(deps);
    for (const name of registered)
      assert.match(text, new RegExp(`^- ${name}\\(`, 'm'), `${name} is missing from the lead prompt`);
    assert.deepEqual(toolCallsIn(text), registered);
  }
  const text = prompt(allDeps);
  for (const name of [
    'restart_worker',
    'discover_running_agents',
    'send_to_external_agent',
    'read_from_external_agent',
    'web_research',
  ]) {
    assert.match(text, new RegExp(`^- ${name}\\(`, 'm'));
  }
  // Worker-only tools are not the lead's.
  assert.doesNotMatch(text, /worker_done/);
  assert.ok(!(await registeredNames(allDeps, { role: 'lead' })).includes('worker_done'));
  assert.ok((await registeredNames(allDeps, { role: 'worker', workerId: 'w01' })).includes('worker_done'));
});

test('a tool line shows its parameters, optional ones marked, and its registered description', () => {
  const spawn = listLeadTools(allDeps).find((t) => t.name === 'spawn_worker')!;
  assert.deepEqual(spawn.params, [
    'task',
    'perspective?',
    'agent?',
    'file_scope?',
    'pass_criteria?',
    'extra_context?',
    'runtime?',
    'node?',
  ]);
  assert.match(
    prompt(allDeps),
    /^- spawn_worker\(task, perspective\?, agent\?, file_scope\?, pass_criteria\?, extra_context\?, runtime\?, node\?\): Start a worker agent/m,
  );
  assert.match(prompt(allDeps), /^- list_workers\(\): List every worker/m);
});
