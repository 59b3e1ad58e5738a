/**
 * What crewmux knows about an agent CLI, as data. Built-in entries live in src/core/agents/profiles/; custom
 * agents from config.json are turned into the same shape by `customAgentProfile`.
 */

import type { VerifiedRange } from './verified.js';

export type PromptMode = 'arg' | 'file' | 'type';
export type Role = 'lead' | 'worker';

/** In a LaunchSpec argv, this element is replaced by the prompt text (read from the prompt file). */
export const PROMPT_ARG = '\u0000crewmux:prompt\u0000';

export interface LaunchContext {
  role: Role;
  sessionId: string;
  workerId?: string;
  /** The agent's working directory (a worktree). */
  cwd: string;
  mcpUrl: string;
  mcpToken: string;
  /** Path of the `mcpServers` JSON file with the token as a header. */
  mcpConfigPath: string;
  promptFile: string;
  /** A directory crewmux owns for this agent (session-scoped config files go here). */
  stateDir: string;
  /** Tool timeout crewmux's blocking tools stay under, in seconds. */
  toolTimeoutS: number;
  /** The user's HOME, for seeding a crewmux-owned config dir from the user's auth files. */
  userHome?: string;
  /** The environment the agent inherits (read only; e.g. to pre-approve Claude's API key). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * argv of crewmux's question hook (node and dist/src/mcp/ask-hook.js), for workers of agents with a native question
   * hook (Claude Code's PreToolUse on AskUserQuestion); unset: no hook is installed.
   */
  askHook?: string[];
  /** The Node running crewmux, for crewmux's own helper scripts an agent runs (Claude Code's status line). */
  nodePath?: string;
  /**
   * The worker runs under crewmux's ACP pane process (core/acp/launch.ts): the agent asks its permissions over ACP and
   * crewmux's policy answers them (core/acp/permission.ts), so it keeps its own approvals on.
   */
  acp?: boolean;
}

export interface LaunchSpec {
  /** argv[0] is the command; PROMPT_ARG marks where the prompt goes in `arg` mode. */
  argv: string[];
  env: Record<string, string>;
  /** Files to write before launch (session-scoped configs); absolute paths. */
  files?: { path: string; content: string; mode?: number }[];
  /** User files copied before `files` are written, when `from` exists (auth seeding); absolute paths. */
  seed?: { from: string; to: string }[];
  prompt: PromptMode;
}

/** A dialog a launch could not rule out: when `match` shows in the pane, send `keys` (tmux key names). */
export interface DialogAnswer {
  match: string;
  keys: string[];
  why: string;
}

/** How crewmux's MCP server reaches the agent, for docs and `crewmux detect`. */
export type McpWiring = 'flag' | 'env' | 'config-file' | 'config-dir' | 'none';

export interface StatusMarkers {
  /** The agent idles at its input prompt. */
  ready?: string[];
  /** The agent is working. */
  busy?: string[];
  /** The agent asks the user something (a dialog or question). */
  waiting?: string[];
}

/** Why an agent cannot proceed: its credentials, its quota, or a screen crewmux cannot get past. */
export type BlockerKind = 'auth_required' | 'quota_exhausted' | 'blocked_dialog';

/**
 * A pane text that means the agent cannot work until a person acts: `match` is compared with the start of
 * a line near the bottom of the pane (after its box-drawing and bullet decoration), never with text in the
 * middle of a line; `fix` says what the user does about it.
 */
export interface BlockerPattern {
  kind: BlockerKind;
  match: string;
  fix: string;
}

export interface Capabilities {
  mcpClient: boolean;
  interactive: boolean;
  headless: boolean;
  resume: boolean;
}

/**
 * Where crewmux reads an agent's token counts (core/usage/, adapters/usage/): `claude-transcript` is the
 * transcript JSONL in the agent's crewmux-owned CLAUDE_CONFIG_DIR, `codex-rollout` the session rollout in
 * CODEX_HOME whose cwd is the agent's worktree, `gemini-chat` Gemini CLI's chat recording whose project is the
 * agent's worktree, `qwen-chat` Qwen Code's chat recording whose cwd is the worktree, `copilot-events` Copilot
 * CLI's session event log (`session.usage_record` lines) whose cwd is the worktree, `opencode-db` the
 * step-finish parts of OpenCode's sessions in that directory (its SQLite storage; Kilo Code's, a fork, is the same
 * schema: `db` names the file), `api-lead` the API lead's own usage.jsonl (one line per model call, as the provider
 * reported it); `pane` the agent's own usage line in its pane log (`pane`; approximate, the last resort for an agent
 * with no files); `none`: not read (yet).
 */
export type UsageFileSource =
  | 'claude-transcript'
  | 'codex-rollout'
  | 'gemini-chat'
  | 'qwen-chat'
  | 'copilot-events'
  | 'opencode-db'
  | 'api-lead'
  | 'pane'
  | 'none';

/**
 * An agent's own usage report in its pane (regular expression sources, so the entry stays data): `line` with named
 * groups `input`, `output` and optionally `cacheRead`, `cacheWrite`; `model` a line naming the model (group 1);
 * `inputIncludesCacheWrite` when the printed input counts the cache writes too.
 */
export interface PaneUsagePattern {
  line: string;
  model?: string;
  inputIncludesCacheWrite?: boolean;
}

export interface UsageProfile {
  source: UsageFileSource;
  /** API-key variables: one set in the agent's environment puts its cost in the API bucket, else subscription. */
  apiKeyEnv?: string[];
  /**
   * `opencode-db` only: the database `<XDG_DATA_HOME or ~/.local/share>/<dir>/<file>`, or the path in variable
   * `env` when set (absolute, or relative to that dir). Absent: OpenCode's (`opencode`, `opencode.db`, `OPENCODE_DB`).
   */
  db?: { dir: string; file: string; env: string };
  /** `pane` only: the report line to read (core/usage/pane-usage.ts). */
  pane?: PaneUsagePattern;
}

/**
 * A worker's structured status sources (core/workers/signals.ts): `file` is the signals file (a name in the worker's
 * state dir) that the launch has the agent's own hooks append to through crewmux's recorder (Claude Code's hooks,
 * Codex's notify); `rollout` reads Codex's session rollout events (task_started, task_complete, token_count).
 * `dialogs`: the source also reports dialogs waiting for a person (Claude's Notification), so once it has spoken the
 * pane's waiting markers decide nothing; without it they still do.
 */
export interface SignalsProfile {
  file?: string;
  rollout?: boolean;
  dialogs?: boolean;
}

/**
 * An agent that speaks the Agent Client Protocol on stdio (core/acp/): `args` make it do so instead of drawing its TUI
 * (Gemini CLI's and Qwen Code's `--acp`); `workers`: its workers are launched through crewmux's ACP pane process by
 * default (config `"acp": {"<name>": false}` turns it off, `true` on). `usage`: its session updates report each model
 * call's tokens (core/acp/usage.ts), so an ACP worker's usage is read from what the pane process records of them
 * (`acp-usage.jsonl`) instead of the agent's own files (`usage.source`, still read for its lead and TUI workers).
 */
export interface AcpProfile {
  args: string[];
  workers: boolean;
  usage?: boolean;
}

export interface AgentProfile {
  name: string;
  /** Agents of one family share a model vendor; cross_review prefers another family. */
  family: string;
  description: string;
  /** Candidate executables, first found on PATH wins. */
  binaries: string[];
  versionArgs: string[];
  authHint?: string;
  capabilities: Capabilities;
  markers: StatusMarkers;
  /** True for programs that play an agent with a script (demo, tests); said plainly in output. */
  scripted?: boolean;
  /** npm package or install hint shown by `crewmux detect` when the agent is missing. */
  install?: string;
  /**
   * Why no real run verified this entry (it cannot be pointed at a local model, or cannot be installed here);
   * `detect` shows it. Absent on verified entries and on entries simply not tried yet.
   */
  unverifiable?: string;
  /**
   * The versions the launch entry was run end to end against with a real binary (oldest and newest; `crewmux
   * detect` and `doctor` warn outside them); absent = from docs only.
   */
  verified?: VerifiedRange;
  mcpWiring?: McpWiring;
  /**
   * Why crewmux will not launch this agent (as lead or worker), when it cannot do so safely; `detect` and
   * `doctor` show it and `run`/`spawn_worker` refuse it with this reason. Absent = supported.
   */
  unsupported?: string;
  /** Why this agent can only lead (the API lead): spawn_worker and the worker list refuse it with this reason. */
  leadOnly?: string;
  /**
   * Files the launch writes inside the worktree (paths relative to it), for agents that read MCP config
   * only from the project: they hold the bearer token, so crewmux excludes them from git, never commits
   * them and refuses to write them through a symlink (app/agents/project-files.ts).
   */
  projectConfig?: string[];
  /** Dialogs to answer if they appear despite the launch line (the run loop sends the keys). */
  dialogs?: DialogAnswer[];
  /**
   * Where the agent's login shows without running it (for `crewmux doctor`): environment variables holding a key,
   * or credentials files under HOME (`key`: the JSON key that must be present). Absent: cannot be checked.
   */
  auth?: { env?: string[]; files?: { path: string; key?: string }[] };
  /** Pane texts that mean the agent cannot proceed (not logged in, out of quota, a dialog crewmux cannot answer). */
  blockers?: BlockerPattern[];
  /** How the agent names tool `tool` of MCP server `server` (for docs, fakes and pane matching). */
  mcpToolName?: (server: string, tool: string) => string;
  /**
   * How the lead's prompt reaches the model (default 'launch': as `launch` says). 'after-tools' is for CLIs
   * that start their first turn before their MCP client has connected: the lead is launched without its
   * prompt (withoutPromptArg) and crewmux types it once the lead's MCP client has listed crewmux's tools
   * (docs/architecture.md "Lead start-up"). A CLI that itself blocks on MCP start-up keeps 'launch'.
   */
  leadPrompt?: 'launch' | 'after-tools';
  /** How its usage is read and billed (README#usage); absent = not read. */
  usage?: UsageProfile;
  /** Where a worker's status comes from before its pane (README#status-from-signals); absent = pane markers only. */
  signals?: SignalsProfile;
  /** How the agent speaks ACP, and whether workers use it (README#acp-workers); absent = the TUI only. */
  acp?: AcpProfile;
  /**
   * Expected resident size of the agent's process tree in MB, an estimate for admission by memory until crewmux
   * has seen its peaks on this machine (core/workers/memory.ts); absent = DEFAULT_RESIDENT_MB (400).
   */
  residentMb?: number;
  launch(ctx: LaunchContext, binary: string): LaunchSpec;
}

export interface CustomAgentConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  prompt?: PromptMode;
  canLead?: boolean;
  family?: string;
  ready?: string[];
  busy?: string[];
  waiting?: string[];
  blockers?: BlockerPattern[];
}

/** A config.json agent: its command and args, the prompt as last argument in `arg` mode. */
export function customAgentProfile(name: string, c: CustomAgentConfig): AgentProfile {
  const prompt = c.prompt ?? 'arg';
  return {
    name,
    family: c.family ?? name,
    description: `custom agent from config (${c.command})`,
    binaries: [c.command],
    versionArgs: [],
    capabilities: { mcpClient: c.canLead ?? true, interactive: true, headless: false, resume: false },
    markers: { ready: c.ready, busy: c.busy, waiting: c.waiting },
    blockers: c.blockers,
    // An estimate for a wrapper script or small CLI; learned from its peaks after its first workers.
    residentMb: 100,
    launch: (_ctx, binary) => ({
      argv: [binary, ...(c.args ?? []), ...(prompt === 'arg' ? [PROMPT_ARG] : [])],
      env: { ...(c.env ?? {}) },
      prompt,
    }),
  };
}

/**
 * `spec` launched with no prompt, the prompt to be typed instead (prompt mode 'type'): PROMPT_ARG is left out
 * of argv with the option word just before it when that word starts with `-` (`--`, `--prompt`,
 * `--prompt-interactive`), which only introduces the prompt. Pure; a spec without PROMPT_ARG keeps its argv.
 */
export function withoutPromptArg(spec: LaunchSpec): LaunchSpec {
  const argv = spec.argv.filter((a, i) => a !== PROMPT_ARG && !(a.startsWith('-') && spec.argv[i + 1] === PROMPT_ARG));
  return { ...spec, argv, prompt: 'type' };
}

/** The argv with PROMPT_ARG replaced by `prompt` (left out when `prompt` is undefined). */
export function fillPromptArg(argv: readonly string[], prompt: string | undefined): string[] {
  return argv.flatMap((a) => (a === PROMPT_ARG ? (prompt === undefined ? [] : [prompt]) : [a]));
}
