/** The built-in agent registry: one data entry per agent CLI. Adding an agent is adding a file and a line here. */
import type { AgentProfile } from '../agent-profile.js';
import { scriptedLead, scriptedWorker } from './scripted.js';
import { claude } from './claude.js';
import { codex } from './codex.js';
import { gemini } from './gemini.js';
import { qwen } from './qwen.js';
import { opencode } from './opencode.js';
import { aider } from './aider.js';
import { goose } from './goose.js';
import { kiro } from './kiro.js';
import { amp } from './amp.js';
import { cursorAgent } from './cursor-agent.js';
import { copilot } from './copilot.js';
import { openclaude } from './openclaude.js';
import { kilocode } from './kilocode.js';
import { crush } from './crush.js';

/** Real agent CLIs first (in "best lead" order), then the scripted stand-ins. */
export const BUILTIN_AGENTS: readonly AgentProfile[] = [
  claude, codex, gemini, qwen, opencode, copilot, cursorAgent, amp, goose, kiro, crush, kilocode, openclaude, aider,
  scriptedLead, scriptedWorker,
];

/** The built-in profile named `name`, or undefined. */
export function findAgent(name: string, agents: readonly AgentProfile[] = BUILTIN_AGENTS): AgentProfile | undefined {
  return agents.find((a) => a.name === name);
}
