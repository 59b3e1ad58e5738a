/**
 * Every exported function of a use case (src/app/**) has a contract: a `/** ... *\/` comment right above
 * it saying what it does, units, defaults and what happens on failure. Reads the TypeScript sources, not
 * dist/, so the comments are the ones a reader sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/unit/contracts.test.js -> the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return tsFiles(p);
      return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
    });
}

/** `export [async] function name` or `export const name = [async] (...) =>` / `function`. */
const EXPORTED_FUNCTION = new RegExp(
  [
    String.raw`^export\s+(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)`,
    String.raw`^export\s+const\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|<[^>]*>\s*\(|\(|[A-Za-z_$][\w$]*\s*=>)`,
  ].join('|'),
);

/** Exported functions of `text` with no `/** *\/` comment ending on the nearest non-blank line above. */
export function missingContracts(text: string): { line: number; name: string }[] {
  const lines = text.split('\n');
  const out: { line: number; name: string }[] = [];
  lines.forEach((line, i) => {
    const m = EXPORTED_FUNCTION.exec(line);
    if (!m) return;
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    let documented = false;
    if (j >= 0 && lines[j]!.trim().endsWith('*/')) {
      let k = j;
      while (k >= 0 && !lines[k]!.includes('/*')) k--;
      documented = k >= 0 && lines[k]!.includes('/**');
    }
    if (!documented) out.push({ line: i + 1, name: (m[1] ?? m[2])! });
  });
  return out;
}

test('the scanner sees exported functions and their contracts', () => {
  const src = [
    '/** Documented. */',
    'export function a(): void {}',
    '',
    'export async function b(): Promise<void> {}',
    '// a line comment is not a contract',
    'export const c = (x: number) => x;',
    '/* nor a plain block comment */',
    'export const d = async () => 1;',
    '/**',
    ' * Documented over',
    ' * several lines.',
    ' */',
    'export const e = () => 2;',
    'export const LIMIT = 5;',
    'export const f = function () {};',
  ].join('\n');
  assert.deepEqual(
    missingContracts(src).map((x) => x.name),
    ['b', 'c', 'd', 'f'],
  );
});

test('every exported function in src/app has a /** */ contract comment', () => {
  const missing = tsFiles(join(ROOT, 'src', 'app')).flatMap((file) =>
    missingContracts(readFileSync(file, 'utf8')).map((x) => `${relative(ROOT, file)}:${x.line} ${x.name}`),
  );
  assert.deepEqual(
    missing,
    [],
    `exported functions without a contract comment (what it does, units, defaults, failure):\n${missing.join('\n')}`,
  );
});
