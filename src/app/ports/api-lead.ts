/** The API lead's ports: the session's MCP server as its tool client, and where its conversation is kept. */
import type { ChatMessage } from '../../core/llm/chat.js';
import type { McpToolDef } from '../../core/api-lead/tool-schema.js';

/** crewmux's lead tools, reached as an MCP client (the same server and token a CLI lead gets). */
export interface LeadToolClient {
  list(): Promise<McpToolDef[]>;
  /** A tool's answer as text; `isError` when the server flagged it. Rejects only when the server is unreachable. */
  call(name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
}

/** The conversation, message by message, kept across crashes (adapters/api-lead/conversation-store.ts). */
export interface ConversationLog {
  /** Every message so far, oldest first. */
  /** The conversation as the model sees it, oldest first: since the last compaction, its messages then the newer ones. */
  load(): ChatMessage[];
  append(m: ChatMessage): void;
  /** Records a compaction: from now on load() starts from `messages`; the earlier rows stay for the record. */
  compact(messages: ChatMessage[]): void;
}
