/** Redaction of secrets in quoted commands and their output (src/core/text/redact.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeSecret, redactSecrets } from '../../src/core/text/redact.js';
import { shellExports } from '../../src/core/text/shell-quote.js';

const HEX48 = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6';

test('secret-named assignments lose their value; others keep it', () => {
  assert.equal(
    redactSecrets(`tmux split-window -e CREWMUX_MCP_TOKEN=abc123 -e GITHUB_TOKEN=x1 -e PATH=/usr/bin -e HOME=/h`),
    'tmux split-window -e CREWMUX_MCP_TOKEN=<redacted> -e GITHUB_TOKEN=<redacted> -e PATH=/usr/bin -e HOME=/h',
  );
  assert.equal(
    redactSecrets('ANTHROPIC_API_KEY="sk ant" OPENAI_KEY=\'q\' DB_PASSWORD=hunter2 AWS_SECRET_ACCESS_KEY=z'),
    'ANTHROPIC_API_KEY=<redacted> OPENAI_KEY=<redacted> DB_PASSWORD=<redacted> AWS_SECRET_ACCESS_KEY=<redacted>',
  );
  // An innocent name whose value is a token is redacted too.
  assert.equal(redactSecrets(`X=${HEX48}`), 'X=<redacted>');
  assert.equal(
    redactSecrets('CREWMUX_SESSION_ID=s1abc CREWMUX_ROLE=worker'),
    'CREWMUX_SESSION_ID=s1abc CREWMUX_ROLE=worker',
  );
});

test('token shapes are redacted wherever they stand', () => {
  const cases: [string, string][] = [
    ['key sk-ant-api03-AbCdEf012345 end', 'key <redacted> end'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', '<redacted>'],
    ['github_pat_11ABCDEFG0123456789_abcdef', '<redacted>'],
    ['Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer <redacted>'],
    ['http://127.0.0.1:7801/mcp?token=deadbeef&x=1', 'http://127.0.0.1:7801/mcp?token=<redacted>&x=1'],
    [`lead ${HEX48}.`, 'lead <redacted>.'],
    ['AKIAABCDEFGHIJKLMNOP', '<redacted>'],
    ['xoxb-1234-abcd-efgh', '<redacted>'],
    ['b64 QWxhZGRpbjpvcGVuIHNlc2FtZQ0123456789Abc==', 'b64 <redacted>'],
  ];
  for (const [input, want] of cases) assert.equal(redactSecrets(input), want, input);
});

test('ordinary text stays: commit ids, paths, branch names, words', () => {
  const keep = [
    'git -C /home/u/.local/share/crewmux/worktrees/repo-0123abcd/s1/w01-implementer merge-base --is-ancestor 4c7c720e9f1a3b5d7c9e1f3a5b7d9f1b3d5f7a9c HEAD',
    'crewmux/s0a1b2c3d/w01-implementer',
    'this-is-a-very-long-file-name-without-any-secret-in-it.test.ts',
    'exited 3: fatal: not a git repository',
    'Bearer',
  ];
  for (const s of keep) assert.equal(redactSecrets(s), s, s);
  assert.equal(looksLikeSecret('hello'), false);
  assert.equal(looksLikeSecret(HEX48), true);
});

test('known secrets are redacted exactly; redaction is idempotent', () => {
  assert.equal(redactSecrets('abc tok-123456 def', ['tok-123456']), 'abc <redacted> def');
  const once = redactSecrets(`K=${HEX48} Bearer sk-xxxxxxxx`);
  assert.equal(redactSecrets(once), once);
});

test('shellExports: single quotes escaped, names that are not identifiers left out', () => {
  assert.equal(
    shellExports({ A: "it's $HOME `x` \\n", 'B-C': 'no', EMPTY: '', NL: 'a\nb' }),
    "export A='it'\\''s $HOME `x` \\n'\nexport EMPTY=''\nexport NL='a\nb'\n",
  );
});
