/**
 * API or subscription, from how an agent is authenticated: an agent whose registry entry names API-key
 * variables (`usage.apiKeyEnv`) is billed per token when one of them is set in the environment it gets;
 * otherwise it runs on the user's login (a plan), and its cost is what the calls would cost.
 */
import type { UsageBucket } from './usage.js';

/** The bucket of an agent whose API-key variables are `apiKeyEnv`, given the environment it inherits. */
export function usageBucket(
  apiKeyEnv: readonly string[] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): UsageBucket {
  return (apiKeyEnv ?? []).some((k) => (env[k] ?? '').trim() !== '') ? 'api' : 'subscription';
}
