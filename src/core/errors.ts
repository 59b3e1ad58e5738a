/**
 * The error vocabulary of crewmux. Every user-facing failure has a stable code listed here and in
 * docs/errors.md (a unit test keeps the two in step). Three kinds, after changesets:
 * - UserError: bad input or environment; one line plus a hint naming the next command. Exit code by kind.
 * - ExitError: the message was already printed; carries only the exit code.
 * - anything else is internal: printed with its stack and versions.
 */

/** Exit codes of `crewmux run --wait` and of every command. */
export const EXIT = {
  ok: 0,
  failed: 1,
  timeout: 2,
  /** The run ended at its budget (same code as a timeout: a limit the user set was reached). */
  budget: 2,
  preflight: 3,
  usage: 64,
} as const;

/** code -> [exit code, what happened (template), how to fix]. Keep docs/errors.md in step. */
export const ERROR_CODES = {
  E_NOT_GIT_REPO: [
    EXIT.preflight,
    'The current directory is not inside a git repository.',
    'cd into your repository, or run `git init` and commit once.',
  ],
  E_NO_COMMITS: [
    EXIT.preflight,
    'The repository has no commits yet, so there is nothing to branch from.',
    'Commit once: `git add -A && git commit -m init`.',
  ],
  E_TMUX_MISSING: [
    EXIT.preflight,
    'tmux was not found on PATH.',
    'Install tmux >= 3.2 (`apt-get install tmux` or `brew install tmux`).',
  ],
  E_TMUX_OLD: [EXIT.preflight, 'tmux is older than 3.2.', 'Upgrade tmux to 3.2 or newer.'],
  E_GIT_MISSING: [EXIT.preflight, 'git was not found on PATH.', 'Install git (`apt-get install git`).'],
  E_NO_AGENT: [
    EXIT.preflight,
    'No usable agent CLI was found.',
    'Install one (`crewmux detect` lists what is known) or declare one under "agents" in .crewmux/config.json.',
  ],
  E_UNKNOWN_AGENT: [
    EXIT.preflight,
    'Unknown agent.',
    'Run `crewmux detect` to see the agents crewmux knows, or add it under "agents" in .crewmux/config.json.',
  ],
  E_AGENT_UNAVAILABLE: [
    EXIT.preflight,
    'The agent is known but its command is not installed.',
    'Install it, or pick another with --lead / --agents.',
  ],
  E_LEAD_NO_MCP: [
    EXIT.preflight,
    'This agent cannot lead: it has no MCP client.',
    'Pick a lead with an MCP client (`crewmux detect` shows which can lead).',
  ],
  E_API_LEAD_NO_PROVIDER: [
    EXIT.preflight,
    'The API lead has no model provider: no provider key is set (or the router is off).',
    'Set a provider key (ANTHROPIC_API_KEY, GEMINI_API_KEY, GROQ_API_KEY, CEREBRAS_API_KEY or OPENROUTER_API_KEY), or pick a CLI lead with --lead.',
  ],
  E_GOAL_MISSING: [EXIT.usage, 'No goal was given.', 'Pass --goal "...", --goal-file FILE or --interactive.'],
  E_GOAL_FILE: [EXIT.preflight, 'The goal file cannot be read.', 'Check the path and its permissions.'],
  E_GOAL_TOO_LARGE: [
    EXIT.preflight,
    'The goal is larger than 64 KB.',
    'Shorten the goal; put long material in .crewmux/PROJECT.md, which the lead reads.',
  ],
  E_GOAL_EMPTY: [EXIT.preflight, 'The goal is empty.', 'Give a goal with some text.'],
  E_TASK_MISSING: [
    EXIT.usage,
    'No task was given to `crewmux manual`, or it is empty.',
    'Pass the task: `crewmux manual --task "..."` (or as the first argument).',
  ],
  E_TASK_TOO_LARGE: [
    EXIT.preflight,
    'The task is larger than 256 KB.',
    'Shorten the task; put long material in a file in the repository and name it in the task.',
  ],
  E_CONFIG_INVALID: [
    EXIT.preflight,
    'A config file is invalid.',
    'Fix the key named above, or run `crewmux init` to write a fresh .crewmux/config.json.',
  ],
  E_CONFIG_UNREADABLE: [
    EXIT.preflight,
    'A config file is not valid JSON.',
    'Fix the JSON syntax at the position named above.',
  ],
  E_REPO_CONFIG_UNTRUSTED: [
    EXIT.preflight,
    "The repository's crewmux config (.crewmux/config.json, hooks.json, PROJECT.md's How to verify) runs commands and is not trusted, or changed since it was trusted.",
    'Review it with `crewmux trust --show`, then `crewmux trust` (or pass --trust-repo-config for this run only).',
  ],
  E_RUNTIME_UNKNOWN: [
    EXIT.failed,
    'The worker runtime named is not configured.',
    'Use "local", or declare it in config.json: "runtimes": {"NAME": {"exec": "/path/to/script"}} (README#worker-runtimes).',
  ],
  E_RUNTIME_SCRIPT: [
    EXIT.failed,
    'A runtime script (`exec:`) failed or answered something that is not the expected JSON.',
    'Run it by hand with the same op and input (`echo \'{"id":"..."}\' | SCRIPT is-running`) and fix what its stderr says; docs/runtimes.md has the protocol.',
  ],
  E_RUNTIME_UNSUPPORTED: [
    EXIT.failed,
    'The worker runtime does not support this operation (its script exited 2 for it).',
    'Use a runtime that supports it (`local` supports every operation), or implement the op in the script.',
  ],
  E_NODE_REF_REFUSED: [
    EXIT.failed,
    "A node offered, or a worker asked for, a git ref outside its worker's prefix refs/heads/crewmux/<sid>/<worker>-*; it was not fetched.",
    'Nothing reached this repository. Look at the node (`crewmux node check NAME`): its worker pushed a branch it must not.',
  ],
  E_NODE_GIT: [
    EXIT.failed,
    "Moving a worker's code to or from a node with git failed.",
    "Run `crewmux node check NAME`; git's words in the message say whether the link, the node's repository or a non-fast-forward branch is the cause.",
  ],
  E_SESSION_NOT_FOUND: [EXIT.failed, 'No such session.', 'Run `crewmux sessions` to list sessions.'],
  E_NO_SESSIONS: [
    EXIT.failed,
    'There are no crewmux sessions yet.',
    'Start one with `crewmux run --goal "..."` or try `crewmux demo`.',
  ],
  E_SESSION_ENDED: [
    EXIT.failed,
    'The session has already ended.',
    'See its result with `crewmux status SID`; start a new run for more work.',
  ],
  E_SESSION_LIVE: [
    EXIT.failed,
    'The session is still running.',
    'Attach to it with `crewmux attach SID`, or stop it with `crewmux stop SID`.',
  ],
  E_SESSION_NOT_LIVE: [
    EXIT.failed,
    'The session has no live tmux session to attach to.',
    'See its result with `crewmux status SID`.',
  ],
  E_SUPERVISOR_LOST: [
    EXIT.failed,
    'The supervisor of this run stopped without ending the goal.',
    'Look at `crewmux status SID`; the events name the last thing it did.',
  ],
  E_START_FAILED: [
    EXIT.failed,
    'The run could not be started.',
    'Read the cause above; the message lists anything crewmux made for the run and could not remove.',
  ],
  E_BAD_FLAG: [EXIT.usage, 'A flag has a bad value.', 'Run `crewmux COMMAND --help`.'],
  E_UNSAFE_PATH: [
    EXIT.failed,
    'A path where crewmux keeps a secret is a symbolic link, not a regular file, or belongs to another user.',
    'Look at the path named above (ls -l), remove it, and run the command again.',
  ],
  E_DIR_NOT_WRITABLE: [
    EXIT.preflight,
    'A crewmux directory is not writable.',
    'Fix its permissions or point XDG_DATA_HOME / XDG_RUNTIME_DIR elsewhere.',
  ],
  E_SKILL_MANIFEST: [
    EXIT.failed,
    'A skill folder has a missing or invalid skill.toml or skill.md.',
    'Fix the key named above; docs/skills.md describes skill.toml.',
  ],
  E_SKILL_NAME: [
    EXIT.usage,
    'A skill name is invalid.',
    'Use 1-64 lowercase letters, digits, dash or underscore, starting with a letter or digit.',
  ],
  E_SKILL_NOT_FOUND: [EXIT.failed, 'No such skill.', 'Run `crewmux skill list` to see installed skills.'],
  E_SKILL_EXISTS: [
    EXIT.failed,
    'A skill with this name is already installed there.',
    'Remove it first (`crewmux skill remove NAME`) or pass --force to replace it.',
  ],
  E_SKILL_SOURCE: [
    EXIT.failed,
    'The skill source cannot be read or cloned.',
    'Check the path or URL; a folder must hold skill.toml (or subfolders that do).',
  ],
  E_SKILL_UNSAFE: [
    EXIT.failed,
    'The skill folder holds an unsafe entry (a path leaving the folder, an escaping or directory symlink, or a special file).',
    'Remove the entry named above from the skill and try again.',
  ],
  E_SKILL_TOO_LARGE: [
    EXIT.failed,
    'The skill is larger than crewmux accepts.',
    'Keep a skill under the limits in docs/skills.md (files, bytes, skill.md size).',
  ],
  E_SKILL_UNSIGNED: [
    EXIT.failed,
    'The skill is not signed, and signed skills are required.',
    'Ask its author for a signed copy, or sign it yourself: `crewmux skill sign DIR` with a trusted key.',
  ],
  E_SKILL_UNTRUSTED: [
    EXIT.failed,
    'The skill is signed by a key that is not trusted, and trusted signatures are required.',
    'If you trust its author, run `crewmux skill trust PUBKEY --name NAME`.',
  ],
  E_SKILL_BAD_SIGNATURE: [
    EXIT.failed,
    'The skill signature does not match its files: something changed after signing.',
    'Reinstall the skill from its source, or re-sign it: `crewmux skill sign DIR`.',
  ],
  E_SKILL_KEY: [
    EXIT.failed,
    'A signing key or public key is missing or invalid.',
    'Create a key with `crewmux skill keygen`; a public key is 44 characters of base64.',
  ],
  E_SKILL_KEY_EXISTS: [
    EXIT.failed,
    'A signing key already exists at that path.',
    'Use it, pick another path with --out, or pass --force to replace it.',
  ],
  E_SKILL_TRUST_STORE: [
    EXIT.failed,
    'The trusted keys file is invalid.',
    'Fix or delete trusted-keys.json in the crewmux config directory, then trust keys again.',
  ],
  E_SHIM_USAGE: [
    EXIT.usage,
    'crewmux-shim needs an agent command to run.',
    'Run `crewmux-shim AGENT [ARGS...]`, e.g. `crewmux-shim claude`.',
  ],
  E_SHIM_SPAWN: [
    EXIT.failed,
    'crewmux-shim cannot start the agent command.',
    'Check that the command is installed and on PATH (`which AGENT`).',
  ],
  E_SHIM_SOCKET: [
    EXIT.failed,
    'crewmux-shim cannot publish its socket or card.',
    'Make the runtime dir writable, or point CREWMUX_RUNTIME_DIR at a short writable path (sockets need < 100 bytes).',
  ],
  E_BUDGET_EXCEEDED: [
    EXIT.budget,
    'The run (or a worker) reached its budget: tokens, dollars or quota.',
    'Resume with a higher budget: `crewmux resume SID --budget-tokens N` or `--budget-usd N` (config "budget" sets the others).',
  ],
  E_TICKET: [
    EXIT.failed,
    'That question ticket is unknown, already answered, or the answer is empty.',
    'Run `crewmux answer` to list the open tickets, then `crewmux answer TICKET "text"`.',
  ],
  E_APPROVAL: [
    EXIT.failed,
    'That worker has no merge waiting for approval, or the rejection has no reason.',
    'Run `crewmux approve` to list the merges waiting, then `crewmux approve WORKER` or `crewmux reject WORKER "why"`.',
  ],
  E_DASHBOARD_PORT: [
    EXIT.failed,
    'The dashboard cannot listen on that port.',
    'Pick another with --port N, or omit --port for a random free port.',
  ],
  E_DASHBOARD_START: [
    EXIT.failed,
    'The background dashboard for this run did not start.',
    'Read dashboard.log in the session dir, or run `crewmux dashboard` yourself; the run itself goes on.',
  ],
  E_NODE_BAD_HOST: [
    EXIT.usage,
    'The node host is not valid: empty, starting with "-", holding spaces, or with a bad user or port.',
    'Give `[user@]host[:port]`, e.g. `crewmux node add gpu1 me@gpu1.lan:2222`.',
  ],
  E_NODE_BAD_NAME: [
    EXIT.usage,
    'The node name is not valid.',
    'Use lowercase letters, digits, "-" and "_" (at most 32), e.g. `crewmux node add gpu1 HOST`.',
  ],
  E_NODE_EXISTS: [
    EXIT.failed,
    'A node of that name is already configured.',
    'Pick another name, or remove it first: `crewmux node remove NAME`.',
  ],
  E_NODE_UNKNOWN: [
    EXIT.failed,
    'No node of that name is configured.',
    'Run `crewmux node list` to see the nodes, or add one: `crewmux node add NAME [user@]host[:port]`.',
  ],
  E_NODE_NO_CREWMUX: [
    EXIT.failed,
    'crewmux is not installed on the node: `crewmux` was not found by its non-interactive ssh shell.',
    'Install the same crewmux there (`npm install -g crewmux@VERSION`) on the PATH of `ssh HOST crewmux --version`, or give its path: `crewmux node add NAME HOST --crewmux-path /path/to/crewmux`.',
  ],
  E_NODE_VERSION: [
    EXIT.failed,
    'The node runs another crewmux version than this host.',
    'Install the same version on both (`npm install -g crewmux@VERSION` on the node), then `crewmux node check NAME`.',
  ],
  E_NODE_HOST_KEY_UNKNOWN: [
    EXIT.failed,
    "The node's ssh host key is not in known_hosts; crewmux never accepts an unknown key.",
    "Connect once yourself and check the fingerprint with the host's admin: `ssh [user@]host true`, then retry.",
  ],
  E_NODE_HOST_KEY_CHANGED: [
    EXIT.failed,
    "The node's ssh host key differs from the one in known_hosts: the host was reinstalled, or someone is in between.",
    "Verify the new key with the host's admin, then `ssh-keygen -R HOST` and `ssh [user@]host true` once.",
  ],
  E_NODE_AUTH: [
    EXIT.failed,
    'The node refused the ssh login: no key it accepts (crewmux never types a password).',
    'Make a key login work without prompts: `ssh -o BatchMode=yes [user@]host true` (ssh-copy-id, ssh-agent, or IdentityFile in ~/.ssh/config).',
  ],
  E_NODE_UNREACHABLE: [
    EXIT.failed,
    'The node cannot be reached over ssh: unknown host name, no route, connection refused or timed out.',
    'Check the host, the port, the network and that sshd runs there: `ssh -v [user@]host true`.',
  ],
  E_NODE_PROTOCOL: [
    EXIT.failed,
    'The node answered, but not as `crewmux node serve` does.',
    'Run `ssh [user@]host crewmux node serve --stdio` and look at what it prints: a login script writing to stdout breaks the channel.',
  ],
  E_SSH_COMMAND: [
    EXIT.failed,
    'The ssh command cannot be used: CREWMUX_SSH_COMMAND is empty or has an unbalanced quote, or ssh is not installed.',
    "Install OpenSSH's client, and set CREWMUX_SSH_COMMAND to an ssh command line (e.g. `ssh -F /home/me/.ssh/crewmux_config`) or unset it.",
  ],
  E_NODE_CONTROL_PATH: [
    EXIT.failed,
    "The ssh control socket's path would be too long for a Unix socket.",
    'Point CREWMUX_RUNTIME_DIR (or XDG_RUNTIME_DIR) at a shorter directory.',
  ],
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A failure the user can fix; `message` is one line, `hint` the next thing to do. */
export class UserError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly exitCode: number;
  constructor(code: ErrorCode, message?: string, hint?: string) {
    const [exitCode, what, fix] = ERROR_CODES[code];
    super(message ?? what);
    this.name = 'UserError';
    this.code = code;
    this.hint = hint ?? fix;
    this.exitCode = exitCode;
  }
}

/** The message was already printed; only the exit code remains to be applied. */
export class ExitError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitError';
    this.exitCode = exitCode;
  }
}

/** A domain failure inside the running session, answered to an agent as an `isError` MCP result. */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
