/**
 * The docs name only files that exist: every repository path in README.md and docs/*.md, and every file
 * or folder a folder README (src/**\/README.md) names. A moved file whose old path lingers in the prose
 * fails here with the doc, the line and the path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/unit/docs-paths.test.js -> the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Paths the docs use as examples of a user's files, not as files of this repository. */
const EXAMPLES = new Set(['src/db/schema.sql']);

/** Repository paths in prose: a top-level folder, or a layer folder under src/ written without `src/`. */
const ROOTED =
  /(?<![\w./-])((?:src|test|scripts|docs|bin|skills|app|core|adapters|mcp|cli|compose|dashboard|demo|shim)\/[\w./<>*{}-]*[\w*>}/])/g;
/** In a folder README: any file (`x.ts`, `dir/x.ts`, `../x.ts`) or folder (`dir/`) name. */
const NAMED = /(?<![\w/.-])((?:\.\.\/)?[\w<>*-]+(?:\/[\w<>*.-]+)*(?:\.ts|\.md|\/))(?!\w)/g;

function folderReadmes(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return folderReadmes(p);
      return name === 'README.md' ? [p] : [];
    });
}

/** Whether `p` exists under one of `bases`; a pattern (`<name>`, `*`, `{a,b}`) needs only its fixed folder. */
function exists(p: string, bases: string[]): boolean {
  const at = p.search(/[<*{]/);
  const fixed = at === -1 ? p : p.slice(0, p.lastIndexOf('/', at) + 1);
  const tries = at === -1 ? [fixed, fixed.replace(/\.js$/, '.ts')] : [fixed];
  return bases.some((b) => tries.some((t) => existsSync(join(b, t))));
}

/** `file:line path` for each path `pattern` finds in `file` that exists under none of `bases`. */
function missingIn(file: string, pattern: RegExp, bases: string[], opts: { skipTitle?: boolean } = {}): string[] {
  const out: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      // A folder README's title (`# src/app/workers: ...`) names the folder, not a reference.
      if (opts.skipTitle && i === 0) return;
      for (const m of line.matchAll(pattern)) {
        const p = m[1]!;
        if (EXAMPLES.has(p) || exists(p, bases)) continue;
        out.push(`${relative(ROOT, file)}:${i + 1} ${p}`);
      }
    });
  return out;
}

test('README.md and docs/*.md name only paths that exist', () => {
  const docs = [join(ROOT, 'README.md')];
  for (const n of readdirSync(join(ROOT, 'docs'))) if (n.endsWith('.md')) docs.push(join(ROOT, 'docs', n));
  const missing = docs.flatMap((f) => missingIn(f, ROOTED, [ROOT, join(ROOT, 'src')]));
  assert.deepEqual(missing, [], `paths that do not exist:\n${missing.join('\n')}`);
});

test('every folder under src/ has a README.md, and it names only files that exist', () => {
  const readmes = folderReadmes(join(ROOT, 'src'));
  const folders = new Set(readmes.map((f) => dirname(f)));
  const bare = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      if (!statSync(p).isDirectory() || n === 'static') return [];
      // commands/ and tools/ are described by their parent's README (cli/, mcp/).
      const own = ['commands', 'tools'].includes(n) ? [] : folders.has(p) ? [] : [relative(ROOT, p)];
      return [...own, ...bare(p)];
    });
  assert.deepEqual(bare(join(ROOT, 'src')), [], 'folders without a README.md');
  const missing = readmes.flatMap((f) =>
    missingIn(f, NAMED, [dirname(f), join(ROOT, 'src'), ROOT], { skipTitle: true }),
  );
  assert.deepEqual(missing, [], `paths that do not exist:\n${missing.join('\n')}`);
});
