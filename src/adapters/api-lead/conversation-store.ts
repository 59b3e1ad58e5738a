/**
 * The API lead's conversation in SQLite (`conversation.db` in its state dir, 0600, WAL): one row per
 * message, appended before the next step runs, so a lead restarted by `crewmux resume` continues the same
 * conversation. Rows are validated when read back; a row that does not parse stops the load with an error.
 * A compaction is a `compaction` row holding the compacted conversation: load() starts from the last one,
 * and the rows before it stay in the file for the record.
 */
import Database from 'better-sqlite3';
import { z } from 'zod';
import { preparePrivateFile } from '../system/files.js';
import type { ConversationLog } from '../../app/ports/api-lead.js';

const Call = z.object({
  id: z.string(),
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
  argsError: z.string().optional(),
});
const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), text: z.string() }),
  z.object({ role: z.literal('assistant'), text: z.string(), calls: z.array(Call) }),
  z.object({
    role: z.literal('tool'),
    results: z.array(z.object({ id: z.string(), name: z.string(), text: z.string(), isError: z.boolean() })),
  }),
]);

/** The conversation log in `file` (created 0600 when missing). Close it with `close()`. */
export function openConversation(file: string, now: () => number = Date.now): ConversationLog & { close(): void } {
  preparePrivateFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(
    'CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, role TEXT NOT NULL, body TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO messages (ts, role, body) VALUES (?, ?, ?)');
  const since = db.prepare(
    "SELECT role, body FROM messages WHERE seq >= COALESCE((SELECT MAX(seq) FROM messages WHERE role = 'compaction'), 0) ORDER BY seq",
  );
  return {
    load: () =>
      (since.all() as { role: string; body: string }[]).flatMap((r) =>
        r.role === 'compaction' ? z.array(Message).parse(JSON.parse(r.body)) : [Message.parse(JSON.parse(r.body))],
      ),
    append(m) {
      insert.run(now(), m.role, JSON.stringify(m));
    },
    compact(messages) {
      insert.run(now(), 'compaction', JSON.stringify(messages));
    },
    close: () => db.close(),
  };
}
