// The line discipline of a terminal the kernel-task drives (a pseudo-terminal's slave):
// Linux's N_TTY (drivers/tty/n_tty.c), between the bytes a device receives (a pty master's
// writes) and what the terminal's readers get, and between the readers' writes and what
// goes out (to the master's readers).
//
//   receive(bytes)   input: ISTRIP, IGNCR/ICRNL/INLCR; with ISIG the INTR, QUIT and SUSP
//                    characters signal the foreground group; with IXON STOP/START hold and
//                    release output; with ICANON lines are edited (ERASE, WERASE, KILL,
//                    LNEXT, REPRINT) and end at NL, EOL, EOL2 or EOF; ECHO, ECHOE, ECHOK,
//                    ECHOKE, ECHONL and ECHOCTL say what is echoed
//   read(dst)        one line at most in canonical mode (EOF alone reads 0); otherwise
//                    VMIN and VTIME decide, with readTimeout() for the VTIME-only case
//   write(src)       output: OPOST with ONLCR, OCRNL, ONOCR, ONLRET, OLCUC and XTABS
//
// The input buffer holds N_TTY_BUF_SIZE bytes, as Linux's; past that a canonical line
// drops ordinary characters (a line end still gets in) and raw input waits (the
// writer sees EAGAIN). Output goes to `emit`, which the owner bounds with `outputRoom`
// (writes wait for room; echoes beyond it are dropped).
// Not done: ECHOPRT, IUCLC/XCASE, PARMRK, IMAXBEL's bell, IUTF8-aware erasing of a
// tab's width (a tab is erased by the columns it took).

import {
  ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, ISTRIP, IUTF8, IXANY, IXON,
  NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY, XTABS, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT,
  VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE, NCCS, type Termios,
} from "../linux-abi/termios.ts";
import { SIGINT, SIGQUIT, SIGTSTP } from "../linux-abi/signal.ts";
import { EAGAIN } from "../linux-abi/errno.ts";

export const N_TTY_BUF_SIZE = 4096;

// Flags per buffered byte: it ends a line; it is an EOF mark (read, never returned in canonical mode).
const LINE_END = 1;
const EOF_MARK = 2;

const BS = 0x08, TAB = 0x09, NL = 0x0a, CR = 0x0d, SPACE = 0x20, DEL = 0x7f, CARET = 0x5e;

/** Linux's tty_std_termios with a pty slave's cflag: cooked, echoing, ^C ^\ ^Z signal. */
export function defaultTermios(): Termios {
  // VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC 0, VSTART ^Q,
  // VSTOP ^S, VSUSP ^Z, VEOL 0, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2 0.
  const c_cc = Uint8Array.from([3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0]);
  return {
    c_iflag: ICRNL | IXON,
    c_oflag: OPOST | ONLCR,
    c_cflag: 0xbf, // B38400 | CS8 | CREAD
    c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    c_line: 0,
    c_cc,
  };
}

function isCntrl(c: number): boolean {
  return c < SPACE || c === DEL;
}

/** The owner's side: where output goes, how much it takes, and who gets the signals. */
export interface LineDisciplineOwner {
  /** Bytes out (processed writes and echoes). */
  emit(bytes: Uint8Array): void;
  /** How many more bytes `emit` takes now. */
  outputRoom(): number;
  /** A signal character was typed: signal the foreground process group. */
  signal(sig: number): void;
  /** Readiness changed (input arrived, output started or stopped). */
  changed(): void;
}

export class LineDiscipline {
  #termios: Termios = defaultTermios();
  readonly #buf = new Uint8Array(N_TTY_BUF_SIZE);
  readonly #flags = new Uint8Array(N_TTY_BUF_SIZE);
  /** Bytes buffered; the first `#canonEnd` form complete lines (canonical mode). */
  #len = 0;
  #canonEnd = 0;
  /** Special characters (a VDISABLE 0 entry is not one), rebuilt when termios changes. */
  readonly #special = new Uint8Array(256);
  #lnext = false;
  /** Output column, and the column the line being edited started at (for erasing tabs). */
  #column = 0;
  #canonColumn = 0;
  /** Output held by STOP (IXON) or TCOOFF. */
  stopped = false;
  /** performance.now() of the last input byte (VTIME's inter-byte timer). */
  #lastInput = 0;
  #interByteTimer: NodeJS.Timeout | null = null;
  readonly #echo: number[] = [];

  constructor(readonly owner: LineDisciplineOwner) {
    this.#mapSpecials();
  }

  get termios(): Termios {
    return { ...this.#termios, c_cc: this.#termios.c_cc.slice() };
  }

  /** TCSETS*: a change of ICANON makes what is buffered readable as it stands (n_tty_set_termios). */
  setTermios(t: Termios): void {
    const wasCanon = this.#canon;
    this.#termios = { ...t, c_cc: t.c_cc.slice(0, NCCS) };
    this.#mapSpecials();
    if (wasCanon !== this.#canon) {
      this.#flags.fill(0, 0, this.#len);
      if (this.#canon && this.#len > 0) this.#flags[this.#len - 1] = LINE_END;
      this.#canonEnd = this.#canon ? this.#len : 0;
      this.#lnext = false;
    }
    this.owner.changed();
  }

  /** c_lflag, read without copying termios (asked on every write). */
  get lflag(): number {
    return this.#termios.c_lflag;
  }

  /** Whether input would be taken now (a writer to the master would not wait). */
  get acceptsInput(): boolean {
    return this.#room();
  }

  get #canon(): boolean {
    return (this.#termios.c_lflag & ICANON) !== 0;
  }

  #mapSpecials(): void {
    const cc = this.#termios.c_cc;
    this.#special.fill(0);
    for (const i of [VINTR, VQUIT, VERASE, VKILL, VEOF, VSTART, VSTOP, VSUSP, VEOL, VREPRINT, VWERASE, VLNEXT, VEOL2]) {
      if (cc[i]) this.#special[cc[i]!] = 1;
    }
  }

  /** Bytes a read would find now (FIONREAD): complete lines only in canonical mode. */
  get available(): number {
    return this.#canon ? this.#canonEnd : this.#len;
  }

  /** TCIFLUSH, and a signal character without NOFLSH. */
  flushInput(): void {
    this.#len = 0;
    this.#canonEnd = 0;
    this.#lnext = false;
    this.owner.changed();
  }

  // ----- input ----------------------------------------------------------------------

  /** Input bytes from the device: how many were taken, or -EAGAIN when none fit. */
  receive(src: Uint8Array): number {
    let i = 0;
    for (; i < src.length; i++) {
      if (!this.#room()) break;
      this.#receiveChar(src[i]!);
    }
    this.#flushEcho();
    if (i > 0) {
      this.#lastInput = performance.now();
      this.owner.changed();
    }
    return i > 0 || src.length === 0 ? i : -EAGAIN;
  }

  /** Whether one more input byte can be taken (a canonical line still takes its end). */
  #room(): boolean {
    if (this.#len < N_TTY_BUF_SIZE - 1) return true;
    return this.#canon && this.#canonEnd < this.#len;
  }

  #receiveChar(c: number): void {
    const t = this.#termios, cc = t.c_cc;
    const iflag = t.c_iflag, lflag = t.c_lflag;
    if (iflag & ISTRIP) c &= 0x7f;
    if (this.#lnext) {
      this.#lnext = false;
      return this.#ordinary(c);
    }
    if (this.#special[c]) {
      if (iflag & IXON) {
        if (c === cc[VSTOP] && !this.stopped) return this.#setStopped(true);
        if (c === cc[VSTART]) return this.#setStopped(false);
        if (c === cc[VSTOP]) return;
      }
      if (lflag & ISIG) {
        const sig = c === cc[VINTR] ? SIGINT : c === cc[VQUIT] ? SIGQUIT : c === cc[VSUSP] ? SIGTSTP : 0;
        if (sig) return this.#signalChar(c, sig);
      }
    }
    if (this.stopped && iflag & IXON && iflag & IXANY) this.#setStopped(false);
    if (c === CR) {
      if (iflag & IGNCR) return;
      if (iflag & ICRNL) c = NL;
    } else if (c === NL && iflag & INLCR) {
      c = CR;
    }
    if (!this.#canon) return this.#ordinary(c);
    const echo = (lflag & ECHO) !== 0;
    if (this.#special[c]) {
      const iexten = (lflag & IEXTEN) !== 0;
      if (c === cc[VERASE] || c === cc[VKILL] || (c === cc[VWERASE] && iexten)) return this.#erase(c);
      if (c === cc[VLNEXT] && iexten) {
        this.#lnext = true;
        if (echo && lflag & ECHOCTL) this.#echo.push(CARET, BS);
        return;
      }
      if (c === cc[VREPRINT] && iexten && echo) return this.#reprint(c);
      if (c === cc[VEOF]) return this.#endLine(0, EOF_MARK);
      if (c === cc[VEOL] || (c === cc[VEOL2] && iexten)) {
        if (echo) this.#echoChar(c);
        return this.#endLine(c, 0);
      }
    }
    if (c === NL) {
      if (echo || lflag & ECHONL) this.#echo.push(NL);
      return this.#endLine(c, 0);
    }
    this.#ordinary(c);
  }

  #ordinary(c: number): void {
    if (this.#canon && this.#len >= N_TTY_BUF_SIZE - 1) return;
    if (this.#termios.c_lflag & ECHO) {
      if (this.#len === this.#canonEnd) {
        // The column the line starts at is where the echoes so far leave the cursor.
        this.#flushEcho();
        this.#canonColumn = this.#column;
      }
      if (c === NL) this.#echo.push(NL);
      else this.#echoChar(c);
    }
    this.#put(c, 0);
  }

  #put(c: number, flags: number): void {
    this.#buf[this.#len] = c;
    this.#flags[this.#len] = flags;
    this.#len++;
  }

  #endLine(c: number, mark: number): void {
    this.#put(c, LINE_END | mark);
    this.#canonEnd = this.#len;
  }

  /** Linux's isig + n_tty_receive_signal_char: signal, flush unless NOFLSH, restart output, echo. */
  #signalChar(c: number, sig: number): void {
    const t = this.#termios;
    this.owner.signal(sig);
    if (!(t.c_lflag & NOFLSH)) {
      // Echoes not yet sent go with the input, as Linux resets its echo buffer.
      this.#echo.length = 0;
      this.#len = 0;
      this.#canonEnd = 0;
      this.#lnext = false;
    }
    if (t.c_iflag & IXON) this.#setStopped(false);
    if (t.c_lflag & ECHO) this.#echoChar(c);
  }

  #setStopped(on: boolean): void {
    if (this.stopped === on) return;
    this.stopped = on;
    this.owner.changed();
  }

  /** ERASE, WERASE or KILL on the line being edited (Linux's eraser). */
  #erase(c: number): void {
    const t = this.#termios, cc = t.c_cc, lflag = t.c_lflag;
    if (this.#len === this.#canonEnd) return;
    const echo = (lflag & ECHO) !== 0;
    const kind = c === cc[VERASE] ? "erase" : c === cc[VWERASE] ? "werase" : "kill";
    if (kind === "kill" && (!echo || !(lflag & ECHOK) || !(lflag & ECHOKE) || !(lflag & ECHOE))) {
      this.#len = this.#canonEnd;
      if (!echo) return;
      this.#echoChar(c);
      if (lflag & ECHOK) this.#echo.push(NL);
      return;
    }
    let seenWord = false;
    while (this.#len > this.#canonEnd) {
      let start = this.#len - 1;
      if (t.c_iflag & IUTF8) while (start > this.#canonEnd && (this.#buf[start]! & 0xc0) === 0x80) start--;
      const ch = this.#buf[start]!;
      if (kind === "werase") {
        const word = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a) || ch === 0x5f;
        if (word) seenWord = true;
        else if (seenWord) break;
      }
      this.#len = start;
      if (echo) this.#echoErase(ch, kind === "erase" && !(lflag & ECHOE));
      if (kind === "erase") break;
    }
  }

  /** What erasing `ch` shows: the ERASE character itself without ECHOE, else backspaces over it. */
  #echoErase(ch: number, plain: boolean): void {
    if (plain) return this.#echoChar(this.#termios.c_cc[VERASE]!);
    const ctl = (this.#termios.c_lflag & ECHOCTL) !== 0;
    if (ch === TAB) {
      for (let n = this.#tabWidth(); n > 0; n--) this.#echo.push(BS);
      return;
    }
    const rubout = [BS, SPACE, BS];
    if (isCntrl(ch) && ctl) this.#echo.push(...rubout);
    if (!isCntrl(ch) || ctl) this.#echo.push(...rubout);
  }

  /** Columns the tab just removed took: from where the line's remaining text ends to the next tab stop. */
  #tabWidth(): number {
    const ctl = (this.#termios.c_lflag & ECHOCTL) !== 0;
    let col = this.#canonColumn;
    for (let i = this.#canonEnd; i < this.#len; i++) {
      const ch = this.#buf[i]!;
      if (ch === TAB) col = (col | 7) + 1;
      else if (isCntrl(ch)) col += ctl ? 2 : 0;
      else if ((ch & 0xc0) !== 0x80) col++;
    }
    return ((col | 7) + 1) - col;
  }

  /** ^R: the character, a new line, and the line so far again. */
  #reprint(c: number): void {
    this.#echoChar(c);
    this.#echo.push(NL);
    for (let i = this.#canonEnd; i < this.#len; i++) this.#echoChar(this.#buf[i]!);
  }

  /** Linux's echo_char: a control character as ^X with ECHOCTL (a tab as itself). */
  #echoChar(c: number): void {
    if (this.#termios.c_lflag & ECHOCTL && isCntrl(c) && c !== TAB) this.#echo.push(CARET, c ^ 0o100);
    else this.#echo.push(c);
  }

  /** Echoes go out as far as the output has room; the rest are dropped, as Linux drops them. */
  #flushEcho(): void {
    if (this.#echo.length === 0) return;
    const out: number[] = [];
    for (const c of this.#echo) this.#outputChar(c, out);
    this.#echo.length = 0;
    const room = this.owner.outputRoom();
    if (room > 0) this.owner.emit(Uint8Array.from(out.length > room ? out.slice(0, room) : out));
  }

  // ----- reading --------------------------------------------------------------------

  /** A read of up to dst.length bytes: a count, 0 at EOF (or VMIN 0), or -EAGAIN to wait. */
  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    return this.#canon ? this.#readLine(dst) : this.#readRaw(dst);
  }

  #readLine(dst: Uint8Array): number {
    if (this.#canonEnd === 0) return -EAGAIN;
    let n = 0, taken = 0;
    while (taken < this.#canonEnd && n < dst.length) {
      const flags = this.#flags[taken]!;
      if (!(flags & EOF_MARK)) dst[n++] = this.#buf[taken]!;
      taken++;
      if (flags & LINE_END) break;
    }
    this.#consume(taken);
    this.#canonEnd -= taken;
    return n;
  }

  #readRaw(dst: Uint8Array): number {
    const cc = this.#termios.c_cc;
    const vmin = cc[VMIN]!, vtime = cc[VTIME]!;
    if (this.#len === 0) return vmin === 0 && vtime === 0 ? 0 : -EAGAIN;
    const need = Math.min(Math.max(vmin, 1), dst.length);
    if (this.#len < need) {
      // VMIN and VTIME: the inter-byte timer runs from the last byte received.
      if (vtime === 0) return -EAGAIN;
      const left = this.#lastInput + vtime * 100 - performance.now();
      if (left > 0) {
        this.#armInterByteTimer(left);
        return -EAGAIN;
      }
    }
    const n = Math.min(this.#len, dst.length);
    dst.set(this.#buf.subarray(0, n));
    this.#consume(n);
    return n;
  }

  #armInterByteTimer(ms: number): void {
    if (this.#interByteTimer) clearTimeout(this.#interByteTimer);
    this.#interByteTimer = setTimeout(() => {
      this.#interByteTimer = null;
      this.owner.changed();
    }, Math.ceil(ms));
  }

  /** How long a read that finds nothing may wait: VTIME tenths with VMIN 0, else no limit (-1). */
  readTimeout(): number {
    const cc = this.#termios.c_cc;
    return !this.#canon && cc[VMIN] === 0 && cc[VTIME]! > 0 ? cc[VTIME]! * 100 : -1;
  }

  /** Readable now, as poll reports it (VMIN bytes when VTIME is 0). */
  readable(): boolean {
    if (this.#canon) return this.#canonEnd > 0;
    const cc = this.#termios.c_cc;
    return this.#len >= (cc[VTIME] === 0 && cc[VMIN]! > 0 ? cc[VMIN]! : 1);
  }

  #consume(n: number): void {
    this.#buf.copyWithin(0, n, this.#len);
    this.#flags.copyWithin(0, n, this.#len);
    this.#len -= n;
    this.owner.changed();
  }

  // ----- output ---------------------------------------------------------------------

  /** Output bytes: how many were taken, or -EAGAIN while output is stopped or full. */
  write(src: Uint8Array): number {
    if (this.stopped) return -EAGAIN;
    const room = this.owner.outputRoom();
    if (!(this.#termios.c_oflag & OPOST)) {
      const n = Math.min(room, src.length);
      if (n > 0) this.owner.emit(src.slice(0, n));
      return n > 0 || src.length === 0 ? n : -EAGAIN;
    }
    const out: number[] = [];
    let i = 0;
    for (; i < src.length; i++) {
      const before = out.length;
      this.#outputChar(src[i]!, out);
      if (out.length > room) {
        out.length = before;
        break;
      }
    }
    if (out.length > 0) this.owner.emit(Uint8Array.from(out));
    return i > 0 || src.length === 0 ? i : -EAGAIN;
  }

  /** Linux's do_output_char: OPOST processing of one byte, tracking the column. */
  #outputChar(c: number, out: number[]): void {
    const oflag = this.#termios.c_oflag;
    if (!(oflag & OPOST)) {
      out.push(c);
      return;
    }
    switch (c) {
      case NL:
        if (oflag & ONLRET) this.#column = 0;
        if (oflag & ONLCR) {
          this.#column = this.#canonColumn = 0;
          out.push(CR, NL);
          return;
        }
        this.#canonColumn = this.#column;
        break;
      case CR:
        if (oflag & ONOCR && this.#column === 0) return;
        if (oflag & OCRNL) {
          c = NL;
          if (oflag & ONLRET) this.#column = this.#canonColumn = 0;
          break;
        }
        this.#column = this.#canonColumn = 0;
        break;
      case TAB: {
        const spaces = 8 - (this.#column & 7);
        this.#column += spaces;
        if ((oflag & TABDLY) === XTABS) {
          for (let k = 0; k < spaces; k++) out.push(SPACE);
          return;
        }
        break;
      }
      case BS:
        if (this.#column > 0) this.#column--;
        break;
      default:
        if (!isCntrl(c)) {
          if (oflag & OLCUC && c >= 0x61 && c <= 0x7a) c -= 0x20;
          if (!(this.#termios.c_iflag & IUTF8) || (c & 0xc0) !== 0x80) this.#column++;
        }
    }
    out.push(c);
  }

  /** The terminal is gone: no timer may outlive it. */
  close(): void {
    if (this.#interByteTimer) clearTimeout(this.#interByteTimer);
    this.#interByteTimer = null;
  }
}
