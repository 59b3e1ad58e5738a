/**
 * The API lead's process, run in pane 0 by the `api` agent profile: it connects to the session's MCP server
 * as the lead (CREWMUX_MCP_URL and CREWMUX_MCP_TOKEN, like any lead), reads its settings and prompt from its
 * state dir, and runs app/api-lead/loop.ts through the router with the keys of its environment. The pane is
 * its transcript; a line the user types is added to the conversation at the next turn.
 */
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { runApiLead } from '../app/api-lead/loop.js';
import { openRouter } from '../app/llm/router.js';
import { openConversation } from '../adapters/api-lead/conversation-store.js';
import { API_LEAD_USAGE_FILE, appendUsage } from '../adapters/api-lead/usage-log.js';
import { pathExists, readText } from '../adapters/system/files.js';
import { API_LEAD_SETTINGS, type ApiLeadSettings } from '../core/agents/profiles/api-lead.js';
import { API_LEAD_SYSTEM_PROMPT } from '../core/api-lead/system-prompt.js';
import { costOf, priceFor } from '../core/usage/prices.js';
import { connectLeadTools } from '../adapters/api-lead/mcp-tool-client.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the API lead runs only in a crewmux lead pane`);
  return v;
}

async function main(): Promise<number> {
  const promptFile = required('CREWMUX_PROMPT_FILE');
  const stateDir = dirname(promptFile);
  const settings = JSON.parse(readText(join(stateDir, API_LEAD_SETTINGS))) as ApiLeadSettings;
  const tools = await connectLeadTools(required('CREWMUX_MCP_URL'), required('CREWMUX_MCP_TOKEN'));
  // Cooldowns live beside the conversation: a resumed lead remembers which provider was cooling.
  const opened = openRouter({ dataDir: stateDir, config: settings.router, env: process.env });
  const conversation = openConversation(join(stateDir, 'conversation.db'));
  const typed: string[] = [];
  const input = process.stdin.isTTY ? createInterface({ input: process.stdin }) : undefined;
  input?.on('line', (l) => {
    if (l.trim()) typed.push(l.trim());
  });
  const usageFile = join(stateDir, API_LEAD_USAGE_FILE);
  // Keys stay unique across a resume: count the calls already recorded (a compacted conversation has fewer messages).
  let calls = pathExists(usageFile)
    ? readText(usageFile)
        .split('\n')
        .filter((l) => l.trim()).length
    : 0;
  try {
    const outcome = await runApiLead(
      {
        tools,
        model: opened.router,
        conversation,
        say,
        typed: () => typed.splice(0),
        onReply(reply) {
          calls += 1;
          appendUsage(usageFile, {
            key: `call-${calls}`,
            ts: Date.now(),
            provider: reply.provider,
            model: reply.model,
            ...reply.usage,
          });
        },
        costOf: (model, usage) => costOf(usage, priceFor(model)),
        sleep: (ms) => sleep(ms),
        now: Date.now,
      },
      {
        system: API_LEAD_SYSTEM_PROMPT,
        prompt: readText(promptFile),
        spec: settings.spec,
        ...(settings.router?.leadContextTokens ? { contextTokens: settings.router.leadContextTokens } : {}),
      },
    );
    if (outcome.kind !== 'decided') say(`crewmux: ${outcome.text}`);
    return outcome.kind === 'decided' ? 0 : 1;
  } finally {
    input?.close();
    conversation.close();
    opened.close();
    await tools.close().catch(() => undefined);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    say(`crewmux API lead: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
