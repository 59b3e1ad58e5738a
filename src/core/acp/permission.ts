/**
 * crewmux's answer to an ACP agent's permission request, the policy of the TUI path in ACP form: a worker may act
 * inside its worktree (its TUI runs with its own approvals off, e.g. Gemini's `--approval-mode yolo`), so a request
 * whose locations all lie in the worktree (or that names none, such as a shell command run there) is allowed once;
 * a request touching a path outside it is left to a person (the pane shows it and the worker is `waiting`). Pure.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { PermissionRequest } from './protocol.js';

export type PermissionChoice = { kind: 'allow'; optionId: string; why: string } | { kind: 'ask'; why: string };

function inside(root: string, path: string): boolean {
  const rel = relative(root, resolve(root, path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The answer crewmux gives `req` for a worker in `worktree` (absolute): an allow option, or ask a person and why. */
export function choosePermission(req: PermissionRequest, worktree: string): PermissionChoice {
  const outside = (req.toolCall.locations ?? []).map((l) => l.path).filter((p) => !inside(worktree, p));
  if (outside.length) return { kind: 'ask', why: `it touches ${outside.join(', ')}, outside the worktree` };
  const allow = req.options.find((o) => o.kind === 'allow_once') ?? req.options.find((o) => o.kind === 'allow_always');
  if (!allow) return { kind: 'ask', why: 'the agent offered no option that allows it' };
  return { kind: 'allow', optionId: allow.optionId, why: 'inside the worktree' };
}
