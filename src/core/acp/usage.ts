/**
 * The usage an ACP agent reports on the wire, for agents whose entry says so (`AcpProfile.usage`). Qwen Code 0.24.4
 * sends, after each model call of a turn (its own and its subagents'), a `session/update` (an empty
 * `agent_message_chunk`) whose `_meta.usage` holds that call's tokens: `inputTokens` (the prompt, cached tokens
 * included), `outputTokens`, `thoughtTokens`, `cachedReadTokens`, `totalTokens`. The model is the session's, from
 * `session/new`'s `models` (ACP's session model state: `currentModelId` among `availableModels`). crewmux's ACP
 * pane process writes one line per call to ACP_USAGE_FILE in the worker's state dir, in the API lead's usage line
 * format (core/usage/api-lead-usage.ts reads both). Pure.
 */
import { z } from 'zod';
import { count } from '../usage/usage.js';
import type { SessionUpdate } from './protocol.js';

/** The file (in an ACP worker's state dir) the pane process appends the agent's reported calls to. */
export const ACP_USAGE_FILE = 'acp-usage.jsonl';

/** One model call as the pane process writes it (without `ts`, which the writer adds). */
export interface AcpUsageLine {
  /** `<ACP session id>#<n>`: the n-th reported call of that session (a restarted worker opens a new session). */
  key: string;
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

const MetaUsageSchema = z
  .object({
    _meta: z
      .object({
        usage: z
          .object({
            inputTokens: z.unknown(),
            outputTokens: z.unknown(),
            thoughtTokens: z.unknown().optional(),
            cachedReadTokens: z.unknown().optional(),
            cachedWriteTokens: z.unknown().optional(),
          })
          .loose(),
      })
      .loose(),
  })
  .loose();

/**
 * The tokens of the call `update` reports, or undefined when it reports none. Input excludes cache reads (as every
 * usage record: core/usage/usage.ts); thoughts are output too (output = outputTokens + thoughtTokens, as Qwen's chat
 * recording is read: core/usage/qwen-chat.ts).
 */
export function acpCallUsage(update: SessionUpdate): Omit<AcpUsageLine, 'key' | 'model'> | undefined {
  const m = MetaUsageSchema.safeParse(update);
  if (!m.success) return undefined;
  const u = m.data._meta.usage;
  const cacheRead = count(u.cachedReadTokens);
  const reasoning = count(u.thoughtTokens);
  return {
    input: Math.max(0, count(u.inputTokens) - cacheRead),
    output: count(u.outputTokens) + reasoning,
    cacheRead,
    cacheWrite: count(u.cachedWriteTokens),
    reasoning,
  };
}

const SessionModelsSchema = z
  .object({
    models: z
      .object({
        currentModelId: z.string().min(1),
        availableModels: z.array(z.object({ modelId: z.string(), name: z.string().nullish() }).loose()).nullish(),
      })
      .loose(),
  })
  .loose();

/**
 * The model of a new session from `session/new`'s result: the display name of `currentModelId` among
 * `availableModels` (Qwen: id `$runtime|openai|fake-model(openai)`, name `fake-model`, the name its chat recording
 * and the provider use), else the id itself; undefined when the agent does not say.
 */
export function sessionModel(newSessionResult: unknown): string | undefined {
  const r = SessionModelsSchema.safeParse(newSessionResult);
  if (!r.success) return undefined;
  const { currentModelId, availableModels } = r.data.models;
  return availableModels?.find((m) => m.modelId === currentModelId)?.name || currentModelId;
}
