/** The built-in agent registry: one data entry per agent CLI. Adding an agent is adding a file and a line here. */
import type { AgentProfile } from './profile.js';
import { scriptedLead, scriptedWorker } from './profiles/scripted.js';
import { claude } from './profiles/claude.js';
import { codex } from './profiles/codex.js';
import { gemini } from './profiles/gemini.js';
import { qwen } from './profiles/qwen.js';
import { opencode } from './profiles/opencode.js';
import { aider } from './profiles/aider.js';
import { goose } from './profiles/goose.js';
import { kiro } from './profiles/kiro.js';
import { amp } from './profiles/amp.js';
import { cursorAgent } from './profiles/cursor-agent.js';
import { copilot } from './profiles/copilot.js';
import { openclaude } from './profiles/openclaude.js';
import { kilocode } from './profiles/kilocode.js';
import { crush } from './profiles/crush.js';

/** Real agent CLIs first (in "best lead" order), then the scripted stand-ins. */
export const BUILTIN_AGENTS: readonly AgentProfile[] = [
  claude,
  codex,
  gemini,
  qwen,
  opencode,
  copilot,
  cursorAgent,
  amp,
  goose,
  kiro,
  crush,
  kilocode,
  openclaude,
  aider,
  scriptedLead,
  scriptedWorker,
];

/** The built-in profile named `name`, or undefined. */
export function findAgent(name: string, agents: readonly AgentProfile[] = BUILTIN_AGENTS): AgentProfile | undefined {
  return agents.find((a) => a.name === name);
}
