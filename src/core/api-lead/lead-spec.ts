/**
 * The API lead's name on the command line and in config: `api`, `api:PROVIDER` or `api:PROVIDER/MODEL`
 * (the router's providers; MODEL is passed as given). Pure.
 */
import { PROVIDER_NAMES, type ProviderName } from '../llm/router-providers.js';

/** The agent name under which the API lead is registered. */
export const API_LEAD = 'api';

export interface ApiLeadSpec {
  /** The provider to try first (the others follow as fallback); absent: the router's order. */
  provider?: ProviderName;
  /** The model for that provider; absent: the provider's default. */
  model?: string;
}

/** True when `name` names the API lead (`api` or `api:...`). */
export function isApiLeadName(name: string): boolean {
  return name === API_LEAD || name.startsWith(`${API_LEAD}:`);
}

/**
 * The spec in `name`, or an error message saying what is wrong and the accepted forms. `name` must be an
 * API lead name (isApiLeadName).
 */
export function parseApiLeadName(name: string): ApiLeadSpec | { error: string } {
  const rest = name.slice(API_LEAD.length + 1);
  if (name === API_LEAD || rest === '') return {};
  const slash = rest.indexOf('/');
  const provider = slash < 0 ? rest : rest.slice(0, slash);
  const model = slash < 0 ? undefined : rest.slice(slash + 1);
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider))
    return {
      error: `unknown provider "${provider}" in "${name}"; use api, api:PROVIDER or api:PROVIDER/MODEL with PROVIDER one of ${PROVIDER_NAMES.join(', ')}`,
    };
  if (model !== undefined && !/^[\w.:@/-]{1,200}$/.test(model))
    return { error: `the model in "${name}" must be a model id (letters, digits, . _ - : @ /)` };
  return { provider: provider as ProviderName, ...(model ? { model } : {}) };
}
