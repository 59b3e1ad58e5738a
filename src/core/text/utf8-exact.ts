/**
 * Bytes as text of the same UTF-8 length: every valid UTF-8 sequence kept, every byte of an invalid one replaced by
 * `?` (one byte), so the text encodes back to exactly as many bytes (a node's usage mirror is kept in step by byte
 * offsets; a pane log may hold any bytes). Pure.
 */

/** The length of the valid UTF-8 sequence at `buf[i]`, or 0 when the byte there starts none. */
function sequenceAt(buf: Uint8Array, i: number): number {
  const b = buf[i]!;
  if (b < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => i + j < buf.length && buf[i + j]! >= lo && buf[i + j]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const [lo, hi] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** `buf` as a string whose UTF-8 encoding is `buf.length` bytes long (invalid bytes become `?`). */
export function utf8Exact(buf: Uint8Array): string {
  let out: Uint8Array | undefined;
  for (let i = 0; i < buf.length;) {
    const n = sequenceAt(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out ??= Uint8Array.from(buf);
    out[i] = 0x3f;
    i++;
  }
  return new TextDecoder().decode(out ?? buf);
}
