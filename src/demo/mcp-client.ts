/** A small MCP client over Streamable HTTP with a bearer token (scripted agents, bench, tests). */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface ToolAnswer {
  text: string;
  isError: boolean;
  structured?: Record<string, unknown>;
}

export interface CrewmuxClient {
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  tools(): Promise<string[]>;
  close(): Promise<void>;
}

/** Connects as client `name` (version: crewmux's, from package.json); rejects when the server does not answer. */
export async function connectCrewmux(url: string, token: string, name = 'crewmux-scripted'): Promise<CrewmuxClient> {
  const client = new Client({ name, version: 'scripted' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    async call(tool, args = {}) {
      const r = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 600_000 });
      const content = (r.content ?? []) as { type: string; text?: string }[];
      const text = content
        .filter((c) => c.type === 'text')
        .map((c) => c.text ?? '')
        .join('\n');
      return {
        text,
        isError: Boolean(r.isError),
        structured: r.structuredContent as Record<string, unknown> | undefined,
      };
    },
    async tools() {
      return (await client.listTools()).tools.map((t) => t.name);
    },
    async close() {
      await client.close();
    },
  };
}

/** Reads a `## Title` section of a prompt file (until the next `## `). */
export function section(prompt: string, title: string): string {
  const start = prompt.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const rest = prompt.slice(start + title.length + 5);
  const end = rest.search(/\n## /);
  return (end < 0 ? rest : rest.slice(0, end)).trim();
}
