/**
 * Turning a terminal byte stream into text a model can read, and tracking the terminal modes an app
 * asked for (bracketed paste) from its output.
 */
import { stripAnsi } from './ansi.js';

/**
 * Plain text of raw terminal output: cursor jumps become line breaks, cursor-forward becomes spaces,
 * escapes and control characters go, runs of blank lines shrink to one. Lossy by design: it does not
 * emulate a screen.
 */
export function toPlainText(raw: string): string {
  const moved = raw
    // Cursor position / line moves (CUP, HVP, VPA, CNL, CPL, CUU, CUD) start a new visual line.
    .replace(/\u001b\[[0-9;]*[HfdEFAB]/g, '\n')
    // Cursor forward: spaces (capped so a stray large count cannot blow up the text).
    .replace(/\u001b\[(\d*)C/g, (_m, n: string) => ' '.repeat(Math.min(Number(n || '1'), 200)));
  return (
    stripAnsi(moved)
      .replace(/\r\n/g, '\n')
      .replace(/\r/g, '\n')
      // Other C0 controls (bell, backspace, shift-in/out, ...) except tab and newline.
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
  );
}

export interface PasteModeTracker {
  /** Feeds output as it arrives (chunks may split a sequence). */
  feed(chunk: string): void;
  /** True while the app has bracketed paste enabled (`ESC[?2004h` seen last). */
  bracketedPaste(): boolean;
}

/** Tracks `ESC[?2004h` / `ESC[?2004l` in an output stream; starts disabled. */
export function createPasteModeTracker(): PasteModeTracker {
  let on = false;
  let carry = '';
  return {
    feed(chunk) {
      const s = carry + chunk;
      const h = s.lastIndexOf('\u001b[?2004h');
      const l = s.lastIndexOf('\u001b[?2004l');
      if (h >= 0 || l >= 0) on = h > l;
      carry = s.slice(-7);
    },
    bracketedPaste: () => on,
  };
}

/** Wraps `text` in bracketed-paste markers, removing any markers inside it so it cannot end the paste early. */
export function bracketPaste(text: string): string {
  return `\u001b[200~${text.replace(/\u001b\[20[01]~/g, '')}\u001b[201~`;
}

// C0 controls but tab and newline (ESC starts every escape sequence; CR is Enter; ETX is Ctrl-C), DEL,
// the C1 controls (U+0080-U+009F: 8-bit CSI, OSC, DCS, ST) and the bidi embeddings, overrides and isolates
// that reorder what a reader sees.
const UNSAFE_CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that cannot act as keys or terminal commands: CRLF becomes LF, then every control character except
 * tab and newline becomes a visible escape (`ESC` -> `\x1b`, CR -> `\x0d`, U+202E -> `\u202e`), so escape
 * sequences (the bracketed-paste end `ESC[201~`, OSC 52 clipboard writes, DCS, CSI) show as plain text
 * and never reach a terminal whole. Everything crewmux types into a pane or prints for a person passes
 * through here. Pure and idempotent.
 */
export function escapeControls(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNSAFE_CONTROL_RE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * JSON text (JSON.stringify output) with the controls JSON.stringify leaves raw (DEL, C1, bidi controls)
 * written as `\uXXXX` escapes: the same value for a parser, nothing a terminal acts on. Pure.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
