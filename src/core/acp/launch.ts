/**
 * An ACP worker's launch: the pane runs crewmux's ACP pane process (compose/acp-worker-pane.ts) with the Node that
 * runs crewmux, and that process starts the agent with its ACP flag. The agent's own launch (its argv without the
 * prompt, its environment and session settings files) is kept: the argv goes to a 0600 file in the worker's state
 * dir beside the signals file the pane process writes, the environment and files stay on the pane. The prompt is
 * read from the prompt file and sent as the first `session/prompt`, never put on a command line. Pure.
 */
import { fileURLToPath } from 'node:url';
import { withoutPromptArg, type LaunchSpec } from '../agents/profile.js';
import { jsonFile, joinPath } from '../agents/profiles/common.js';
import { SIGNALS_FILE } from '../workers/signals.js';
import { ACP_USAGE_FILE } from './usage.js';

/** The ACP pane process, shipped in the package. */
export const ACP_PANE_SCRIPT = fileURLToPath(new URL('../../compose/acp-worker-pane.js', import.meta.url));

/** The file (in the worker's state dir) naming what the ACP pane process starts, and the environment variable naming it. */
export const ACP_LAUNCH_FILE = 'acp-launch.json';
export const ACP_LAUNCH_ENV = 'CREWMUX_ACP_LAUNCH';

/** What the ACP pane process reads from ACP_LAUNCH_FILE. */
export interface AcpLaunch {
  /** The agent's argv (command first) with its ACP flag, without a prompt. */
  argv: string[];
  /** The worker's worktree: the session's cwd and the root of the permission policy. */
  cwd: string;
  /** The signals file it appends to (the one the monitor reads for the worker). */
  signals: string;
  /** The file it appends the agent's reported model calls to (core/acp/usage.ts); absent: the agent reports none. */
  usage?: string;
}

/**
 * `spec` (the agent's TUI launch) turned into its ACP launch: argv `node ACP_PANE_SCRIPT`, the agent's argv without
 * its prompt plus `acpArgs` written to ACP_LAUNCH_FILE in `stateDir`, prompt mode 'file'; `usage`: the agent reports
 * its calls' usage over ACP, recorded in ACP_USAGE_FILE beside it.
 */
export function acpLaunchSpec(
  spec: LaunchSpec,
  acpArgs: readonly string[],
  o: { nodePath: string; stateDir: string; cwd: string; usage?: boolean },
): LaunchSpec {
  const file = joinPath(o.stateDir, ACP_LAUNCH_FILE);
  const launch: AcpLaunch = {
    argv: [...withoutPromptArg(spec).argv, ...acpArgs],
    cwd: o.cwd,
    signals: joinPath(o.stateDir, SIGNALS_FILE),
    ...(o.usage ? { usage: joinPath(o.stateDir, ACP_USAGE_FILE) } : {}),
  };
  return {
    ...spec,
    argv: [o.nodePath, ACP_PANE_SCRIPT],
    env: { ...spec.env, [ACP_LAUNCH_ENV]: file },
    files: [...(spec.files ?? []), jsonFile(file, launch)],
    prompt: 'file',
  };
}
