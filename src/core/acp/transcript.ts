/**
 * An ACP worker's pane as a readable transcript: each `session/update` becomes text to print. The agent's message
 * streams as it comes; its thoughts are dimmed; a tool call is one line when it starts (`▸ title`) and one when it
 * ends (`✓`, `✗`); a plan is its entries. Every text from the agent passes escapeControls first (it never acts on
 * the terminal). Kinds crewmux does not show (available commands, modes, usage) print nothing. Pure.
 */
import { escapeControls } from '../text/terminal-text.js';
import type { SessionUpdate } from './protocol.js';

/** What the renderer remembers between updates: the stream being printed and each tool call's title. */
export interface TranscriptState {
  stream?: 'message' | 'thought' | 'user';
  titles: Map<string, string>;
}

export const newTranscript = (): TranscriptState => ({ titles: new Map() });

const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

const textOf = (content: unknown): string | undefined => {
  const c = content as { type?: unknown; text?: unknown } | undefined;
  return c && c.type === 'text' && typeof c.text === 'string' ? c.text : undefined;
};

/** Pane text for `update` (CRLF line ends, as a raw-mode terminal needs); `state` is updated. */
export function renderUpdate(state: TranscriptState, update: SessionUpdate): string {
  const u = update as Record<string, unknown>;
  const endStream = () => {
    const had = state.stream;
    state.stream = undefined;
    return had ? (had === 'thought' ? `${RESET}\r\n` : '\r\n') : '';
  };
  const stream = (kind: 'message' | 'thought' | 'user', text: string) => {
    const head = state.stream === kind ? '' : endStream() + (kind === 'thought' ? DIM : kind === 'user' ? '> ' : '');
    state.stream = kind;
    return head + crlf(escapeControls(text));
  };
  switch (update.sessionUpdate) {
    case 'agent_message_chunk':
    case 'agent_thought_chunk':
    case 'user_message_chunk': {
      const text = textOf(u.content);
      if (!text) return '';
      const kind =
        update.sessionUpdate === 'agent_message_chunk'
          ? 'message'
          : update.sessionUpdate === 'agent_thought_chunk'
            ? 'thought'
            : 'user';
      return stream(kind, text);
    }
    case 'tool_call':
    case 'tool_call_update': {
      const id = typeof u.toolCallId === 'string' ? u.toolCallId : '';
      const title = typeof u.title === 'string' && u.title ? u.title : (state.titles.get(id) ?? 'tool call');
      state.titles.set(id, title);
      const status = typeof u.status === 'string' ? u.status : undefined;
      const mark =
        status === 'completed' ? '✓' : status === 'failed' ? '✗' : update.sessionUpdate === 'tool_call' ? '▸' : '';
      if (!mark) return '';
      if (mark !== '▸') state.titles.delete(id);
      return `${endStream()}  ${mark} ${oneLine(title)}\r\n`;
    }
    case 'plan': {
      const entries = Array.isArray(u.entries) ? (u.entries as { content?: unknown; status?: unknown }[]) : [];
      const lines = entries.map(
        (e) =>
          `  ${e.status === 'completed' ? '[x]' : e.status === 'in_progress' ? '[~]' : '[ ]'} ${oneLine(typeof e.content === 'string' ? e.content : '')}`,
      );
      return lines.length ? `${endStream()}  plan:\r\n${lines.join('\r\n')}\r\n` : '';
    }
    default:
      return '';
  }
}

/** The end of a turn: closes an open stream and says why the turn stopped. */
export function renderStop(state: TranscriptState, stopReason: string): string {
  const end = state.stream ? (state.stream === 'thought' ? `${RESET}\r\n` : '\r\n') : '';
  state.stream = undefined;
  return `${end}${DIM}-- turn ended (${oneLine(stopReason)}); type a message for another turn${RESET}\r\n`;
}

/** Closes an open stream before crewmux prints a line of its own. */
export function closeStream(state: TranscriptState): string {
  const end = state.stream ? (state.stream === 'thought' ? `${RESET}\r\n` : '\r\n') : '';
  state.stream = undefined;
  return end;
}

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');
const oneLine = (s: string) =>
  escapeControls(s)
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 300);
