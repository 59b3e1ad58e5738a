/** Rendering helpers for commands: commands return data, these print it. */

import type { Output } from '../app/ports/output.js';
import { escapeControls, escapeJsonControls } from '../core/text/terminal-text.js';

export type { Output };

/**
 * The process's Output: every line for people is written with its control characters escaped
 * (escapeControls: no escape sequence, OSC 52 clipboard write, DCS or C1 control from a worker's text
 * reaches the user's terminal), and JSON with the controls JSON.stringify leaves raw escaped too.
 */
export function processOutput(): Output {
  return {
    out: (line) => process.stdout.write(escapeControls(line) + '\n'),
    err: (line) => process.stderr.write(escapeControls(line) + '\n'),
    json: (data) => process.stdout.write(escapeJsonControls(JSON.stringify(data, null, 2)) + '\n'),
  };
}

/** A plain left-aligned text table; cells are single-line (newlines become spaces). */
export function table(headers: string[], rows: string[][]): string {
  const clean = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  const all = [headers, ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Shortens `s` to `n` characters with an ellipsis. */
export function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? one.slice(0, n - 1) + '…' : one;
}
