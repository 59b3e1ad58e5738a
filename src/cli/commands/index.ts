/**
 * Every subcommand, in --help order: its usage line, its one-line description, and how to load its
 * module. Modules load only when their command runs or shows its help (see CommandEntry in ../command.ts),
 * so a command's heavy imports (the MCP SDK, fastify, node-pty) cost nothing to the others. Adding a
 * command is adding a file and an entry here; the entry's command and describe repeat the module's (a
 * unit test keeps them equal).
 */
import type { CommandEntry } from '../command.js';

export const COMMANDS: CommandEntry[] = [
  {
    command: 'run',
    describe: 'Run a goal: a lead agent drives workers in git worktrees',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    command: 'manual [text]',
    describe: 'One worker agent on a task, no lead: a worktree and a pane to work in, the same report',
    load: async () => (await import('./manual.js')).manualCommand,
  },
  {
    command: 'demo',
    describe: 'Run a demo goal on a throwaway repo with scripted agents (no API key needed)',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    command: 'status [sid]',
    describe: "Show a session (default: this repository's latest) and its workers",
    load: async () => (await import('./status.js')).statusCommand,
    fast: { positionals: ['sid'], booleans: ['json', 'all'], strings: ['explain'] },
  },
  {
    command: 'usage [sid]',
    describe: "Show a session's token usage and estimated cost (default: this repository's latest)",
    load: async () => (await import('./usage.js')).usageCommand,
  },
  {
    command: 'answer [ticket] [text]',
    describe:
      "Answer a worker's question ticket (no arguments: list the open ones of this repository's latest session)",
    load: async () => (await import('./answer.js')).answerCommand,
  },
  {
    command: 'approve [worker]',
    describe: "Approve a worker's merge held for you by merge.autoMerge (no argument: list the held ones)",
    load: async () => (await import('./approve.js')).approveCommand,
  },
  {
    command: 'reject <worker> [reason]',
    describe: "Reject a worker's merge held for you by merge.autoMerge, with the reason the lead gets",
    load: async () => (await import('./reject.js')).rejectCommand,
  },
  {
    command: 'sessions',
    describe: 'List sessions of every repository: repository, goal, status, lead, workers by state, age, resumable',
    load: async () => (await import('./sessions.js')).sessionsCommand,
  },
  {
    command: 'attach [sid]',
    describe: "Attach this terminal to a session (default: this repository's latest; inside tmux: switch to it)",
    load: async () => (await import('./attach.js')).attachCommand,
  },
  {
    command: 'stop [sid]',
    describe: "Stop a session (default: this repository's latest): snapshot work, stop agents; resumable",
    load: async () => (await import('./stop.js')).stopCommand,
  },
  {
    command: 'resume [sid]',
    describe: "Resume a session whose supervisor died or that was stopped (default: this repository's latest)",
    load: async () => (await import('./resume.js')).resumeCommand,
  },
  {
    command: 'gc',
    describe:
      'Remove crewmux worktrees and branches that are merged or empty, or whose repository or session is gone (--force: all but live sessions)',
    load: async () => (await import('./gc.js')).gcCommand,
  },
  {
    command: 'detect',
    describe:
      "List the agent CLIs crewmux knows (installed, versions, capabilities) and the summary router's providers",
    load: async () => (await import('./detect.js')).detectCommand,
  },
  {
    command: 'doctor',
    describe: 'Check tmux, git, node, native modules, config files, agents, keys, the summary router, dirs and ports',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    command: 'init',
    describe: 'Scaffold .crewmux/ (PROJECT.md with How to verify, CONVENTIONS.md, config.json, hooks.json)',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    command: 'trust',
    describe: "Trust this repository's .crewmux config (hooks, verify, custom agents) so `run` may execute it",
    load: async () => (await import('./trust.js')).trustCommand,
  },
  {
    command: 'notify <action>',
    describe: 'Send a test message through each configured notifier (tmux, desktop, ntfy, webhook)',
    load: async () => (await import('./notify.js')).notifyCommand,
  },
  {
    command: 'memory <action> [query..]',
    describe: 'List memory files, or search memory as spawn_worker would for a task',
    load: async () => (await import('./memory.js')).memoryCommand,
  },
  {
    command: 'agents',
    describe: 'List agent CLIs running outside crewmux: crewmux-shim agents and agents in tmux panes',
    load: async () => (await import('./agents.js')).agentsCommand,
  },
  {
    command: 'skill <action> [target]',
    describe: 'Manage skills: add, list, verify, remove, keygen, sign, trust, untrust',
    load: async () => (await import('./skill.js')).skillCommand,
  },
  {
    command: 'dashboard',
    describe: 'Serve a live browser view of sessions, workers, diffs and verify results on 127.0.0.1',
    load: async () => (await import('./dashboard.js')).dashboardCommand,
  },
  {
    command: 'node <action> [name] [target]',
    describe: 'Worker nodes over SSH: add, list, check, remove (and serve, the node side)',
    load: async () => (await import('./node.js')).nodeCommand,
  },
  {
    command: 'supervise <sid>',
    describe: false,
    load: async () => (await import('./supervise.js')).superviseCommand,
  },
];
