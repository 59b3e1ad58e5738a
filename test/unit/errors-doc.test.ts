/**
 * docs/errors.md lists exactly the codes of src/core/errors.ts, each with the same "what happened" and
 * "how to fix" text. Regenerate the doc with `node scripts/errors-doc.mjs > docs/errors.md`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../src/core/errors.js';

/** The table rows of docs/errors.md: code -> [what happened, how to fix]; a `\|` in a cell is a `|`. */
function documentedRows(doc: string): Map<string, [string, string]> {
  const rows = new Map<string, [string, string]>();
  for (const line of doc.split('\n')) {
    if (!/^\| E_[A-Z0-9_]+ \|/.test(line)) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('\\|', '|'));
    assert.equal(cells.length, 3, `a row of docs/errors.md has ${cells.length} cells, not 3: ${line}`);
    const [code, what, fix] = cells as [string, string, string];
    assert.ok(!rows.has(code), `${code} is listed twice in docs/errors.md`);
    rows.set(code, [what, fix]);
  }
  return rows;
}

const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

test('docs/errors.md and ERROR_CODES list the same codes', () => {
  assert.deepEqual([...documentedRows(doc).keys()].sort(), Object.keys(ERROR_CODES).sort());
});

test('docs/errors.md says what happened and how to fix it in the words of ERROR_CODES', () => {
  const rows = documentedRows(doc);
  for (const [code, [, what, fix]] of Object.entries(ERROR_CODES)) {
    const row = rows.get(code);
    if (!row) continue; // reported by the test above
    assert.equal(row[0], what, `${code}: "What happened" differs from src/core/errors.ts`);
    assert.equal(row[1], fix, `${code}: "How to fix" differs from src/core/errors.ts`);
  }
});

test('a cell holding a | survives the round trip', () => {
  const rows = documentedRows('| E_X | a \\| b | run `x \\| y` |\n');
  assert.deepEqual(rows.get('E_X'), ['a | b', 'run `x | y`']);
});
