/** Status detection against pane texts recorded from the pinned real CLIs (test/fixtures/panes/<agent>/<state>.txt). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { detectStatus } from '../../src/core/workers/status-detect.js';
import { findAgent } from '../../src/core/agents/registry.js';

const dir = new URL('../../../test/fixtures/panes/', import.meta.url).pathname;
const agents = existsSync(dir) ? readdirSync(dir) : [];

test('fixtures exist for the five pinned CLIs', () => {
  for (const a of ['claude', 'codex', 'gemini', 'qwen', 'opencode']) {
    for (const s of ['ready', 'busy', 'waiting']) assert.ok(existsSync(join(dir, a, `${s}.txt`)), `${a}/${s}.txt`);
  }
});

for (const agent of agents) {
  for (const file of readdirSync(join(dir, agent)).filter((f) => f.endsWith('.txt'))) {
    const state = file.replace(/\.txt$/, '');
    test(`${agent}: ${state} pane is detected as ${state}`, () => {
      const profile = findAgent(agent);
      assert.ok(profile, `${agent} is in the registry`);
      assert.equal(detectStatus(profile.markers, readFileSync(join(dir, agent, file), 'utf8')), state);
    });
  }
}

test('unknown when no marker matches, and questions win over work and idleness', () => {
  const m = { ready: ['READY'], busy: ['BUSY'], waiting: ['ASK'] };
  assert.equal(detectStatus(m, 'nothing here'), 'unknown');
  assert.equal(detectStatus(m, 'READY\nBUSY'), 'busy');
  assert.equal(detectStatus(m, 'READY\nBUSY\nASK'), 'waiting');
  assert.equal(detectStatus(m, '\u001b[1mREADY\u001b[0m'), 'ready');
});

test('markers that scrolled above the bottom window do not count', () => {
  const m = { ready: ['READY'], waiting: ['ASK'] };
  const text = ['ASK', ...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'READY'].join('\n');
  assert.equal(detectStatus(m, text), 'ready');
});
