/** Lines of a Codex rollout file (CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl), as the usage readers parse them. */

/** One rollout line: `{type, payload}`. */
export const rolloutLine = (type: string, payload: unknown): string => JSON.stringify({ type, payload }) + '\n';

/** The rollout's first lines: the session's working directory, then its model. */
export const rolloutHead = (cwd: string, model = 'gpt-5-codex'): string =>
  rolloutLine('session_meta', { cwd }) + rolloutLine('turn_context', { model });

/** A turn's token_count event: `input` tokens in and 7 out, `total` so far; `extra` adds fields (rate_limits). */
export const tokenCountLine = (input: number, total: number, extra: Record<string, unknown> = {}): string =>
  rolloutLine('event_msg', {
    type: 'token_count',
    info: { total_token_usage: { total_tokens: total }, last_token_usage: { input_tokens: input, output_tokens: 7 } },
    ...extra,
  });
