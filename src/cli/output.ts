/** Rendering helpers for commands: commands return data, these print it. */

import type { Output } from '../app/ports/output.js';
import { escapeControls, escapeJsonControls } from '../core/text/terminal-text.js';

export type { Output };

const writers = new WeakMap<NodeJS.WritableStream, (text: string) => void>();

/**
 * The one way the CLI writes to stdout or stderr: once the reader has gone (`crewmux doctor | head -1`:
 * EPIPE, or the stream already destroyed) every later write is dropped quietly, and the command finishes
 * its work and exits with its own code instead of dying with a stack trace midway. Other stream errors
 * still surface. One writer per stream, however often it is asked for.
 */
export function pipeSafeWriter(stream: NodeJS.WritableStream & { destroyed?: boolean }): (text: string) => void {
  const known = writers.get(stream);
  if (known) return known;
  let gone = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      gone = true;
      return;
    }
    throw e;
  });
  const write = (text: string) => {
    if (gone || stream.destroyed) return;
    try {
      stream.write(text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      gone = true;
    }
  };
  writers.set(stream, write);
  return write;
}

/**
 * The process's Output: every line for people is written with its control characters escaped
 * (escapeControls: no escape sequence, OSC 52 clipboard write, DCS or C1 control from a worker's text
 * reaches the user's terminal), and JSON with the controls JSON.stringify leaves raw escaped too. Both
 * streams go through pipeSafeWriter.
 */
export function processOutput(): Output {
  const stdout = pipeSafeWriter(process.stdout);
  const stderr = pipeSafeWriter(process.stderr);
  return {
    out: (line) => stdout(escapeControls(line) + '\n'),
    err: (line) => stderr(escapeControls(line) + '\n'),
    json: (data) => stdout(escapeJsonControls(JSON.stringify(data, null, 2)) + '\n'),
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
