// Linux: include/uapi/asm-generic/termbits.h, include/uapi/asm-generic/termbits-common.h and
// include/uapi/asm-generic/termios.h (struct winsize). struct termios here is the kernel's
// (TCGETS/TCSETS*: 36 bytes, NCCS 19), not glibc's 60-byte one with c_cc[32] and speeds.

export const NCCS = 19;

// c_cc indices.
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VTIME = 5;
export const VMIN = 6;
export const VSWTC = 7;
export const VSTART = 8;
export const VSTOP = 9;
export const VSUSP = 10;
export const VEOL = 11;
export const VREPRINT = 12;
export const VDISCARD = 13;
export const VWERASE = 14;
export const VLNEXT = 15;
export const VEOL2 = 16;

// c_iflag bits.
export const IGNBRK = 0x001;
export const BRKINT = 0x002;
export const IGNPAR = 0x004;
export const PARMRK = 0x008;
export const INPCK = 0x010;
export const ISTRIP = 0x020;
export const INLCR = 0x040;
export const IGNCR = 0x080;
export const ICRNL = 0x100;
export const IUCLC = 0x0200;
export const IXON = 0x0400;
export const IXANY = 0x800;
export const IXOFF = 0x1000;
export const IMAXBEL = 0x2000;
export const IUTF8 = 0x4000;

// c_oflag bits.
export const OPOST = 0x01;
export const OLCUC = 0x00002;
export const ONLCR = 0x00004;
export const OCRNL = 0x08;
export const ONOCR = 0x10;
export const ONLRET = 0x20;
export const OFILL = 0x40;
export const OFDEL = 0x80;
export const NLDLY = 0x00100;
export const NL0 = 0x00000;
export const NL1 = 0x00100;
export const CRDLY = 0x00600;
export const CR0 = 0x00000;
export const CR1 = 0x00200;
export const CR2 = 0x00400;
export const CR3 = 0x00600;
export const TABDLY = 0x01800;
export const TAB0 = 0x00000;
export const TAB1 = 0x00800;
export const TAB2 = 0x01000;
export const TAB3 = 0x01800;
export const XTABS = 0x01800;
export const BSDLY = 0x02000;
export const BS0 = 0x00000;
export const BS1 = 0x02000;
export const VTDLY = 0x04000;
export const VT0 = 0x00000;
export const VT1 = 0x04000;
export const FFDLY = 0x08000;
export const FF0 = 0x00000;
export const FF1 = 0x08000;

// c_cflag bits and baud rates.
export const CBAUD = 0x0000100f;
export const B0 = 0x00000000;
export const B50 = 0x00000001;
export const B75 = 0x00000002;
export const B110 = 0x00000003;
export const B134 = 0x00000004;
export const B150 = 0x00000005;
export const B200 = 0x00000006;
export const B300 = 0x00000007;
export const B600 = 0x00000008;
export const B1200 = 0x00000009;
export const B1800 = 0x0000000a;
export const B2400 = 0x0000000b;
export const B4800 = 0x0000000c;
export const B9600 = 0x0000000d;
export const B19200 = 0x0000000e;
export const B38400 = 0x0000000f;
export const EXTA = B19200;
export const EXTB = B38400;
export const CSIZE = 0x00000030;
export const CS5 = 0x00000000;
export const CS6 = 0x00000010;
export const CS7 = 0x00000020;
export const CS8 = 0x00000030;
export const CSTOPB = 0x00000040;
export const CREAD = 0x00000080;
export const PARENB = 0x00000100;
export const PARODD = 0x00000200;
export const HUPCL = 0x00000400;
export const CLOCAL = 0x00000800;
export const CBAUDEX = 0x00001000;
export const BOTHER = 0x00001000;
export const B57600 = 0x00001001;
export const B115200 = 0x00001002;
export const B230400 = 0x00001003;
export const B460800 = 0x00001004;
export const B500000 = 0x00001005;
export const B576000 = 0x00001006;
export const B921600 = 0x00001007;
export const B1000000 = 0x00001008;
export const B1152000 = 0x00001009;
export const B1500000 = 0x0000100a;
export const B2000000 = 0x0000100b;
export const B2500000 = 0x0000100c;
export const B3000000 = 0x0000100d;
export const B3500000 = 0x0000100e;
export const B4000000 = 0x0000100f;
export const CIBAUD = 0x100f0000;
export const ADDRB = 0x20000000;
export const CMSPAR = 0x40000000;
export const CRTSCTS = 0x80000000;
export const IBSHIFT = 16;

// c_lflag bits.
export const ISIG = 0x00001;
export const ICANON = 0x00002;
export const XCASE = 0x00004;
export const ECHO = 0x00008;
export const ECHOE = 0x00010;
export const ECHOK = 0x00020;
export const ECHONL = 0x00040;
export const NOFLSH = 0x00080;
export const TOSTOP = 0x00100;
export const ECHOCTL = 0x00200;
export const ECHOPRT = 0x00400;
export const ECHOKE = 0x00800;
export const FLUSHO = 0x01000;
export const PENDIN = 0x04000;
export const IEXTEN = 0x08000;
export const EXTPROC = 0x10000;

// tcflow(3) (TCXONC), tcflush(3) (TCFLSH) and tcsetattr(3) arguments.
export const TCOOFF = 0;
export const TCOON = 1;
export const TCIOFF = 2;
export const TCION = 3;
export const TCIFLUSH = 0;
export const TCOFLUSH = 1;
export const TCIOFLUSH = 2;
export const TCSANOW = 0;
export const TCSADRAIN = 1;
export const TCSAFLUSH = 2;

/** The kernel struct termios; struct termios2 adds the two speeds. */
export interface Termios {
  c_iflag: number;
  c_oflag: number;
  c_cflag: number;
  c_lflag: number;
  c_line: number;
  /** NCCS (19) control characters. */
  c_cc: Uint8Array;
}
export interface Termios2 extends Termios {
  c_ispeed: number;
  c_ospeed: number;
}
export const SIZEOF_TERMIOS = 36;
export const SIZEOF_TERMIOS2 = 44;
export const TERMIOS_FIELDS = {
  c_iflag: 0,
  c_oflag: 4,
  c_cflag: 8,
  c_lflag: 12,
  c_line: 16,
  c_cc: 17,
  c_ispeed: 36,
  c_ospeed: 40,
} as const;

export function encodeTermios(view: DataView, offset: number, t: Termios): void {
  const f = TERMIOS_FIELDS;
  view.setUint32(offset + f.c_iflag, t.c_iflag, true);
  view.setUint32(offset + f.c_oflag, t.c_oflag, true);
  view.setUint32(offset + f.c_cflag, t.c_cflag, true);
  view.setUint32(offset + f.c_lflag, t.c_lflag, true);
  view.setUint8(offset + f.c_line, t.c_line);
  for (let i = 0; i < NCCS; i++) view.setUint8(offset + f.c_cc + i, t.c_cc[i] ?? 0);
}

export function decodeTermios(view: DataView, offset: number): Termios {
  const f = TERMIOS_FIELDS;
  return {
    c_iflag: view.getUint32(offset + f.c_iflag, true),
    c_oflag: view.getUint32(offset + f.c_oflag, true),
    c_cflag: view.getUint32(offset + f.c_cflag, true),
    c_lflag: view.getUint32(offset + f.c_lflag, true),
    c_line: view.getUint8(offset + f.c_line),
    c_cc: decodeCc(view, offset + f.c_cc),
  };
}

function decodeCc(view: DataView, offset: number): Uint8Array {
  const c_cc = new Uint8Array(NCCS);
  for (let i = 0; i < NCCS; i++) c_cc[i] = view.getUint8(offset + i);
  return c_cc;
}

export function encodeTermios2(view: DataView, offset: number, t: Termios2): void {
  encodeTermios(view, offset, t);
  view.setUint32(offset + TERMIOS_FIELDS.c_ispeed, t.c_ispeed, true);
  view.setUint32(offset + TERMIOS_FIELDS.c_ospeed, t.c_ospeed, true);
}

export function decodeTermios2(view: DataView, offset: number): Termios2 {
  const f = TERMIOS_FIELDS;
  return {
    c_iflag: view.getUint32(offset + f.c_iflag, true),
    c_oflag: view.getUint32(offset + f.c_oflag, true),
    c_cflag: view.getUint32(offset + f.c_cflag, true),
    c_lflag: view.getUint32(offset + f.c_lflag, true),
    c_line: view.getUint8(offset + f.c_line),
    c_cc: decodeCc(view, offset + f.c_cc),
    c_ispeed: view.getUint32(offset + f.c_ispeed, true),
    c_ospeed: view.getUint32(offset + f.c_ospeed, true),
  };
}

/** struct winsize (TIOCGWINSZ, TIOCSWINSZ): 8 bytes. */
export interface Winsize {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}
export const SIZEOF_WINSIZE = 8;

export function encodeWinsize(view: DataView, offset: number, ws: Winsize): void {
  view.setUint16(offset, ws.ws_row, true);
  view.setUint16(offset + 2, ws.ws_col, true);
  view.setUint16(offset + 4, ws.ws_xpixel, true);
  view.setUint16(offset + 6, ws.ws_ypixel, true);
}

export function decodeWinsize(view: DataView, offset: number): Winsize {
  return {
    ws_row: view.getUint16(offset, true),
    ws_col: view.getUint16(offset + 2, true),
    ws_xpixel: view.getUint16(offset + 4, true),
    ws_ypixel: view.getUint16(offset + 6, true),
  };
}
