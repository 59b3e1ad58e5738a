/**
 * Whether an agent looks logged in, judged without running it or spending tokens: a key in the environment
 * or a credentials file under the user's HOME, as each agent's registry entry lists them (`auth`). Pure: the
 * caller passes a file reader. The answer names the variable or the file, never its value.
 */
import type { AgentProfile } from './profile.js';

export interface AuthStatus {
  agent: string;
  /** `unknown`: the registry lists no evidence crewmux can read for this agent. */
  state: 'logged_in' | 'not_logged_in' | 'unknown';
  /** Where the evidence is (`ANTHROPIC_API_KEY`, `~/.codex/auth.json`), or what was looked for. */
  detail: string;
}

/**
 * The login evidence of `profile` found in `env` or under `home` (`read` returns a file's text, undefined when it
 * is missing or unreadable). A `key` file entry counts only when the file is a JSON object holding that key.
 */
export function checkAgentAuth(
  profile: AgentProfile,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  read: (path: string) => string | undefined,
): AuthStatus {
  const auth = profile.auth;
  if (!auth || (!auth.env?.length && !auth.files?.length))
    return { agent: profile.name, state: 'unknown', detail: 'crewmux cannot check this agent without running it' };
  const key = (auth.env ?? []).find((k) => env[k]);
  if (key) return { agent: profile.name, state: 'logged_in', detail: `${key} is set` };
  for (const f of auth.files ?? []) {
    const text = read(`${home.replace(/\/+$/, '')}/${f.path}`);
    if (text === undefined || text.trim() === '') continue;
    if (f.key) {
      try {
        const json = JSON.parse(text) as unknown;
        if (!json || typeof json !== 'object' || !(f.key in json)) continue;
      } catch {
        continue;
      }
    }
    return { agent: profile.name, state: 'logged_in', detail: `~/${f.path}${f.key ? ` has ${f.key}` : ''}` };
  }
  const looked = [...(auth.env ?? []), ...(auth.files ?? []).map((f) => `~/${f.path}${f.key ? ` (${f.key})` : ''})`)];
  return { agent: profile.name, state: 'not_logged_in', detail: `none of ${looked.join(', ')}` };
}
