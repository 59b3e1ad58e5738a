/**
 * requireAgent as `run --lead X` and config "lead" use it: an agent that cannot lead (no MCP client: aider, a
 * custom agent with canLead false) is refused as lead with E_LEAD_NO_MCP and a fix naming the agents that can,
 * whether or not it is installed (an uninstalled one was once told to be installed first); it may still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireAgent, resolveAgents } from '../../src/app/agents/agent-table.js';
import { UserError } from '../../src/core/errors.js';

const isLeadRefusal = (name: string, fix: RegExp) => (e: unknown) =>
  e instanceof UserError &&
  e.code === 'E_LEAD_NO_MCP' &&
  e.message.includes(`Agent "${name}" cannot lead`) &&
  fix.test(e.hint);

test('requireAgent: an agent without canLead is refused as lead, installed or not, with a fix', () => {
  const config = {
    agents: {
      mute: { command: 'node', canLead: false },
      gone: { command: 'crewmux-no-such-binary', canLead: false },
      talker: { command: 'node' },
    },
  };
  const table = resolveAgents(config, '/nonexistent');
  assert.throws(() => requireAgent(table, 'mute', 'lead'), isLeadRefusal('mute', /--lead talker.*"canLead": true/s));
  assert.throws(() => requireAgent(table, 'gone', 'lead'), isLeadRefusal('gone', /--lead talker/));
  assert.throws(() => requireAgent(table, 'aider', 'lead'), isLeadRefusal('aider', /--lead talker/));
  // As a worker, the uninstalled ones are refused for being missing, and one without canLead is fine.
  assert.throws(() => requireAgent(table, 'gone', 'worker'), /not installed/);
  assert.equal(requireAgent(table, 'mute', 'worker').profile.name, 'mute');
  assert.equal(requireAgent(table, 'talker', 'lead').profile.name, 'talker');
});
