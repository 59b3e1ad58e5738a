/**
 * Recognising a running agent CLI from process command lines (never from pane titles): a table of
 * known binaries and npm packages, and a matcher over a process tree.
 */

export interface KnownAgent {
  name: string;
  /** Executable basenames (also matched as the script of an interpreter: `node /usr/bin/claude`). */
  binaries: string[];
  /** Package directories whose files are the agent (`.../node_modules/@google/gemini-cli/...`). */
  packages?: string[];
}

/** The agent CLIs discovery recognises. */
export const KNOWN_AGENTS: readonly KnownAgent[] = [
  { name: 'claude', binaries: ['claude'], packages: ['@anthropic-ai/claude-code'] },
  { name: 'codex', binaries: ['codex'], packages: ['@openai/codex'] },
  { name: 'gemini', binaries: ['gemini'], packages: ['@google/gemini-cli'] },
  { name: 'qwen', binaries: ['qwen'], packages: ['@qwen-code/qwen-code'] },
  { name: 'opencode', binaries: ['opencode', '.opencode'], packages: ['opencode-ai'] },
  { name: 'aider', binaries: ['aider'], packages: ['aider-chat', 'aider'] },
  { name: 'goose', binaries: ['goose'] },
  { name: 'amp', binaries: ['amp', 'amp.exe'], packages: ['@sourcegraph/amp', '@ampcode/cli'] },
  { name: 'cursor-agent', binaries: ['cursor-agent'] },
  { name: 'copilot', binaries: ['copilot'], packages: ['@github/copilot'] },
  { name: 'crush', binaries: ['crush'], packages: ['@charmland/crush'] },
  { name: 'kiro-cli', binaries: ['kiro-cli'] },
  { name: 'kilocode', binaries: ['kilocode', 'kilo', '.kilo'], packages: ['@kilocode/cli'] },
];

/** Programs that run a script named by their first non-option argument. */
const INTERPRETERS = /^(node|nodejs|bun|deno|python[0-9.]*|pypy[0-9.]*|ruby)$/;

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1).replace(/\.(c|m)?js$/, '');

/** The agent name `argv` runs, or undefined. Matches argv[0], or an interpreter's script, by basename or package path. */
export function recognizeCommand(
  argv: readonly string[],
  known: readonly KnownAgent[] = KNOWN_AGENTS,
): string | undefined {
  const first = argv[0];
  if (!first) return undefined;
  const candidates = [first];
  if (INTERPRETERS.test(base(first))) {
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    if (script) candidates.push(script);
  }
  for (const c of candidates) {
    const name = base(c);
    for (const k of known) {
      if (k.binaries.includes(name)) return k.name;
      if (k.packages?.some((p) => c.includes(`/node_modules/${p}/`) || c.includes(`/site-packages/${p}/`)))
        return k.name;
    }
  }
  return undefined;
}

/** `root` and its descendants in `table`, parents first. */
export function descendants(table: readonly ProcessInfo[], root: number): ProcessInfo[] {
  const kids = new Map<number, ProcessInfo[]>();
  const byPid = new Map<number, ProcessInfo>();
  for (const p of table) {
    byPid.set(p.pid, p);
    const list = kids.get(p.ppid) ?? [];
    list.push(p);
    kids.set(p.ppid, list);
  }
  const out: ProcessInfo[] = [];
  const top = byPid.get(root);
  if (!top) return out;
  const queue = [top];
  const seen = new Set<number>();
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    out.push(p);
    queue.push(...(kids.get(p.pid) ?? []));
  }
  return out;
}

/** The first (outermost) process of a tree that runs a known agent, with the agent's name. */
export function findAgentInTree(
  tree: readonly ProcessInfo[],
  known: readonly KnownAgent[] = KNOWN_AGENTS,
): { agent: string; process: ProcessInfo } | undefined {
  for (const p of tree) {
    const agent = recognizeCommand(p.argv, known);
    if (agent) return { agent, process: p };
  }
  return undefined;
}
