/** Agent cards on disk: one 0600 JSON file per running shim in a 0700 directory. */
import { chmodSync, lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readIfExists, writeFileAtomic } from '../system/files.js';
import { AgentCardSchema, type AgentCard } from '../../core/external/shim-protocol.js';

export interface StoredCard {
  file: string;
  /** The parsed card, or undefined when the file is not a valid card. */
  card?: AgentCard;
  /** Why the file does not count even if it parses: not a regular file, not ours, or not mode 0600. */
  problem?: string;
}

export interface CardStore {
  readonly dir: string;
  /** Path of the card and of the socket for shim `id`. */
  cardPath(id: string): string;
  socketPath(id: string): string;
  /** Creates the directory (0700) if missing. */
  ensure(): void;
  /** Writes `card` atomically with mode 0600 (the directory is created 0700). */
  write(card: AgentCard): string;
  /**
   * Every `*.json` file in the directory, parsed and validated; unreadable ones have no `card`, and one that is a
   * symlink or not a regular file, not owned by this user or not mode 0600 has a `problem` (and is not read).
   */
  list(): StoredCard[];
  /** Removes a file, ignoring one that is already gone. */
  remove(file: string): void;
}

/** A card store over `dir` (usually `<runtimeDir>/agents`). */
export function createCardStore(dir: string): CardStore {
  return {
    dir,
    cardPath: (id) => join(dir, `${id}.json`),
    socketPath: (id) => join(dir, `${id}.sock`),
    ensure() {
      ensureDir(dir, 0o700);
      try {
        chmodSync(dir, 0o700);
      } catch {
        /* not ours to change */
      }
    },
    write(card) {
      this.ensure();
      const file = join(dir, `${card.id}.json`);
      writeFileAtomic(file, JSON.stringify(AgentCardSchema.parse(card), null, 2) + '\n', 0o600);
      return file;
    },
    list() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return [];
      }
      return names
        .filter((n) => n.endsWith('.json'))
        .map((n) => {
          const file = join(dir, n);
          const problem = ownFileProblem(file, 0o600);
          if (problem) return { file, problem };
          const text = readIfExists(file);
          if (text === undefined) return { file };
          try {
            const parsed = AgentCardSchema.safeParse(JSON.parse(text));
            return parsed.success ? { file, card: parsed.data } : { file };
          } catch {
            return { file };
          }
        });
    },
    remove(file) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    },
  };
}

const myUid = () => process.getuid?.() ?? -1;

/** Why `file` is not a regular file of this user with exactly `mode` (lstat: a symlink is refused), or undefined. */
function ownFileProblem(file: string, mode: number): string | undefined {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    return `cannot stat it: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  if (st.isSymbolicLink()) return 'it is a symlink';
  if (!st.isFile()) return 'it is not a regular file';
  if (st.uid !== myUid()) return `it belongs to uid ${st.uid}, not ${myUid()}`;
  if ((st.mode & 0o777) !== mode) return `its mode is ${(st.mode & 0o777).toString(8)}, not ${mode.toString(8)}`;
  return undefined;
}

/**
 * True when `path` is a Unix socket owned by this user, itself and not through a symlink (lstat). A shim's socket
 * must pass this before crewmux talks to it; anyone else's socket could answer as an agent.
 */
export function isOwnSocket(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isSocket() && st.uid === myUid();
  } catch {
    return false;
  }
}
