/** OpenClaude (a Claude Code fork for other providers; not verified here): the same flags and config layout as claude.ts. */
import type { AgentProfile } from '../profile.js';
import { claude, claudeStyleLaunch } from './claude.js';

export const openclaude: AgentProfile = {
  ...claude,
  name: 'openclaude',
  family: 'openclaude',
  description: 'OpenClaude (Claude Code fork for OpenAI-compatible providers)',
  binaries: ['openclaude'],
  install: 'npm install -g @gitlawb/openclaude',
  authHint: 'CLAUDE_CODE_USE_OPENAI=1 with OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL',
  verified: undefined,
  launch: claudeStyleLaunch,
};
