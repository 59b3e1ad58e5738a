/**
 * Short summaries for the lead's context and the run report: through the router when a provider key
 * is configured, else (or when every provider fails) plain truncation, and the result says which.
 */

/** The part of the router (app/llm/router.ts) summaries need. */
export interface TextCompleter {
  configured(): boolean;
  complete(req: {
    system: string;
    prompt: string;
    maxTokens?: number;
    purpose: string;
  }): Promise<{ text: string; provider: string; model: string }>;
}

export interface Summary {
  text: string;
  /** `router` when a model wrote it, `truncation` otherwise. */
  method: 'router' | 'truncation';
  /** Who wrote it (`groq/llama-3.3-70b`) or why truncation was used. */
  note: string;
}

/** Keeps the head and the tail of `text` within `maxChars`, marking the cut. */
export function truncateMiddle(text: string, maxChars: number): string {
  const t = text.trim();
  if (t.length <= maxChars) return t;
  const head = Math.floor(maxChars * 0.4);
  const tail = maxChars - head - 20;
  return `${t.slice(0, head).trimEnd()}\n[… ${t.length - head - tail} chars cut …]\n${t.slice(-tail).trimStart()}`;
}

/**
 * Summarises `text` for `purpose` in about `maxChars` characters. With a configured router the model
 * gets `instruction` as its system prompt; on any router failure, or with none, `fallback` (default:
 * the text) is truncated and `note` says why. Never throws.
 */
export async function summarize(
  router: TextCompleter | undefined,
  req: { purpose: string; instruction: string; text: string; maxChars: number; timeoutMs?: number; fallback?: string },
): Promise<Summary> {
  const plain = () => truncateMiddle(req.fallback ?? req.text, req.maxChars);
  if (!router?.configured()) {
    return { text: plain(), method: 'truncation', note: 'plain truncation: no router provider key is configured' };
  }
  try {
    const call = router.complete({
      system: req.instruction,
      prompt: req.text,
      maxTokens: Math.max(64, Math.ceil(req.maxChars / 3)),
      purpose: req.purpose,
    });
    const timeout = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () => reject(new Error(`no answer within ${req.timeoutMs ?? 45_000} ms`)),
        req.timeoutMs ?? 45_000,
      );
      t.unref();
    });
    const r = await Promise.race([call, timeout]);
    const text = r.text.trim();
    if (!text) throw new Error(`${r.provider} answered with empty text`);
    return { text: truncateMiddle(text, req.maxChars * 2), method: 'router', note: `${r.provider}/${r.model}` };
  } catch (e) {
    return {
      text: plain(),
      method: 'truncation',
      note: `plain truncation: the router failed (${(e as Error).message.split('\n')[0]})`,
    };
  }
}

export const COMPACT_INSTRUCTION =
  "You compress a coding worker's final report and terminal output for a lead engineer who must decide what to do next. " +
  'Keep: what was done, files changed, tests run and their result, open problems, and anything the worker asked. Drop: progress chatter, ' +
  'tool noise, repeated lines. Plain text, at most a short paragraph and a few bullet lines. Do not invent anything.';

export const REPORT_INSTRUCTION =
  'You summarise the outcome of a multi-agent coding run for the developer who started it, in two to four sentences: ' +
  'whether the goal was met, what changed (by worker), what verify showed, and what is left. Plain text. Do not invent anything.';

export const RECAP_INSTRUCTION =
  "You shorten a coding worker's final report to one or two sentences for a lead engineer resuming a session: " +
  'what was done, its result, and any open problem. Plain text, one paragraph. Do not invent anything.';
