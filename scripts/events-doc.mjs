#!/usr/bin/env node
// Prints docs/events.md from src/core/session/event-types.ts and the hook mapping (build first). Usage:
//   node scripts/events-doc.mjs > docs/events.md
import { EVENT_TYPES } from '../dist/src/core/session/event-types.js';
import { hookEventsFor } from '../dist/src/core/session/hooks.js';
const rows = Object.entries(EVENT_TYPES).map(([type, meaning]) => {
  const hooks = hookEventsFor(type)
    .map((h) => `\`${h}\``)
    .join(', ');
  return `| \`${type}\` | ${hooks} | ${meaning} |`;
});
process.stdout.write(`# Session events

Everything a session does is a row in its event log (\`events\` in state.db), printed by \`run --wait\` and
shown live by the dashboard. This table is kept in step with \`src/core/session/event-types.ts\` by
test/unit/event-types.test.ts; regenerate it with \`node scripts/events-doc.mjs > docs/events.md\`.
The hook column names the hooks.json events an entry fires (README, "Hooks").

Rows written by an older crewmux may carry names that are not listed here; they are shown as written.

| Event | Hooks | What happened |
| --- | --- | --- |
${rows.join('\n')}
`);
