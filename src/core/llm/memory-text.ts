/**
 * Memory as text: splitting memory files into searchable chunks, turning a worker's task into an FTS5
 * query, fitting the best hits into a prompt budget, and writing a session's episode. Pure; the index
 * lives in adapters/llm/memory-index.ts, the files in app/llm/memory.ts.
 */
import type { RunReport } from '../session/report.js';
import { usageLine } from '../usage/summary.js';

export type MemoryKind = 'topic' | 'episode';

/** One searchable piece of a memory file: its title (file title + section heading) and text. */
export interface MemoryChunk {
  title: string;
  body: string;
}

/** A chunk found by a search, best first; `rank` is FTS5 bm25 (lower is better). */
export interface MemoryHit {
  file: string;
  kind: MemoryKind;
  scope: 'project' | 'global';
  title: string;
  body: string;
  rank: number;
}

/** Longest chunk kept whole; a longer section is cut into pieces of about this size at line ends. */
const CHUNK_CHARS = 1_800;

function pieces(text: string): string[] {
  if (text.length <= CHUNK_CHARS) return [text];
  const out: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current && current.length + line.length + 1 > CHUNK_CHARS) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${line.slice(0, CHUNK_CHARS)}` : line.slice(0, CHUNK_CHARS);
  }
  if (current) out.push(current);
  return out;
}

/**
 * A line that only states that something did not happen ("- no verify failed in this session",
 * "- no verify ran", "- none"): crewmux's own older episodes wrote them, and they teach a worker nothing.
 */
const ABSENCE =
  /^(?:[-*]\s*)?(?:none|nothing(?: happened)?|no (?:verify|verifies|workers?|merges?|changes|lessons?|failures?|errors?|problems?|issues?)(?: (?:failed|ran|run|spawned|merged|found|happened))?(?: in this session)?)\.?$/i;

/** True when every non-empty line of `body` only states an absence (see ABSENCE): a non-lesson, never retrieved. */
export function isNonLesson(body: string): boolean {
  const lines = body
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length > 0 && lines.every((l) => ABSENCE.test(l));
}

/**
 * Splits a markdown memory file into chunks at `## ` headings; each chunk's title is the file's
 * `# ` title (else `name`) joined with the section heading. Empty sections and non-lessons
 * (isNonLesson) are dropped.
 */
export function splitMemoryFile(text: string, name: string): MemoryChunk[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const h1 = lines.find((l) => /^# \S/.test(l));
  const fileTitle = h1 ? h1.slice(2).trim() : name;
  const sections: { heading: string; lines: string[] }[] = [{ heading: '', lines: [] }];
  for (const line of lines) {
    if (line === h1) continue;
    if (/^## \S/.test(line)) sections.push({ heading: line.slice(3).trim(), lines: [] });
    else sections.at(-1)!.lines.push(line);
  }
  return sections.flatMap((s) => {
    const body = s.lines.join('\n').trim();
    if (!body || isNonLesson(body)) return [];
    const title = s.heading ? `${fileTitle} / ${s.heading}` : fileTitle;
    return pieces(body).map((p) => ({ title, body: p }));
  });
}

const STOPWORDS = new Set(
  (
    'a an and are as at be but by can do does for from has have how i if in into is it its of on or ' +
    'so than that the then there these this those to was were what when where which who will with without you your ' +
    'should must make sure each all any not no use using add new file files code please task worker'
  ).split(' '),
);

/**
 * An FTS5 MATCH expression for free text: its distinct words (3+ letters, no stopwords, at most 24),
 * each quoted (so no word can be FTS5 syntax) and joined with OR; undefined when no word is left.
 */
export function ftsQuery(text: string): string | undefined {
  const words = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}_]{3,}/gu)) {
    if (!STOPWORDS.has(m[0])) words.add(m[0]);
    if (words.size >= 24) break;
  }
  return words.size ? [...words].map((w) => `"${w}"`).join(' OR ') : undefined;
}

/**
 * The prompt block for `hits` (best first) within `budget` characters: whole chunks only, each headed
 * by its title and source file; a chunk that does not fit, or states only an absence (an index built
 * before such chunks were dropped), is skipped. `used` names what went in.
 */
export function memoryBlock(hits: MemoryHit[], budget: number): { text: string; used: string[] } {
  const parts: string[] = [];
  const used: string[] = [];
  let left = budget;
  for (const h of hits) {
    if (isNonLesson(h.body)) continue;
    const piece = `### ${h.title} (${h.scope} ${h.kind}: ${h.file})\n${h.body.trim()}\n`;
    if (piece.length > left) continue;
    left -= piece.length;
    parts.push(piece);
    used.push(h.title);
  }
  return { text: parts.join('\n'), used };
}

/** What a session's episode is written from: its report, and the failed verify outputs. */
export interface EpisodeInput {
  report: RunReport;
  lead: string;
  startedAt: number;
  endedAt: number;
  /** Per failed verify command: its output tail, in run order. */
  failures: { commit: string; command: string; exitCode: number | null; timedOut: boolean; tail: string }[];
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The lessons of a run's verify history: each command that failed, its output tail, and whether a
 * later verify passed it (so the next worker knows what broke and that it can be fixed).
 */
export function verifyLessons(input: EpisodeInput): string[] {
  const passedLater = (command: string, after: number) =>
    input.report.verifies
      .slice(after + 1)
      .some((v) => v.commands.some((c) => c.command === command && c.exitCode === 0));
  const lessons: string[] = [];
  input.failures.forEach((f) => {
    const idx = input.report.verifies.findIndex((v) => v.commit === f.commit);
    const how = f.timedOut ? 'timed out' : `exited ${f.exitCode}`;
    const fixed = passedLater(f.command, idx) ? 'later fixed and passing' : 'still failing at the end';
    const tail = f.tail.trim()
      ? f.tail
          .trim()
          .split('\n')
          .slice(-8)
          .map((l) => `    ${clip(l, 200)}`)
          .join('\n')
      : '';
    lessons.push(`- \`${f.command}\` ${how} on ${f.commit.slice(0, 10)} (${fixed})${tail ? `:\n${tail}` : ''}`);
  });
  return lessons;
}

/**
 * True when a session did something worth remembering: a worker was spawned (merged or not) or a verify
 * ran. A session that ended with neither writes no episode.
 */
export function episodeWorthWriting(report: RunReport): boolean {
  return report.workers.length > 0 || report.verifies.length > 0;
}

/**
 * An episode file: goal, outcome, workers, verify results and what the failures taught. A section with
 * nothing to say is left out, never written as "none" or "no verify failed".
 */
export function renderEpisode(input: EpisodeInput): string {
  const r = input.report;
  const day = new Date(input.endedAt).toISOString().slice(0, 10);
  const lines = [
    `# Episode ${r.sessionId}: ${clip(firstLine(r.goal), 100)}`,
    '',
    `- date: ${day}`,
    `- outcome: ${r.outcome} (${clip(firstLine(r.reason), 300)})`,
    `- lead: ${input.lead}; workers: ${r.workers.length}; minutes: ${Math.max(0, Math.round((input.endedAt - input.startedAt) / 60_000))}`,
    `- integration branch: ${r.integrationBranch}`,
    ...(r.usage ? [`- ${usageLine(r.usage)}`] : []),
    '',
    '## Goal',
    clip(r.goal.trim(), 4_000),
  ];
  if (r.summary) lines.push('', '## Summary', r.summary.trim());
  if (r.workers.length) lines.push('', '## Workers');
  for (const w of r.workers)
    lines.push(
      `- ${w.id} (${w.agent}, ${w.perspective}) ${w.state}${w.diffstat ? `, ${w.diffstat}` : ''}: ${clip(firstLine(w.summary ?? 'no summary'), 300)}`,
    );
  if (r.verifies.length) lines.push('', '## Verify');
  for (const v of r.verifies)
    lines.push(
      `- ${v.passed ? 'passed' : 'failed'} on ${v.commit.slice(0, 10)}: ${v.commands.map((c) => `\`${c.command}\` → ${c.exitCode ?? 'timeout'}`).join(', ')}`,
    );
  const lessons = verifyLessons(input);
  if (lessons.length) lines.push('', '## Lessons from verify failures', ...lessons);
  return `${lines.join('\n')}\n`;
}
