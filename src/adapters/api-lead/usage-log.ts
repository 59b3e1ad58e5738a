/**
 * `usage.jsonl` in the API lead's state dir: one line per model call with the tokens the provider
 * reported. The usage collector reads it like any agent's usage file (source `api-lead`).
 */
import { appendText } from '../system/files.js';
import type { ChatUsage } from '../../core/llm/chat.js';

/** One model call's usage line. */
export interface ApiLeadUsageLine extends ChatUsage {
  key: string;
  ts: number;
  provider: string;
  model: string;
}

export { API_LEAD_USAGE_FILE } from '../../core/usage/api-lead-usage.js';

/** Appends `line` to `file` (0600). */
export function appendUsage(file: string, line: ApiLeadUsageLine): void {
  appendText(file, `${JSON.stringify(line)}\n`);
}
