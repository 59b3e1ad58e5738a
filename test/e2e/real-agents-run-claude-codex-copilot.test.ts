/**
 * Real Claude Code, Codex and Copilot CLI through `crewmux run`, each as worker and as lead, and the mixed run (a
 * Claude Code lead with Codex and Gemini workers); test/helpers/real-agents.ts has the runs and what they prove.
 */
import { realAgentRuns } from '../helpers/real-agents.js';

realAgentRuns(['claude', 'codex', 'copilot'], { mixed: true });
