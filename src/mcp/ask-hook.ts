/**
 * crewmux's PreToolUse hook for Claude Code workers (installed in the settings crewmux writes for them): reads the
 * hook input on stdin; for AskUserQuestion, opens a ticket through crewmux's MCP server (the worker's own URL and
 * token, inherited in CREWMUX_MCP_URL / CREWMUX_MCP_TOKEN, never on a command line), waits for the answer and prints
 * the hook output that hands it to Claude. Anything else, or any failure, exits 0 silently: Claude then shows its
 * own dialog in the pane, which the monitor turns into a pane ticket.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hookAnswerOutput, hookQuestion } from '../core/questions/claude-hook.js';

async function readStdin(): Promise<string> {
  let s = '';
  for await (const chunk of process.stdin) s += String(chunk);
  return s;
}

type Answer = { text: string; structured: Record<string, unknown> };

async function main(): Promise<void> {
  const asked = hookQuestion(JSON.parse(await readStdin()) as unknown);
  const url = process.env.CREWMUX_MCP_URL;
  const token = process.env.CREWMUX_MCP_TOKEN;
  if (!asked || !url || !token) return;
  const client = new Client({ name: 'crewmux-ask-hook', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  const call = async (name: string, args: Record<string, unknown>): Promise<Answer> => {
    const r = await client.callTool({ name, arguments: args });
    const text = ((r.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
    if (r.isError) throw new Error(text);
    return { text, structured: (r.structuredContent ?? {}) as Record<string, unknown> };
  };
  try {
    const t = await call('ask', { question: asked.question, options: asked.options, via: 'hook' });
    const ticket = String(t.structured.ticket);
    for (;;) {
      const a = await call('get_answer', { ticket });
      if (a.structured.status === 'answered') {
        const who = a.structured.answeredBy === 'human' ? 'human' : 'lead';
        process.stdout.write(
          hookAnswerOutput(ticket, who, typeof a.structured.answer === 'string' ? a.structured.answer : ''),
        );
        return;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await client.close().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`crewmux ask hook: ${(e as Error).message}\n`);
});
