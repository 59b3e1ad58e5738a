import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/core/errors.js';

// Covers the skill codes; the main tree's errors test covers the whole table.
test('every E_SKILL_* code has a docs/errors.md row with the same texts', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const codes = Object.entries(ERROR_CODES).filter(([code]) => code.startsWith('E_SKILL_'));
  assert.ok(codes.length >= 10);
  for (const [code, [, what, fix]] of codes) {
    const row = `| ${code} | ${what.replace(/\|/g, '\\|')} | ${fix.replace(/\|/g, '\\|')} |`;
    assert.ok(doc.split('\n').includes(row), `docs/errors.md lacks or differs for ${code}; want:\n${row}`);
  }
});
