/** Agent cards on disk: one 0600 JSON file per running shim in a 0700 directory. */
import { chmodSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readIfExists, writeFileAtomic } from '../files.js';
import { AgentCardSchema, type AgentCard } from '../../core/external/shim-protocol.js';

export interface StoredCard {
  file: string;
  /** The parsed card, or undefined when the file is not a valid card. */
  card?: AgentCard;
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
  /** Every `*.json` file in the directory, parsed and validated; unreadable ones have no `card`. */
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

/** True when `path` (a shim's socket) exists. */
export function pathExists(path: string): boolean {
  return existsSync(path);
}
