/**
 * A bounded byte log of an agent's terminal output with absolute offsets (cursors), so readers can
 * continue where they stopped and repeated reads never overlap. Old bytes fall off the front once
 * more than `capacity` are held; offsets keep counting.
 */

export interface OutputSlice {
  /** Decoded text of bytes [start, next). */
  text: string;
  /** Offset of the first returned byte (may be past the requested cursor when bytes were dropped or skipped). */
  start: number;
  /** The cursor to pass to the next read. */
  next: number;
  /** Offset just past the newest byte held. */
  end: number;
  /** Bytes between the requested cursor and `start` that this read did not return. */
  skipped: number;
}

export interface OutputBuffer {
  append(chunk: Uint8Array | string): void;
  /** Offset of the oldest byte still held. */
  start(): number;
  end(): number;
  /**
   * Bytes from `cursor` (default: the newest `maxBytes`) up to `maxBytes` (default 65 536). With `newest`,
   * when more than `maxBytes` follow the cursor the newest ones are returned and the rest counted as skipped.
   * Never splits a UTF-8 character or (at the end) an escape sequence: those bytes stay for the next read.
   */
  read(cursor?: number, maxBytes?: number, newest?: boolean): OutputSlice;
}

interface Chunk {
  off: number;
  buf: Buffer;
}

/** Creates an empty buffer holding at most `capacity` bytes (default 1 MiB). */
export function createOutputBuffer(capacity = 1 << 20): OutputBuffer {
  const chunks: Chunk[] = [];
  let total = 0; // bytes ever appended
  let held = 0;

  const first = () => chunks[0]?.off ?? total;

  function bytes(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    for (const c of chunks) {
      const cEnd = c.off + c.buf.length;
      if (cEnd <= from || c.off >= to) continue;
      parts.push(c.buf.subarray(Math.max(0, from - c.off), Math.min(c.buf.length, to - c.off)));
    }
    return Buffer.concat(parts);
  }

  return {
    append(chunk) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      if (buf.length === 0) return;
      chunks.push({ off: total, buf });
      total += buf.length;
      held += buf.length;
      while (chunks.length > 1 && held - chunks[0]!.buf.length >= capacity) held -= chunks.shift()!.buf.length;
      // A single chunk larger than capacity is cut to its tail.
      const head = chunks[0]!;
      if (held > capacity && chunks.length === 1) {
        const cut = held - capacity;
        chunks[0] = { off: head.off + cut, buf: head.buf.subarray(cut) };
        held = capacity;
      }
    },
    start: first,
    end: () => total,
    read(cursor, maxBytes = 65_536, newest = false) {
      const max = Math.max(1, Math.floor(maxBytes));
      const lo = first();
      const wanted = cursor === undefined ? Math.max(lo, total - max) : Math.min(Math.max(0, cursor), total);
      let from = Math.max(wanted, lo);
      if (newest && total - from > max) from = total - max;
      let to = Math.min(total, from + max);
      let buf = bytes(from, to);
      // Do not start inside a UTF-8 character: skip continuation bytes.
      let s = 0;
      while (s < buf.length && s < 3 && (buf[s]! & 0xc0) === 0x80) s++;
      // Do not end inside a UTF-8 character.
      let e = buf.length;
      for (let i = 1; i <= 3 && buf.length - i >= s; i++) {
        const b = buf[buf.length - i]!;
        if ((b & 0xc0) === 0x80) continue;
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (need > i) e = buf.length - i;
        break;
      }
      // Do not end inside an escape sequence: leave a trailing incomplete one for the next read.
      const esc = buf.lastIndexOf(0x1b, e - 1);
      if (esc >= s && e - esc <= 64 && !isCompleteEscape(buf.subarray(esc, e).toString('latin1'))) e = esc;
      buf = buf.subarray(s, e);
      from += s;
      to = from + buf.length;
      return { text: buf.toString('utf8'), start: from, next: to, end: total, skipped: Math.max(0, from - wanted) };
    },
  };
}

// A complete CSI, OSC (BEL or ST), or two-character escape at the start of `s`.
const COMPLETE_ESC = /^\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[ -Z\\-_a-~])/;

function isCompleteEscape(s: string): boolean {
  return COMPLETE_ESC.test(s);
}
