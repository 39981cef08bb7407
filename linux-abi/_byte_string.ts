// Byte strings: how the LibOS holds a path, a file name or any other C string of the guest's.
// Linux names are bytes, not text (any byte but NUL and, in a name, "/"). A byte string is a
// JS string with one code unit per byte (0-255): the bytes decoded as latin1. So splitting on
// "/", prefix tests and Map keys work as on text, and no byte sequence is lost or merged with
// another, as UTF-8 decoding would do ("\xff" and "\xfe" both becoming U+FFFD).
//
//   guest memory ──bytesToString──► byte string ──stringToBytes──► guest memory, host calls
//   host text (argv, cwd, -v) ──byteStringOfHost──► byte string ──displayOf──► a message
//
// Node's latin1 is the real ISO-8859-1 (byte n is U+00nn); TextDecoder("latin1") is not
// (it is windows-1252, which maps 0x80-0x9f elsewhere), so Buffer does the work.

import { Buffer } from "node:buffer";

/** The byte string of `bytes`. */
export function bytesToString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** The bytes of byte string `s` (a Buffer: node:fs takes it as a path). */
export function stringToBytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** Copies byte string `s` into `dst` at `at`; returns the bytes written (s.length). */
export function writeByteString(dst: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) dst[at + i] = s.charCodeAt(i);
  return s.length;
}

/** True if every code unit of `s` is a byte. */
export function isByteString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** The byte string of host text (a command-line argument, the host cwd): its UTF-8 bytes. */
export function byteStringOfHost(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** The host text whose UTF-8 bytes byte string `s` holds (byteStringOfHost undone). */
export function hostTextOf(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** Byte string `s` as text for a message to the user: UTF-8 where valid, other bytes as \xNN. */
export function displayOf(s: string): string {
  const text = hostTextOf(s);
  if (!text.includes("\ufffd")) return text;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 0x80 ? s[i] : `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return out;
}
