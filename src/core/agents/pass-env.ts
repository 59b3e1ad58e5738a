/**
 * Which of the caller's environment variables crewmux writes into a pane's 0600 env file or the lead's
 * launch script (docs/security/secrets.md "Environment files"). Everything else a pane gets from the
 * tmux server it runs in, never from a file: an allow-list, so an unrelated secret of the user's shell
 * (AWS_SECRET_ACCESS_KEY, DATABASE_URL) never lands on disk. Pure: the environment is passed in.
 */

/**
 * Names (`NAME`) and prefixes (`PREFIX_*`) passed through: the process basics an agent or a verify
 * command needs even when the tmux server was started from another shell, git's identity, and the
 * credentials and endpoints of the providers the registry's agents and crewmux's router talk to.
 */
export const PASS_ENV: readonly string[] = [
  // process basics
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'COLORTERM',
  'NO_COLOR',
  'DO_NOT_TRACK',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CACHE_HOME',
  'XDG_STATE_HOME',
  'XDG_RUNTIME_DIR',
  // network: proxies and CA bundles
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  // git: identity and config location
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  // agents' and the router's providers: keys, base URLs, models, switches
  'ANTHROPIC_*',
  'CLAUDE_*',
  'OPENAI_*',
  'AZURE_OPENAI_*',
  'GEMINI_*',
  'GOOGLE_API_KEY',
  'GOOGLE_GEMINI_BASE_URL',
  'GOOGLE_GENAI_*',
  'GOOGLE_CLOUD_PROJECT',
  'GOOGLE_CLOUD_LOCATION',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CODEX_*',
  'CURSOR_API_KEY',
  'AMP_*',
  'GH_TOKEN',
  'GITHUB_TOKEN',
  'COPILOT_*',
  'OPENROUTER_*',
  'GROQ_*',
  'CEREBRAS_*',
  'DEEPSEEK_*',
  'MISTRAL_*',
  'XAI_*',
  'DASHSCOPE_*',
  'QWEN_*',
  'OLLAMA_*',
  'AIDER_*',
  'OPENCODE_*',
  'KILO_*',
  'CRUSH_*',
  'BRAVE_API_KEY',
  'BRAVE_SEARCH_API_KEY',
];

/** The env var naming extra names or `PREFIX_*` patterns to pass through (comma or space separated). */
export const PASS_ENV_VAR = 'CREWMUX_PASS_ENV';

/** True when `name` is `pattern`, or starts with its prefix when `pattern` ends in `*`. */
export function matchesEnvPattern(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** PASS_ENV plus the patterns listed in `extra` (CREWMUX_PASS_ENV's value; blank entries ignored). */
export function passEnvPatterns(extra: string | undefined): string[] {
  return [...PASS_ENV, ...(extra ?? '').split(/[\s,]+/).filter((p) => p && p !== '*')];
}

/** True when variable `name` may be written to a pane's env file under `patterns`. */
export function passesEnv(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesEnvPattern(name, p));
}
