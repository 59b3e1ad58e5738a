/**
 * The ACP worker pane's input line, read from a raw-mode terminal: typed characters are echoed and kept, Enter
 * submits the line, Backspace removes a character, Ctrl-C interrupts, other escape sequences (arrows, function
 * keys) are dropped. A bracketed paste (`ESC[200~ ... ESC[201~`, which tmux's `paste-buffer -p` sends once the
 * pane asked for it, as send_to_worker's delivery does) is taken whole, its line breaks kept as newlines, so a
 * pasted multi-line message is one prompt sent by the Enter that follows it. Pure.
 */

export interface InputState {
  line: string;
  pasting: boolean;
  /** The start of an escape sequence cut by the end of a chunk. */
  pending: string;
}

export const newInput = (): InputState => ({ line: '', pasting: false, pending: '' });

export interface InputResult {
  /** Lines submitted by Enter, in order (blank ones left out). */
  submitted: string[];
  /** Text to write back to the terminal (the echo). */
  echo: string;
  /** Ctrl-C was pressed. */
  interrupt: boolean;
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Feeds `chunk` (terminal input) into `s`; returns what it submitted and what to echo. */
export function feedInput(s: InputState, chunk: string): InputResult {
  const out: InputResult = { submitted: [], echo: '', interrupt: false };
  let data = s.pending + chunk;
  s.pending = '';
  while (data.length) {
    if (data[0] === '\x1b') {
      if (data.startsWith(PASTE_START) || data.startsWith(PASTE_END)) {
        s.pasting = data.startsWith(PASTE_START);
        data = data.slice(PASTE_START.length);
        continue;
      }
      // eslint-disable-next-line no-control-regex -- a terminal's escape sequences are what this reads
      const m = /^\x1b(\[[0-?]*[ -/]*[@-~]|O.|[^[O])/.exec(data);
      if (!m) {
        // Incomplete: wait for the rest (a lone ESC stays pending until the next key).
        s.pending = data;
        break;
      }
      data = data.slice(m[0].length);
      continue;
    }
    const c = data[0]!;
    data = data.slice(1);
    if (c === '\r' || c === '\n') {
      if (s.pasting) {
        s.line += '\n';
        out.echo += '\r\n';
      } else {
        if (s.line.trim()) out.submitted.push(s.line);
        s.line = '';
        out.echo += '\r\n';
      }
    } else if (c === '\x7f' || c === '\b') {
      if (s.line && !s.line.endsWith('\n')) {
        s.line = [...s.line].slice(0, -1).join('');
        out.echo += '\b \b';
      }
    } else if (c === '\x03') {
      out.interrupt = true;
    } else if (c === '\t' || (c >= ' ' && !(c >= '\x80' && c <= '\x9f'))) {
      s.line += c;
      out.echo += c;
    }
  }
  return out;
}
