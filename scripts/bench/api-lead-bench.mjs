#!/usr/bin/env node
// The API lead part of `npm run bench` (also alone: `node scripts/bench/api-lead-bench.mjs` after a build): what
// crewmux's lead loop adds to each tool round trip, the model's time excluded. The loop (src/app/api-lead/loop.ts)
// runs for real: its conversation appended to a real SQLite file, its transcript lines formatted, the context
// estimate made before each call, and each tool called through the real MCP client (adapters/api-lead) over HTTP
// on 127.0.0.1 to crewmux's real MCP endpoint (src/mcp/http-server.ts: host, token and size gates, the SDK's
// stateless transport). Only two things are stand-ins, so that neither's own time is counted: the model answers
// at once (a call to `note`, then mark_goal_done), and `note` does nothing. Overhead of a round trip = from the
// moment the model's reply is back to the moment the next request goes to the model. Figures only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { runApiLead } from '../../dist/src/app/api-lead/loop.js';
import { openConversation } from '../../dist/src/adapters/api-lead/conversation-store.js';
import { connectLeadTools } from '../../dist/src/adapters/api-lead/mcp-tool-client.js';
import { createMcpHttpServer } from '../../dist/src/mcp/http-server.js';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (ms) => `${ms.toFixed(2)} ms`;
const USAGE = { input: 1000, output: 20, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

/** A model that answers at once: `rounds` calls to `note`, then mark_goal_done; records when each request came. */
function instantModel(rounds) {
  const asked = [];
  const answered = [];
  let n = 0;
  return {
    asked,
    answered,
    model: {
      async chat() {
        asked.push(performance.now());
        n += 1;
        const name = n <= rounds ? 'note' : 'mark_goal_done';
        const reply = {
          text: '',
          calls: [{ id: `c${n}`, name, args: name === 'note' ? { n, text: `round ${n}: ${'x'.repeat(200)}` } : {} }],
          usage: USAGE,
          stop: 'tool_use',
          provider: 'anthropic',
          model: 'bench-model',
          contextTokens: 200_000,
        };
        answered.push(performance.now());
        return reply;
      },
      complete: async () => {
        throw new Error('no compaction in this bench');
      },
      status: () => [],
    },
  };
}

function benchServer() {
  const book = { lead: 'bench-lead-token', workerByToken: () => undefined };
  return createMcpHttpServer({
    book,
    buildServer() {
      const s = new McpServer({ name: 'crewmux-bench', version: '1' });
      s.registerTool(
        'note',
        {
          description: 'Does nothing (the bench counts crewmux, not a tool).',
          inputSchema: { n: z.number(), text: z.string() },
        },
        async () => ({ content: [{ type: 'text', text: 'noted' }] }),
      );
      s.registerTool('mark_goal_done', { description: 'Ends the bench.', inputSchema: {} }, async () => ({
        content: [{ type: 'text', text: 'Goal marked done.' }],
      }));
      return s;
    },
  });
}

/** Runs the loop for `rounds` tool round trips with `tools`; returns each round trip's overhead in ms. */
async function run(dir, name, rounds, tools) {
  const conversation = openConversation(join(dir, `${name}.db`));
  const m = instantModel(rounds);
  try {
    const outcome = await runApiLead(
      {
        tools,
        model: m.model,
        conversation,
        say: () => undefined,
        typed: () => [],
        onReply: () => undefined,
        costOf: () => 0,
        sleep: async () => undefined,
        now: () => Date.now(),
      },
      { system: 'You are the lead.', prompt: 'Bench the loop.', spec: { provider: 'anthropic' } },
    );
    if (outcome.kind !== 'decided') throw new Error(`the bench lead did not decide: ${outcome.text}`);
  } finally {
    conversation.close();
  }
  return m.asked.slice(1).map((t, i) => t - m.answered[i]);
}

/** Prints the API lead figures; `dir` is a scratch directory it may fill. */
export async function benchApiLead(dir, rounds = 200) {
  const server = benchServer();
  const port = await server.listen(0);
  const tools = await connectLeadTools(`http://127.0.0.1:${port}/mcp`, 'bench-lead-token');
  try {
    await run(dir, 'warm', 20, tools);
    const overhead = await run(dir, 'mcp', rounds, tools);
    const direct = {
      list: () => tools.list(),
      call: async () => ({ text: 'noted', isError: false }),
    };
    const loopOnly = await run(dir, 'loop', rounds, direct);
    const p50 = pct(overhead, 50);
    console.log(`\nAPI lead (${rounds} tool round trips, model time excluded; scripts/bench/api-lead-bench.mjs)`);
    console.log(
      `  overhead per tool round trip (loop + SQLite + MCP over HTTP): p50 ${f(p50)}  p95 ${f(pct(overhead, 95))}  (target p50 <= 5 ms: ${p50 <= 5 ? 'target met' : 'TARGET MISSED'})`,
    );
    console.log(
      `  of which the loop alone (tool answered in-process): p50 ${f(pct(loopOnly, 50))}  p95 ${f(pct(loopOnly, 95))}`,
    );
    const tail = overhead.slice(-50);
    console.log(`  the last 50 round trips (a ${rounds * 2 + 1}-message conversation): p50 ${f(pct(tail, 50))}`);
  } finally {
    await tools.close().catch(() => undefined);
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'crewmux-bench-api-lead-'));
  try {
    await benchApiLead(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
