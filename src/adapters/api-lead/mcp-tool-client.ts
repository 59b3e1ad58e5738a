/**
 * The API lead's tool client: an MCP SDK client over Streamable HTTP to the session's MCP server, with the
 * lead's bearer token in a header (never in the URL). Calls may take an hour (wait_for_worker and verify answer
 * "still running" long before that); the loop decides what an unreachable server means.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { LeadToolClient } from '../../app/ports/api-lead.js';

/** Connects to the MCP server at `url` as the principal of `token`. */
export async function connectLeadTools(
  url: string,
  token: string,
): Promise<LeadToolClient & { close(): Promise<void> }> {
  const client = new Client({ name: 'crewmux-api-lead', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return {
    async list() {
      return (await client.listTools()).tools;
    },
    async call(name, args) {
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 3_600_000 });
      const text = ((r.content ?? []) as { type: string; text?: string }[])
        .filter((c) => c.type === 'text')
        .map((c) => c.text ?? '')
        .join('\n');
      return { text, isError: Boolean(r.isError) };
    },
    close: () => client.close(),
  };
}
