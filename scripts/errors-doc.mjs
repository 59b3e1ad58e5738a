#!/usr/bin/env node
// Prints the table of docs/errors.md from src/core/errors.ts (build first). Usage:
//   node scripts/errors-doc.mjs > docs/errors.md
import { ERROR_CODES } from '../dist/src/core/errors.js';
// A '|' inside a cell would end it: written as '\|' (test/unit/errors-doc.test.ts reads it back).
const cell = (text) => text.replaceAll('|', '\\|');
const rows = Object.entries(ERROR_CODES).map(([code, [, what, fix]]) => `| ${code} | ${cell(what)} | ${cell(fix)} |`);
process.stdout.write(`# Error codes

Every user-facing failure of crewmux and crewmux-shim has a stable code, printed as \`[E_CODE]\` after the
message, with a \`fix:\` line. This table (codes and texts) is kept in step with \`src/core/errors.ts\`
by test/unit/errors-doc.test.ts; regenerate it with \`node scripts/errors-doc.mjs > docs/errors.md\`.

MCP tools do not use these codes: a tool's domain failure is an \`isError\` result whose text starts with
\`Error:\` and says what to do next.

| Code | What happened | How to fix |
| --- | --- | --- |
${rows.join('\n')}
`);
