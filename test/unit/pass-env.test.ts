/** The pass-through list: what of the caller's environment may be written to a pane's env file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardableEnv } from '../../src/app/agents/launch.js';
import { matchesEnvPattern, passEnvPatterns } from '../../src/core/agents/pass-env.js';

test('forwardableEnv keeps the basics and agent keys, drops unrelated secrets, CREWMUX_* and terminal state', () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    LC_ALL: 'C.UTF-8',
    ANTHROPIC_API_KEY: 'sk-ant-x',
    ANTHROPIC_BASE_URL: 'https://gw.example',
    OPENAI_API_KEY: 'sk-x',
    GEMINI_API_KEY: 'g',
    GH_TOKEN: 'ghp_x',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    DATABASE_URL: 'postgres://u:p@h/db',
    STRIPE_SECRET_KEY: 'sk_live_x',
    TMUX: '/tmp/tmux-1000/default,1,0',
    TERM: 'xterm-256color',
    CREWMUX_MCP_TOKEN: 'abc',
    CREWMUX_PASS_ENV: 'MY_GATEWAY_*, EXTRA',
    MY_GATEWAY_KEY: 'k',
    EXTRA: 'e',
  };
  assert.deepEqual(Object.keys(forwardableEnv(env)).sort(), [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'EXTRA',
    'GEMINI_API_KEY',
    'GH_TOKEN',
    'HOME',
    'LC_ALL',
    'MY_GATEWAY_KEY',
    'OPENAI_API_KEY',
    'PATH',
  ]);
});

test('CREWMUX_PASS_ENV: names and PREFIX_* patterns; a bare * is ignored (it would copy everything)', () => {
  assert.equal(matchesEnvPattern('AWS_REGION', 'AWS_*'), true);
  assert.equal(matchesEnvPattern('AWS', 'AWS_*'), false);
  assert.equal(matchesEnvPattern('FOO', 'FOO'), true);
  assert.equal(matchesEnvPattern('FOOBAR', 'FOO'), false);
  const p = passEnvPatterns(' AWS_* ,, *  X ');
  assert.ok(p.includes('AWS_*') && p.includes('X') && !p.includes('*') && !p.includes(''));
  assert.deepEqual(Object.keys(forwardableEnv({ SECRET: 's', CREWMUX_PASS_ENV: '*' })), []);
});
