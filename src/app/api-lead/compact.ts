/**
 * Compaction of the API lead's conversation near the model's context window: the first message (goal,
 * acceptance criteria, tools) and the last turns stay verbatim; the turns between become one user message
 * with a summary written by the router (a plain truncation when no provider answers) and the state of each
 * worker (compact_session first, so finished workers show as digests, then list_workers). The caller stores
 * the result as a compaction in the conversation log, which keeps the older rows for the record.
 */
import type { ChatMessage, ChatTool } from '../../core/llm/chat.js';
import {
  compactionCut,
  compactionMessage,
  estimateTokens,
  SUMMARY_SYSTEM,
  transcriptForSummary,
  truncationSummary,
} from '../../core/api-lead/compaction.js';
import type { LeadToolClient } from '../ports/api-lead.js';
import type { RouterReply, RouterRequest } from '../llm/router.js';

export interface CompactDeps {
  tools: LeadToolClient;
  model: { complete(req: RouterRequest): Promise<RouterReply> };
}

export interface Compacted {
  messages: ChatMessage[];
  /** How many messages the summary replaced. */
  replaced: number;
  /** `anthropic/claude-haiku-4-5`, or `plain truncation (why)` when no router answered. */
  by: string;
  /** Estimated tokens before and after. */
  before: number;
  after: number;
}

/**
 * The compacted conversation, or undefined when there is nothing older than the kept tail to compact.
 * Never throws for a tool or router failure: the summary falls back to truncation, the workers' part is left out.
 */
export async function compactConversation(
  d: CompactDeps,
  c: { system: string; tools: readonly ChatTool[]; messages: readonly ChatMessage[]; window: number; before: number },
): Promise<Compacted | undefined> {
  const cut = compactionCut(c.messages);
  if (cut === undefined) return undefined;
  const older = c.messages.slice(1, cut);
  let summary: string;
  let by: string;
  try {
    const r = await d.model.complete({
      purpose: 'compacting the API lead conversation',
      system: SUMMARY_SYSTEM,
      // The summarizer gets at most about half the lead's window (and never more than 200 000 characters).
      prompt: transcriptForSummary(older, Math.min(200_000, c.window * 2)),
      maxTokens: 1500,
    });
    if (!r.text.trim()) throw new Error('the summary came back empty');
    summary = r.text;
    by = `${r.provider}/${r.model}`;
  } catch (e) {
    summary = truncationSummary(older);
    by = `plain truncation: ${(e as Error).message.slice(0, 200)}`;
  }
  const names = new Set(c.tools.map((t) => t.name));
  const tool = (name: string): Promise<string | undefined> =>
    names.has(name)
      ? d.tools.call(name, {}).then(
          (r) => (r.isError ? undefined : r.text),
          () => undefined,
        )
      : Promise.resolve(undefined);
  await tool('compact_session');
  const workers = await tool('list_workers');
  const messages: ChatMessage[] = [
    c.messages[0]!,
    { role: 'user', text: compactionMessage({ replaced: older.length, summary, by, workers }) },
    ...c.messages.slice(cut),
  ];
  return {
    messages,
    replaced: older.length,
    by,
    before: c.before,
    after: estimateTokens(c.system, c.tools, messages),
  };
}
