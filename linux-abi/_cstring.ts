// NUL-terminated UTF-8 strings inside fixed-size C fields, written without a TextEncoder
// buffer (no allocation).

/** The UTF-8 length of `s` in bytes, without a terminating NUL. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4; // a surrogate pair: one 4-byte sequence
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Write `s` as UTF-8 at `offset`, cut to `capacity - 1` bytes (never inside a character),
 * then fill the rest of the `capacity`-byte field with NULs. Returns the bytes of text written.
 */
export function writeCString(view: DataView, offset: number, s: string, capacity: number): number {
  const limit = capacity - 1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
    }
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (n + size > limit) break;
    if (size === 1) view.setUint8(offset + n, c);
    else if (size === 2) {
      view.setUint8(offset + n, 0xc0 | (c >> 6));
      view.setUint8(offset + n + 1, 0x80 | (c & 0x3f));
    } else if (size === 3) {
      view.setUint8(offset + n, 0xe0 | (c >> 12));
      view.setUint8(offset + n + 1, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(offset + n + 2, 0x80 | (c & 0x3f));
    } else {
      view.setUint8(offset + n, 0xf0 | (c >> 18));
      view.setUint8(offset + n + 1, 0x80 | ((c >> 12) & 0x3f));
      view.setUint8(offset + n + 2, 0x80 | ((c >> 6) & 0x3f));
      view.setUint8(offset + n + 3, 0x80 | (c & 0x3f));
      i++;
    }
    n += size;
  }
  for (let i = n; i < capacity; i++) view.setUint8(offset + i, 0);
  return n;
}

