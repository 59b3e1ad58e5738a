/** Rendering helpers for commands: commands return data, these print it. */

import type { Output } from '../app/ports/output.js';

export type { Output };

export function processOutput(): Output {
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    json: (data) => process.stdout.write(JSON.stringify(data, null, 2) + '\n'),
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
