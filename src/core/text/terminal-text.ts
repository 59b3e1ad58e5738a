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
