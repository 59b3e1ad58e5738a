/**
 * crewmux's answer to an ACP agent's permission request. An ACP worker runs with its agent's own approvals on (not
 * Gemini's `--approval-mode yolo` of the TUI path), so each tool call asks and this policy decides: a worker may
 * change things inside its worktree, so a request whose paths (its locations and the paths of its diffs) all lie in
 * the worktree, or that names none (a shell command run there, an MCP tool), is allowed once, as the TUI allowed it;
 * reading, searching and fetching are allowed wherever they look, as in the TUI (dependencies live outside); any other
 * request touching a path outside the worktree is left to a person (the pane shows it and the worker is `waiting`).
 * Pure.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { PermissionRequest } from './protocol.js';

export type PermissionChoice = { kind: 'allow'; optionId: string; why: string } | { kind: 'ask'; why: string };

/** Tool kinds (ACP ToolKind) that only look: allowed outside the worktree too. */
const LOOKING = ['read', 'search', 'fetch', 'think'];

function inside(root: string, path: string): boolean {
  const rel = relative(root, resolve(root, path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The paths a request names: its locations and the paths of the diffs in its content. */
function pathsOf(req: PermissionRequest): string[] {
  const diffs = Array.isArray(req.toolCall.content)
    ? (req.toolCall.content as { type?: unknown; path?: unknown }[])
    : [];
  return [
    ...(req.toolCall.locations ?? []).map((l) => l.path),
    ...diffs.flatMap((c) => (c && c.type === 'diff' && typeof c.path === 'string' ? [c.path] : [])),
  ];
}

/** The answer crewmux gives `req` for a worker in `worktree` (absolute): an allow option, or ask a person and why. */
export function choosePermission(req: PermissionRequest, worktree: string): PermissionChoice {
  const allow = req.options.find((o) => o.kind === 'allow_once') ?? req.options.find((o) => o.kind === 'allow_always');
  if (!allow) return { kind: 'ask', why: 'the agent offered no option that allows it' };
  const looking = LOOKING.includes(req.toolCall.kind ?? '');
  const outside = [...new Set(pathsOf(req).filter((p) => !inside(worktree, p)))];
  if (outside.length && !looking) return { kind: 'ask', why: `it touches ${outside.join(', ')}, outside the worktree` };
  return { kind: 'allow', optionId: allow.optionId, why: outside.length ? 'it only reads' : 'inside the worktree' };
}
