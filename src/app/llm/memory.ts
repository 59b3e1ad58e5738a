/**
 * Memory: markdown files under a project's .crewmux/memory/{topics,episodes}
 * and the data dir's memory/{topics,episodes}, indexed with SQLite FTS5. spawn_worker retrieves the
 * best chunks into the worker's prompt; every session writes an episode when it ends.
 */
import { join, relative, sep } from 'node:path';
import { ensureDir, listFilesBelow, readText, writeFileAtomic } from '../../adapters/system/files.js';
import { openMemoryIndex, type MemoryIndex } from '../../adapters/llm/memory-index.js';
import type { Runtime } from '../runtime.js';
import type { Paths } from '../session/paths.js';
import {
  ftsQuery,
  memoryBlock,
  renderEpisode,
  splitMemoryFile,
  type EpisodeInput,
  type MemoryHit,
  type MemoryKind,
} from '../../core/llm/memory-text.js';

/** Default prompt budget of the memory block, in characters. */
export const MEMORY_BUDGET = 4_000;

export interface MemoryRoots {
  /** <repo>/.crewmux/memory */
  project: string;
  /** <data dir>/memory */
  global: string;
}

export interface MemoryFileInfo {
  scope: 'project' | 'global';
  kind: MemoryKind;
  path: string;
  rel: string;
  size: number;
}

/** The memory dir of a repository. */
export const projectMemoryDir = (repoRoot: string) => join(repoRoot, '.crewmux', 'memory');

const kindOf = (rel: string): MemoryKind | undefined => {
  const top = rel.split(sep)[0];
  return top === 'topics' ? 'topic' : top === 'episodes' ? 'episode' : undefined;
};

export type Memory = ReturnType<typeof createMemory>;

/** The memory of `repoRoot` (undefined: global memory only) with the data dir's index: what the supervisor and `crewmux memory` open. */
export function openMemory(paths: Paths, repoRoot: string | undefined): Memory {
  return createMemory({
    indexFile: join(paths.dataDir, 'memory-index.db'),
    roots: {
      project: repoRoot ? projectMemoryDir(repoRoot) : join(paths.dataDir, 'no-project'),
      global: paths.memoryDir,
    },
  });
}

/**
 * Memory over `roots`, indexed in the SQLite file `indexFile`. Every read first brings the index up
 * to date with the files (changed mtime or size re-indexed, deleted files dropped); close() when done.
 */
export function createMemory(opts: { indexFile: string; roots: MemoryRoots }) {
  ensureDir(join(opts.indexFile, '..'));
  const index: MemoryIndex = openMemoryIndex(opts.indexFile);
  const scopes = [
    ['project', opts.roots.project],
    ['global', opts.roots.global],
  ] as const;

  function files(): MemoryFileInfo[] {
    return scopes.flatMap(([scope, root]) =>
      listFilesBelow(root, '.md').flatMap((f) => {
        const rel = relative(root, f.path);
        const kind = kindOf(rel);
        return kind ? [{ scope, kind, path: f.path, rel, size: f.size, mtimeMs: f.mtimeMs }] : [];
      }),
    );
  }

  function sync(): void {
    for (const [scope, root] of scopes) {
      const known = new Map(index.files([root]).map((f) => [f.path, f]));
      for (const f of listFilesBelow(root, '.md')) {
        const rel = relative(root, f.path);
        const kind = kindOf(rel);
        if (!kind) continue;
        const had = known.get(f.path);
        known.delete(f.path);
        if (had && had.mtimeMs === f.mtimeMs && had.size === f.size) continue;
        let text: string;
        try {
          text = readText(f.path);
        } catch {
          continue;
        }
        index.put(
          { path: f.path, root, rel, scope, kind, mtimeMs: f.mtimeMs, size: f.size },
          splitMemoryFile(text, rel),
        );
      }
      for (const gone of known.keys()) index.remove(gone);
    }
  }

  return {
    files: () => files().map(({ scope, kind, path, rel, size }) => ({ scope, kind, path, rel, size })),

    /** The best chunks for free text `text`, best first (at most `limit`, default 8). */
    search(text: string, limit = 8): MemoryHit[] {
      sync();
      const q = ftsQuery(text);
      return q
        ? index.search(
            q,
            scopes.map(([, root]) => root),
            limit,
          )
        : [];
    },

    /** The prompt block for `text` within `budget` characters, or undefined when nothing matches. */
    retrieve(text: string, budget = MEMORY_BUDGET): { text: string; used: string[] } | undefined {
      const block = memoryBlock(this.search(text, 12), budget);
      return block.used.length ? block : undefined;
    },

    /** Writes the episode of a session to `scope`'s episodes/ (dated file named by session id); returns its path. */
    writeEpisode(input: EpisodeInput, scope: 'project' | 'global'): string {
      const root = scope === 'project' ? opts.roots.project : opts.roots.global;
      const file = join(
        root,
        'episodes',
        `${new Date(input.endedAt).toISOString().slice(0, 10)}-${input.report.sessionId}.md`,
      );
      // A project's episodes are committed with the repository; the global ones stay private like the data dir.
      const shared = scope === 'project';
      ensureDir(join(root, 'episodes'), shared ? 0o755 : 0o700);
      writeFileAtomic(file, renderEpisode(input), shared ? 0o644 : 0o600);
      return file;
    },

    close: () => index.close(),
  };
}

/**
 * The memory block for a new worker: the best chunks for its task, perspective, file scope and pass
 * criteria within `budget` characters; an event names what went in. Undefined when nothing matches.
 */
export function retrieveMemory(
  rt: Runtime,
  input: { task: string; perspective: string; fileScope?: string[]; passCriteria?: string },
  budget: number,
): { title: string; text: string } | undefined {
  if (!rt.memory) return undefined;
  try {
    const found = rt.memory.retrieve(
      [input.task, input.perspective, ...(input.fileScope ?? []), input.passCriteria ?? ''].join('\n'),
      budget,
    );
    if (!found) return undefined;
    rt.events.emit('memory.retrieved', `memory for the next worker: ${found.used.join('; ')}`, null, {
      used: found.used,
    });
    return {
      title: `Memory: ${found.used.length} note${found.used.length === 1 ? '' : 's'} from .crewmux/memory and earlier sessions`,
      text: found.text,
    };
  } catch (e) {
    rt.events.emit('memory.failed', `memory retrieval failed: ${(e as Error).message}`);
    return undefined;
  }
}
