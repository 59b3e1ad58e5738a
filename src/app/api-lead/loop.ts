/**
 * The API lead's loop: the model sees crewmux's lead tools as function tools, each call is run against the
 * session's MCP server, the result goes back, and the loop ends when mark_goal_done or mark_goal_failed is
 * accepted. Every message is appended to the conversation log first, so a resumed lead continues the same
 * conversation. Errors are states: a refused or malformed call goes back to the model as its result, a turn
 * without a decision gets a nudge, providers that all cool down are waited for. Near the model's context
 * window the conversation is compacted (compact.ts) and the loop goes on.
 */
import type { ChatCall, ChatMessage, ChatResult, ChatTool, ChatUsage } from '../../core/llm/chat.js';
import { NO_USAGE } from '../../core/llm/chat.js';
import { foldCall, summarizeResult, usageLine } from '../../core/api-lead/transcript.js';
import { toChatTools } from '../../core/api-lead/tool-schema.js';
import { RESUME_NOTE, UNDECIDED_NUDGE } from '../../core/api-lead/system-prompt.js';
import type { ApiLeadSpec } from '../../core/api-lead/lead-spec.js';
import { COMPACT_AT, estimateTokens } from '../../core/api-lead/compaction.js';
import { DEFAULT_CONTEXT_TOKENS } from '../../core/llm/router-providers.js';
import type { ConversationLog, LeadToolClient } from '../ports/api-lead.js';
import {
  RouterUnavailableError,
  type ChatRouterReply,
  type ChatRouterRequest,
  type ProviderStatus,
  type RouterReply,
  type RouterRequest,
} from '../llm/router.js';
import { compactConversation } from './compact.js';

/** The tools whose accepted call decides the goal and ends the loop. */
export const DECIDING_TOOLS = ['mark_goal_done', 'mark_goal_failed'] as const;

export interface ApiLeadDeps {
  tools: LeadToolClient;
  model: {
    chat(req: ChatRouterRequest): Promise<ChatRouterReply>;
    /** For the compaction summary. */
    complete(req: RouterRequest): Promise<RouterReply>;
    status(): ProviderStatus[];
  };
  conversation: ConversationLog;
  /** One transcript line for the pane. */
  say(line: string): void;
  /** Lines the user typed into the pane since the last call (drained). */
  typed(): string[];
  /** Called with every model reply, for the usage record. */
  onReply(reply: ChatRouterReply): void;
  /** Cost of `usage` on `model`, or undefined when the model has no price. */
  costOf(model: string, usage: ChatUsage): number | undefined;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface ApiLeadInput {
  system: string;
  /** The lead prompt (goal, tools, rules): the first user message of a new conversation. */
  prompt: string;
  spec: ApiLeadSpec;
  maxTokens?: number;
  /** Nudges after a turn without a decision before the loop gives up (default 2). */
  maxNudges?: number;
  /** Longest single wait while every provider cools down (default 5 min). */
  maxWaitMs?: number;
  /** Compact near this many tokens instead of the model's context window (config `router.leadContextTokens`). */
  contextTokens?: number;
}

export type ApiLeadOutcome =
  | { kind: 'decided'; tool: (typeof DECIDING_TOOLS)[number]; text: string }
  | { kind: 'undecided'; text: string }
  | { kind: 'no-provider'; text: string }
  /** The session's MCP server stopped answering (the supervisor is gone): `crewmux resume` continues. */
  | { kind: 'tool-server-lost'; text: string };

/** The result stored for a call the lead made but never saw answered (it stopped, or was killed, mid-call). */
export const INTERRUPTED_RESULT =
  'Error: this call was interrupted (crewmux stopped before it answered); check the current state (list_workers) before repeating it.';

class ToolServerLost extends Error {}

const refused = (r: { text: string; isError: boolean }) => r.isError || /^\s*Error:/.test(r.text);

/** Runs the lead until the goal is decided, the model stops deciding, or no provider is configured. */
export async function runApiLead(d: ApiLeadDeps, input: ApiLeadInput): Promise<ApiLeadOutcome> {
  const messages = d.conversation.load();
  const add = (m: ChatMessage) => {
    d.conversation.append(m);
    messages.push(m);
  };
  if (messages.length === 0) add({ role: 'user', text: input.prompt });
  else {
    // Every call needs its result on the wire: calls a killed lead never saw answered get an error result.
    const last = messages.at(-1);
    if (last?.role === 'assistant' && last.calls.length)
      add({
        role: 'tool',
        results: last.calls.map((c) => ({ id: c.id, name: c.name, text: INTERRUPTED_RESULT, isError: true })),
      });
    d.say(`crewmux: resuming the conversation (${messages.length} messages kept)`);
    add({ role: 'user', text: RESUME_NOTE });
  }
  const tools: ChatTool[] = toChatTools(await d.tools.list());
  d.say(`crewmux API lead: ${tools.length} tools; ${describeSpec(input.spec)}`);
  let total: ChatUsage = { ...NO_USAGE };
  let cost: number | undefined = 0;
  let nudges = 0;
  // The last reply's prompt tokens and how many messages that prompt had; the window of the model that answered.
  let basis: { tokens: number; count: number } | undefined;
  let modelWindow: number | undefined;
  for (;;) {
    for (const line of d.typed()) {
      d.say(`you: ${line}`);
      add({ role: 'user', text: line });
    }
    const limit = input.contextTokens ?? modelWindow ?? smallestWindow(d.model.status());
    const size = estimateTokens(input.system, tools, messages, basis);
    if (size > COMPACT_AT * limit) {
      d.say(`crewmux: the conversation is about ${size} tokens of ${limit}; compacting it…`);
      const c = await compactConversation(d, { system: input.system, tools, messages, window: limit, before: size });
      if (!c) d.say('crewmux: nothing older than the last turns to compact; going on as is.');
      else {
        d.conversation.compact(c.messages);
        messages.splice(0, messages.length, ...c.messages);
        basis = undefined;
        const note = `the API lead's conversation was compacted: ${c.replaced} earlier messages became a summary (${c.by}); about ${c.before} → ${c.after} tokens of ${limit}`;
        d.say(`crewmux: ${note}`);
        // The session event: report_progress records it as a lead note (the lead's only channel is MCP).
        if (tools.some((t) => t.name === 'report_progress'))
          await d.tools.call('report_progress', { message: note }).catch(() => undefined);
      }
    }
    d.say('api lead thinking…');
    let reply: ChatRouterReply;
    try {
      reply = await d.model.chat({
        purpose: 'the lead',
        system: input.system,
        messages,
        tools,
        maxTokens: input.maxTokens ?? 4096,
        ...(input.spec.provider ? { prefer: { provider: input.spec.provider, model: input.spec.model } } : {}),
      });
    } catch (e) {
      if (!(e instanceof RouterUnavailableError)) throw e;
      if (e.attempts.length === 0) return { kind: 'no-provider', text: e.message };
      const waitMs = cooldownWait(d.model.status(), d.now(), input.maxWaitMs ?? 300_000);
      d.say(
        `crewmux: ${e.message}; waiting ${Math.round(waitMs / 1000)} s (until ${new Date(d.now() + waitMs).toISOString().slice(11, 19)} UTC)`,
      );
      await d.sleep(waitMs);
      continue;
    }
    d.onReply(reply);
    basis = { tokens: reply.usage.input + reply.usage.cacheRead + reply.usage.cacheWrite, count: messages.length };
    modelWindow = reply.contextTokens;
    total = sumUsage(total, reply.usage);
    const c = d.costOf(reply.model, reply.usage);
    cost = cost === undefined || c === undefined ? undefined : cost + c;
    add({ role: 'assistant', text: reply.text, calls: reply.calls });
    if (reply.text.trim()) d.say(`lead (${reply.provider}/${reply.model}): ${reply.text.trim()}`);
    if (reply.calls.length === 0) {
      if (nudges >= (input.maxNudges ?? 2)) {
        d.say(
          `crewmux: the model stopped ${nudges + 1} times without deciding the goal; the API lead stops here. ${usageLine(total, cost)}`,
        );
        return { kind: 'undecided', text: reply.text };
      }
      nudges += 1;
      d.say(`crewmux: no decision yet; nudging the model (${nudges} of ${input.maxNudges ?? 2})`);
      add({ role: 'user', text: UNDECIDED_NUDGE });
      continue;
    }
    const results: ChatResult[] = [];
    let decided: Extract<ApiLeadOutcome, { kind: 'decided' }> | undefined;
    for (const call of reply.calls) {
      let r: ChatResult;
      try {
        r = await runCall(d, call);
      } catch (e) {
        if (!(e instanceof ToolServerLost)) throw e;
        // The calls stay unanswered in the log; a resumed lead answers them as interrupted.
        d.say(`crewmux: ${e.message}; the API lead stops here (crewmux resume continues this conversation).`);
        return { kind: 'tool-server-lost', text: e.message };
      }
      results.push(r);
      if ((DECIDING_TOOLS as readonly string[]).includes(call.name) && !refused(r))
        decided = { kind: 'decided', tool: call.name as (typeof DECIDING_TOOLS)[number], text: r.text };
    }
    add({ role: 'tool', results });
    d.say(usageLine(total, cost));
    if (decided) {
      d.say(`crewmux: ${decided.tool} accepted; the API lead is done.`);
      return decided;
    }
  }
}

async function runCall(d: ApiLeadDeps, call: ChatCall): Promise<ChatResult> {
  d.say(foldCall(call));
  const r = call.argsError
    ? { text: `Error: ${call.argsError}. Call ${call.name} again with a JSON object of arguments.`, isError: true }
    : await callTool(d, call);
  d.say(summarizeResult(r.text, r.isError));
  return { id: call.id, name: call.name, text: r.text, isError: r.isError };
}

/**
 * A tool's answer; ToolServerLost when the server does not answer at all (the supervisor is gone). Not
 * retried: the call may have run (a second spawn_worker would start a second worker).
 */
async function callTool(d: ApiLeadDeps, call: ChatCall): Promise<{ text: string; isError: boolean }> {
  try {
    return await d.tools.call(call.name, call.args);
  } catch (e) {
    throw new ToolServerLost(`the crewmux tool server did not answer: ${(e as Error).message}`);
  }
}

function sumUsage(a: ChatUsage, b: ChatUsage): ChatUsage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    reasoning: a.reasoning + b.reasoning,
  };
}

/** How long to wait for the first provider to come out of its cooldown (at least 5 s, at most `max`). */
export function cooldownWait(status: ProviderStatus[], now: number, max: number): number {
  const ends = status.filter((p) => p.configured && p.coolingUntil).map((p) => p.coolingUntil! - now);
  const first = ends.length ? Math.min(...ends) : 30_000;
  return Math.min(max, Math.max(5_000, first));
}

/** The smallest context window among the configured providers (any of them may answer), before any reply. */
function smallestWindow(status: ProviderStatus[]): number {
  const windows = status.filter((p) => p.configured).map((p) => p.contextTokens);
  return windows.length ? Math.min(...windows) : DEFAULT_CONTEXT_TOKENS;
}

function describeSpec(s: ApiLeadSpec): string {
  if (!s.provider) return "providers in the router's order";
  return `${s.provider}${s.model ? `/${s.model}` : ''} first, the other configured providers as fallback`;
}
