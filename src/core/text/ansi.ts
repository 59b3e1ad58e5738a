/** ANSI escape handling for pane output. */

// CSI, OSC (BEL or ST terminated), and two-character escapes.
const ANSI_RE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes terminal escape sequences, leaving printable text and newlines. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

/** The last `n` non-trailing-blank lines of `text`. */
export function tailLines(text: string, n: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(Math.max(0, lines.length - n)).join('\n');
}
