/** The built-in agent registry: one data entry per agent CLI. Adding an agent is adding an entry. */
import type { AgentProfile } from '../agent-profile.js';
import { scriptedLead, scriptedWorker } from './scripted.js';

export const BUILTIN_AGENTS: readonly AgentProfile[] = [scriptedLead, scriptedWorker];
