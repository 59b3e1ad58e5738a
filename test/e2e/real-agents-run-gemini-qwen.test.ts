/**
 * Real Gemini CLI and Qwen Code through `crewmux run`, each as worker and as lead (test/helpers/real-agents.ts has the
 * runs and what they prove).
 */
import { realAgentRuns } from '../helpers/real-agents.js';

realAgentRuns(['gemini', 'qwen']);
