import { describe, expect, it } from "vitest";
import { EAGAIN } from "../../../linux-abi/errno.ts";
import { SIGINT, SIGTSTP } from "../../../linux-abi/signal.ts";
import { ICANON, IXON, NOFLSH, OPOST, VMIN, VTIME } from "../../../linux-abi/termios.ts";
import { LineDiscipline, N_TTY_BUF_SIZE } from "../../../libos/line_discipline.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A line discipline whose output and signals are recorded; `room` bounds what writes may emit. */
function tty(room = 1 << 20): { ld: LineDiscipline; out: () => string; signals: number[] } {
  const emitted: Uint8Array[] = [];
  const signals: number[] = [];
  const ld = new LineDiscipline({
    emit: (b) => void emitted.push(b.slice()),
    outputRoom: () => room - emitted.reduce((n, b) => n + b.length, 0),
    signal: (sig) => void signals.push(sig),
    changed: () => {},
  });
  const out = (): string => dec(Uint8Array.from(emitted.splice(0).flatMap((b) => [...b])));
  return { ld, out, signals };
}

function read(ld: LineDiscipline, max = 64): string | number {
  const b = new Uint8Array(max);
  const n = ld.read(b);
  return n < 0 ? n : dec(b.subarray(0, n));
}

describe("LineDiscipline canonical input", () => {
  it("receive() echoes with ONLCR and read() returns one line at a time", () => {
    const { ld, out } = tty();
    ld.receive(enc("one\ntwo\nthr"));
    expect(out()).toBe("one\r\ntwo\r\nthr");
    expect(read(ld)).toBe("one\n");
    expect(read(ld)).toBe("two\n");
    expect(read(ld)).toBe(-EAGAIN);
    expect(ld.available).toBe(0);
  });

  it("turns CR into NL (ICRNL) and EOF ends a line without being read; alone it reads 0", () => {
    const { ld } = tty();
    ld.receive(enc("a\rab\x04\x04"));
    expect(read(ld)).toBe("a\n");
    expect(read(ld)).toBe("ab");
    expect(read(ld)).toBe("");
  });

  it("edits the line: ERASE, KILL and WERASE with their echoes (ECHOE, ECHOKE)", () => {
    const { ld, out } = tty();
    ld.receive(enc("abx\x7fc\n"));
    expect(out()).toBe("abx\b \bc\r\n");
    expect(read(ld)).toBe("abc\n");
    ld.receive(enc("junk\x15ok\n"));
    expect(out()).toBe("junk" + "\b \b".repeat(4) + "ok\r\n");
    expect(read(ld)).toBe("ok\n");
    ld.receive(enc("one two\x17three\n"));
    expect(read(ld)).toBe("one three\n");
  });

  it("erases a control character echoed as ^X by two columns, and never past a finished line", () => {
    const { ld, out } = tty();
    ld.receive(enc("x\n\x01\x7f\x7f"));
    expect(out()).toBe("x\r\n^A\b \b\b \b");
    expect(read(ld)).toBe("x\n");
    expect(read(ld)).toBe(-EAGAIN);
  });

  it("LNEXT takes the next character literally: ^V^C is data, not SIGINT", () => {
    const { ld, out, signals } = tty();
    ld.receive(enc("\x16\x03\n"));
    expect(signals).toEqual([]);
    expect(out()).toBe("^\b^C\r\n");
    expect(read(ld)).toBe("\x03\n");
  });

  it("keeps at most N_TTY_BUF_SIZE-1 bytes of a line, but still takes its end", () => {
    const { ld } = tty();
    expect(ld.receive(new Uint8Array(5000).fill(0x61))).toBe(5000);
    ld.receive(enc("\n"));
    const line = read(ld, 8192) as string;
    expect(line.length).toBe(N_TTY_BUF_SIZE);
    expect(line.endsWith("a\n")).toBe(true);
  });
});

describe("LineDiscipline signals", () => {
  it("^C signals SIGINT, drops the pending input and echoes ^C; with NOFLSH the input stays", () => {
    const { ld, out, signals } = tty();
    ld.receive(enc("partial\x03"));
    expect(signals).toEqual([SIGINT]);
    expect(out()).toBe("^C");
    ld.receive(enc("\n"));
    expect(read(ld)).toBe("\n");
    ld.setTermios({ ...ld.termios, c_lflag: ld.termios.c_lflag | NOFLSH });
    ld.receive(enc("kept\x1a\n"));
    expect(signals).toEqual([SIGINT, SIGTSTP]);
    expect(read(ld)).toBe("kept\n");
  });
});

describe("LineDiscipline raw input (VMIN, VTIME)", () => {
  function raw(vmin: number, vtime: number): ReturnType<typeof tty> {
    const t = tty();
    const termios = t.ld.termios;
    termios.c_lflag &= ~ICANON;
    termios.c_cc[VMIN] = vmin;
    termios.c_cc[VTIME] = vtime;
    t.ld.setTermios(termios);
    return t;
  }

  it("VMIN 3: a read waits for three bytes (or as many as asked)", () => {
    const { ld } = raw(3, 0);
    ld.receive(enc("ab"));
    expect(ld.readable()).toBe(false);
    expect(read(ld)).toBe(-EAGAIN);
    expect(read(ld, 2)).toBe("ab");
    ld.receive(enc("cde"));
    expect(read(ld)).toBe("cde");
  });

  it("VMIN 0 VTIME 0 reads 0 at once; VMIN 0 VTIME 5 lets a read wait 500 ms", () => {
    expect(read(raw(0, 0).ld)).toBe("");
    const { ld } = raw(0, 5);
    expect(read(ld)).toBe(-EAGAIN);
    expect(ld.readTimeout()).toBe(500);
  });

  it("a partial line becomes readable when ICANON goes off", () => {
    const { ld } = tty();
    ld.receive(enc("half"));
    expect(read(ld)).toBe(-EAGAIN);
    ld.setTermios({ ...ld.termios, c_lflag: ld.termios.c_lflag & ~ICANON });
    expect(read(ld)).toBe("half");
  });
});

describe("LineDiscipline output", () => {
  it("write() maps NL to CR NL under OPOST, and passes bytes as they are without it", () => {
    const { ld, out } = tty();
    expect(ld.write(enc("a\nb"))).toBe(3);
    expect(out()).toBe("a\r\nb");
    ld.setTermios({ ...ld.termios, c_oflag: ld.termios.c_oflag & ~OPOST });
    ld.write(enc("a\nb"));
    expect(out()).toBe("a\nb");
  });

  it("takes only what the output has room for, and waits (EAGAIN) when it has none", () => {
    const { ld, out } = tty(4);
    expect(ld.write(enc("ab\ncd"))).toBe(3);
    expect(out()).toBe("ab\r\n");
  });

  it("drops echoes the output has no room for (a master nobody reads cannot grow without bound)", () => {
    const { ld, out } = tty(4);
    expect(ld.receive(enc("abcdefgh"))).toBe(8);
    expect(out()).toBe("abcd");
    ld.receive(enc("\n"));
    expect(read(ld)).toBe("abcdefgh\n");
  });

  it("IXON: STOP holds output until START", () => {
    const { ld, out } = tty();
    expect(ld.termios.c_iflag & IXON).toBe(IXON);
    ld.receive(enc("\x13"));
    expect(ld.write(enc("x"))).toBe(-EAGAIN);
    ld.receive(enc("\x11"));
    expect(ld.write(enc("x"))).toBe(1);
    expect(out()).toBe("x");
  });
});
