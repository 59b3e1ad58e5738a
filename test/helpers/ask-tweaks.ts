/** Per CLI, a change to crewmux's worker launch that removes auto-approval, so the agent asks (for "waiting" pane fixtures). */
import type { LaunchSpec } from '../../src/core/agents/profile.js';

const drop = (argv: string[], ...flags: string[]) => argv.filter((a) => !flags.includes(a));
const swap = (argv: string[], from: string, to: string) => argv.map((a) => (a === from ? to : a));

export const ASK_TWEAKS: Record<string, (s: LaunchSpec) => LaunchSpec> = {
  // Claude Code 2.1.3xx starts in auto mode (a classifier approves tool calls), so ask mode is named: `manual`.
  claude: (s) => {
    const argv = drop(s.argv, '--dangerously-skip-permissions');
    return { ...s, argv: [...argv.slice(0, -2), '--permission-mode', 'manual', ...argv.slice(-2)] };
  },
  // Codex asks before an MCP call when the server's approval mode is not "approve" and bypass is off.
  codex: (s) => {
    const argv = drop(s.argv, '--dangerously-bypass-approvals-and-sandbox').filter(
      (a, i, all) => !a.includes('default_tools_approval_mode') && !all[i + 1]?.includes('default_tools_approval_mode'),
    );
    return {
      ...s,
      argv: [
        ...argv.slice(0, -2),
        '--sandbox',
        'workspace-write',
        '--ask-for-approval',
        'on-request',
        ...argv.slice(-2),
      ],
    };
  },
  gemini: (s) => ({ ...s, argv: swap(s.argv, 'yolo', 'default') }),
  qwen: (s) => ({ ...s, argv: swap(s.argv, 'yolo', 'default') }),
  opencode: (s) => ({
    ...s,
    files: (s.files ?? []).map((f) =>
      f.path.endsWith('opencode.json') ? { ...f, content: f.content.replace('"*": "allow"', '"*": "ask"') } : f,
    ),
  }),
};
