/**
 * Real Kilo Code through `crewmux run`, as worker and as lead (test/helpers/real-agents.ts has the runs and what they
 * prove). A file of its own: its runs are the longest with OpenCode's, so the e2e tier's two slots share them.
 */
import { realAgentRuns } from '../helpers/real-agents.js';

realAgentRuns(['kilocode']);
