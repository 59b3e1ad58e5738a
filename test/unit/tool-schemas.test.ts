/**
 * What an MCP client sees of crewmux's tools: every parameter of every tool (lead and worker) has a
 * description in its input schema, and a call to a tool that does not exist answers "unknown tool NAME"
 * with the tools there are (once "MCP error -32602: Tool x not found. Check the arguments ...").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { buildMcpServer, type ToolDeps } from '../../src/mcp/build-server.js';
import type { Runtime } from '../../src/app/runtime.js';
import type { ExternalAgentDeps } from '../../src/app/external/external-agents.js';
import type { Research } from '../../src/app/llm/research.js';

// Registration reads only rt.options (wait_for_worker's cap); no handler runs in these tests.
const rt = { options: { toolWaitS: 45 } } as unknown as Runtime;
const deps: ToolDeps = { rt, version: '0.0.0-test', external: {} as ExternalAgentDeps, research: {} as Research };

async function withClient<T>(
  principal: Parameters<typeof buildMcpServer>[0],
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const server = buildMcpServer(principal, deps);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'tool-schemas-test', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  try {
    return await fn(client);
  } finally {
    await client.close();
    await server.close();
  }
}

interface JsonSchema {
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

/** `tool.param[.nested]` for every property below `schema` without a description. */
function undocumented(prefix: string, schema: JsonSchema): string[] {
  const out: string[] = [];
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (!s.description?.trim()) out.push(`${prefix}.${k}`);
    out.push(...undocumented(`${prefix}.${k}`, s));
    if (s.items) out.push(...undocumented(`${prefix}.${k}[]`, s.items));
  }
  return out;
}

test('every parameter of every lead and worker tool has a description in its input schema', async () => {
  for (const principal of [{ role: 'lead' as const }, { role: 'worker' as const, workerId: 'w01' }]) {
    const tools = await withClient(principal, async (c) => (await c.listTools()).tools);
    assert.ok(tools.length > 0);
    const missing = tools.flatMap((t) => undocumented(t.name, t.inputSchema as JsonSchema));
    assert.deepEqual(missing, [], `${principal.role} tools with undocumented parameters`);
  }
});

test('an unknown tool name answers "unknown tool NAME" with the tools there are, not "check the arguments"', async () => {
  for (const principal of [{ role: 'lead' as const }, { role: 'worker' as const, workerId: 'w01' }]) {
    const r = await withClient(principal, async (c) => {
      const names = (await c.listTools()).tools.map((t) => t.name);
      return { names, result: await c.callTool({ name: 'spawn_wroker', arguments: { task: 't' } }) };
    });
    assert.equal(r.result.isError, true);
    const text = (r.result.content as { type: string; text: string }[])[0]!.text;
    assert.match(text, /^Error: unknown tool "spawn_wroker"/);
    assert.doesNotMatch(text, /check the arguments/i);
    for (const name of r.names) assert.ok(text.includes(name), `${principal.role}: ${name} is not listed in: ${text}`);
  }
});
