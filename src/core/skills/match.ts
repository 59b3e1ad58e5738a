/**
 * Which skills apply to a worker: keywords match as whole words (not substrings) in the task, file
 * globs (with `**` spanning folders) match the file scope and paths named in the task, and a
 * perspective trigger matches that perspective. Pure.
 */
import type { SkillTriggers } from './manifest.js';

export interface MatchInput {
  task: string;
  fileScope?: string[];
  perspective: string;
}

export interface MatchResult {
  matched: boolean;
  /** Higher is more specific: file 3, keyword 2, perspective 1 per hit. */
  score: number;
  /** What matched, e.g. `keyword "sql"`, `file src/db.sql ~ **\/*.sql`, `perspective tester`. */
  reasons: string[];
}

const WORD = '[\\p{L}\\p{N}_]';

/** Whether `keyword` (a word or phrase; inner whitespace matches any whitespace) occurs as whole words in `text`, case-insensitively. */
export function containsKeyword(text: string, keyword: string): boolean {
  const words = keyword.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const body = words.map(escapeRe).join('\\s+');
  // Word edges only where the keyword itself starts/ends with a word character ("c++" ends in "+").
  const lead = new RegExp(`^${WORD}`, 'u').test(words[0]!) ? `(?<!${WORD})` : '';
  const trail = new RegExp(`${WORD}$`, 'u').test(words[words.length - 1]!) ? `(?!${WORD})` : '';
  return new RegExp(`${lead}${body}${trail}`, 'iu').test(text);
}

/**
 * Compiles a glob to an anchored RegExp over `/`-separated relative paths. `*` and `?` stay within a
 * folder, `**` spans folders (`**\/x` also matches `x`, `a/**` also matches `a`), `[...]` is a class,
 * `{a,b}` alternatives. A glob without `/` matches the file name at any depth, as in .gitignore.
 */
export function globToRegExp(glob: string): RegExp {
  return compileGlob(glob, true);
}

function compileGlob(glob: string, useBraces: boolean): RegExp {
  let g = glob.trim().replace(/^\.\//, '');
  if (!g.includes('/')) g = `**/${g}`;
  if (g.startsWith('/')) g = g.slice(1);
  let re = '';
  let braces = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atStart = i === 0 || g[i - 1] === '/';
        const next = g[i + 2];
        if (atStart && next === '/') {
          re += '(?:.*/)?';
          i += 2;
          continue;
        }
        if (atStart && next === undefined) {
          if (re.endsWith('/')) re = `${re.slice(0, -1)}(?:/.*)?`;
          else re += '.*';
          i += 1;
          continue;
        }
        re += '[^/]*';
        i += 1;
        continue; // `a**b` is just `*`, as in git
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = g.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let cls = g.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `(?!/)[${cls}]`;
      i = end;
    } else if (c === '{' && useBraces) {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += escapeRe(c);
  }
  if (braces > 0) return compileGlob(glob, false); // unbalanced: braces are literal
  return new RegExp(`^${re}$`);
}

/** Whether `path` (relative, `/` or `\` separated, an optional leading `./`) matches `glob`. */
export function matchesGlob(path: string, glob: string): boolean {
  const p = path.trim().replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return p !== '' && globToRegExp(glob).test(p);
}

/** Path-like tokens in free text: words with a `/` or a file extension (`src/a.ts`, `schema.sql`). */
export function pathsInText(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/[\p{L}\p{N}_.\-/\\]+/gu)) {
    const t = m[0].replace(/^[./\\]*(?=[\p{L}\p{N}_])/u, '').replace(/[.,:;]+$/, '');
    if (/[/\\]/.test(t) || /\.[A-Za-z0-9]{1,10}$/.test(t)) found.add(t);
  }
  return [...found];
}

/** Matches one skill's triggers against a worker's task, file scope and perspective. */
export function matchSkill(triggers: SkillTriggers, input: MatchInput): MatchResult {
  const reasons: string[] = [];
  let score = 0;
  for (const k of triggers.keywords) {
    if (containsKeyword(input.task, k)) {
      score += 2;
      reasons.push(`keyword "${k}"`);
    }
  }
  const paths = [...(input.fileScope ?? []), ...pathsInText(input.task)];
  for (const glob of triggers.files) {
    const hit = paths.find((p) => matchesGlob(p, glob));
    if (hit !== undefined) {
      score += 3;
      reasons.push(`file ${hit} ~ ${glob}`);
    }
  }
  if (triggers.perspectives.includes(input.perspective as never)) {
    score += 1;
    reasons.push(`perspective ${input.perspective}`);
  }
  return { matched: score > 0, score, reasons };
}

function escapeRe(s: string): string {
  // `/` is not special in a RegExp built from a string; escaping it would break `re.endsWith('/')`.
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
