/**
 * Redaction of secrets in text that quotes a command or its output (ExecError messages, and from there
 * events, the dashboard, the run report and the lead's transcript). Pure and conservative: it hides
 * values of secret-named environment assignments (`GITHUB_TOKEN=...` -> `GITHUB_TOKEN=<redacted>`) and
 * anything shaped like a token, and leaves ordinary words, paths and 40-character commit ids alone.
 */

export const REDACTED = '<redacted>';

/** Names of variables whose value is a secret: `*_KEY`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ... */
const SECRET_NAME =
  /(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|AUTH|COOKIE|PAT)$|TOKEN|SECRET|PASSWORD|API_?KEY/i;

/** Known token shapes, each replaced whole. */
const TOKEN_SHAPES: RegExp[] = [
  // Vendor prefixes: OpenAI/Anthropic `sk-...`, GitHub `ghp_`/`gho_`/`ghs_`/`ghu_`/`ghr_`/`github_pat_`,
  // Slack `xox?-`, Google `AIza...`, AWS access key ids, GitLab `glpat-`, npm `npm_`, Hugging Face `hf_`.
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{10,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{10,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{6,}/g,
  /\bAIza[A-Za-z0-9_-]{20,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bglpat-[A-Za-z0-9_-]{10,}/g,
  /\bnpm_[A-Za-z0-9]{20,}/g,
  /\bhf_[A-Za-z0-9]{20,}/g,
];

/** `Authorization: Bearer x`, `Bearer x`, `token=x` in a URL query. */
const BEARER = /\b(Bearer|Basic|Token)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const QUERY_SECRET = /([?&](?:token|key|api_key|apikey|access_token|secret|password)=)[^&\s'"]+/gi;

/** A hex run longer than a SHA-1 commit id (crewmux's own tokens are 48 hex characters). */
const LONG_HEX = /\b[0-9a-fA-F]{41,}\b/g;

/** A base64/base64url run of 32+ characters mixing upper case, lower case and digits (no `/`: paths stay). */
const LONG_B64 = /(?<![A-Za-z0-9+_-])[A-Za-z0-9+_-]{32,}={0,2}(?![A-Za-z0-9+_-])/g;
const mixed = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);

/** `NAME=value` as one word (argv element, or shell-style assignment): the name and the value. */
const ASSIGNMENT = /(^|[\s'"(,;])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s'"]*)/g;

/** True when `value` on its own has the shape of a token (any of the patterns above, whole or in part). */
export function looksLikeSecret(value: string): boolean {
  return redactTokens(value) !== value;
}

function redactTokens(text: string): string {
  let out = text;
  for (const re of TOKEN_SHAPES) out = out.replace(re, REDACTED);
  out = out.replace(BEARER, (_m, kind: string, space: string) => `${kind}${space}${REDACTED}`);
  out = out.replace(QUERY_SECRET, (_m, key: string) => `${key}${REDACTED}`);
  out = out.replace(LONG_HEX, REDACTED);
  out = out.replace(LONG_B64, (m) => (mixed(m) ? REDACTED : m));
  return out;
}

/**
 * `text` with secrets replaced by `<redacted>`: every `known` value (at least 6 characters; e.g. the
 * session's tokens), the value of every `NAME=value` whose name is secret-ish or whose value looks like
 * a token, and every token-shaped string. Idempotent; never throws.
 */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const k of known) if (k.length >= 6) out = out.split(k).join(REDACTED);
  out = out.replace(ASSIGNMENT, (m, lead: string, name: string, value: string) => {
    const bare = value.replace(/^(["'])([\s\S]*)\1$/, '$2');
    if (bare === '' || bare === REDACTED) return m;
    return SECRET_NAME.test(name) || looksLikeSecret(bare) ? `${lead}${name}=${REDACTED}` : m;
  });
  return redactTokens(out);
}
