import { describe, expect, it } from "vitest";
import {
  MSG_MAX_WORDS,
  MessageInfo,
  clampLength,
  createMessageBuffer,
  getWord,
  getWordHi,
  getWordLo,
  setWord,
  setWordParts,
} from "../../../microkernel/message.ts";

describe("message", () => {
  it("createMessageBuffer() holds two uint32 per word", () => {
    expect(createMessageBuffer().length).toBe(MSG_MAX_WORDS * 2);
  });

  it("setWord() and getWord() are exact below 2^53", () => {
    const buf = createMessageBuffer();
    for (const v of [0, 1, 0xffffffff, 2 ** 32, 2 ** 53 - 1, 123456789012345]) {
      setWord(buf, 7, v);
      expect(getWord(buf, 7)).toBe(v);
    }
    setWord(buf, 0, 2 ** 32 + 5);
    expect([getWordLo(buf, 0), getWordHi(buf, 0)]).toEqual([5, 1]);
  });

  it("setWord() stores negatives as 64-bit two's complement", () => {
    const buf = createMessageBuffer();
    setWord(buf, 1, -1);
    expect([getWordLo(buf, 1), getWordHi(buf, 1)]).toEqual([0xffffffff, 0xffffffff]);
    setWord(buf, 1, -(2 ** 32));
    expect([getWordLo(buf, 1), getWordHi(buf, 1)]).toEqual([0, 0xffffffff]);
    setWord(buf, 1, -2);
    expect([getWordLo(buf, 1), getWordHi(buf, 1)]).toEqual([0xfffffffe, 0xffffffff]);
  });

  it("setWordParts() writes both halves", () => {
    const buf = createMessageBuffer();
    setWordParts(buf, 119, 0xdeadbeef, 0x12345678);
    expect(getWordLo(buf, 119)).toBe(0xdeadbeef);
    expect(getWordHi(buf, 119)).toBe(0x12345678);
  });

  it("clampLength() caps at MSG_MAX_WORDS like seL4", () => {
    expect(clampLength(500)).toBe(MSG_MAX_WORDS);
    expect(clampLength(-3)).toBe(0);
    expect(clampLength(4)).toBe(4);
  });

  it("MessageInfo.set() overwrites every field", () => {
    const info = new MessageInfo();
    info.set(9, 2, 1, 1);
    expect({ ...info }).toEqual({ label: 9, length: 2, extraCaps: 1, capsUnwrapped: 1 });
  });
});
