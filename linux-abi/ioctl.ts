// Linux: include/uapi/asm-generic/ioctl.h (the _IOC encoding) and
// include/uapi/asm-generic/ioctls.h (tty and file ioctls; x86-64 uses the generic numbers).

export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS;
export const _IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS;
export const _IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS;
export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

/** An ioctl number from direction, type character code, number and argument size. */
export function _IOC(dir: number, type: number, nr: number, size: number): number {
  return ((dir << _IOC_DIRSHIFT) | (type << _IOC_TYPESHIFT) | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT)) >>> 0;
}
export function _IO(type: number, nr: number): number {
  return _IOC(_IOC_NONE, type, nr, 0);
}
export function _IOR(type: number, nr: number, size: number): number {
  return _IOC(_IOC_READ, type, nr, size);
}
export function _IOW(type: number, nr: number, size: number): number {
  return _IOC(_IOC_WRITE, type, nr, size);
}
export function _IOWR(type: number, nr: number, size: number): number {
  return _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);
}

const T = 0x54; // 'T'
const SIZEOF_TERMIOS2 = 44;
const SIZEOF_INT = 4;

export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
export const TCGETA = 0x5405;
export const TCSETA = 0x5406;
export const TCSETAW = 0x5407;
export const TCSETAF = 0x5408;
export const TCSBRK = 0x5409;
export const TCXONC = 0x540a;
export const TCFLSH = 0x540b;
export const TIOCEXCL = 0x540c;
export const TIOCNXCL = 0x540d;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCOUTQ = 0x5411;
export const TIOCSTI = 0x5412;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCMGET = 0x5415;
export const TIOCMBIS = 0x5416;
export const TIOCMBIC = 0x5417;
export const TIOCMSET = 0x5418;
export const TIOCGSOFTCAR = 0x5419;
export const TIOCSSOFTCAR = 0x541a;
export const FIONREAD = 0x541b;
export const TIOCINQ = FIONREAD;
export const TIOCLINUX = 0x541c;
export const TIOCCONS = 0x541d;
export const TIOCGSERIAL = 0x541e;
export const TIOCSSERIAL = 0x541f;
export const TIOCPKT = 0x5420;
export const FIONBIO = 0x5421;
export const TIOCNOTTY = 0x5422;
export const TIOCSETD = 0x5423;
export const TIOCGETD = 0x5424;
export const TCSBRKP = 0x5425;
export const TIOCSBRK = 0x5427;
export const TIOCCBRK = 0x5428;
export const TIOCGSID = 0x5429;
export const TCGETS2 = _IOR(T, 0x2a, SIZEOF_TERMIOS2);
export const TCSETS2 = _IOW(T, 0x2b, SIZEOF_TERMIOS2);
export const TCSETSW2 = _IOW(T, 0x2c, SIZEOF_TERMIOS2);
export const TCSETSF2 = _IOW(T, 0x2d, SIZEOF_TERMIOS2);
export const TIOCGRS485 = 0x542e;
export const TIOCSRS485 = 0x542f;
export const TIOCGPTN = _IOR(T, 0x30, SIZEOF_INT);
export const TIOCSPTLCK = _IOW(T, 0x31, SIZEOF_INT);
export const TIOCGDEV = _IOR(T, 0x32, SIZEOF_INT);
export const TCGETX = 0x5432;
export const TCSETX = 0x5433;
export const TCSETXF = 0x5434;
export const TCSETXW = 0x5435;
export const TIOCSIG = _IOW(T, 0x36, SIZEOF_INT);
export const TIOCVHANGUP = 0x5437;
export const TIOCGPKT = _IOR(T, 0x38, SIZEOF_INT);
export const TIOCGPTLCK = _IOR(T, 0x39, SIZEOF_INT);
export const TIOCGEXCL = _IOR(T, 0x40, SIZEOF_INT);
export const TIOCGPTPEER = _IO(T, 0x41);
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const FIOASYNC = 0x5452;
export const TIOCSERCONFIG = 0x5453;
export const TIOCSERGWILD = 0x5454;
export const TIOCSERSWILD = 0x5455;
export const TIOCGLCKTRMIOS = 0x5456;
export const TIOCSLCKTRMIOS = 0x5457;
export const TIOCSERGSTRUCT = 0x5458;
export const TIOCSERGETLSR = 0x5459;
export const TIOCSERGETMULTI = 0x545a;
export const TIOCSERSETMULTI = 0x545b;
export const TIOCMIWAIT = 0x545c;
export const TIOCGICOUNT = 0x545d;
export const FIOQSIZE = 0x5460;
// From include/uapi/asm-generic/sockios.h, for sockets and pipes.
export const FIOSETOWN = 0x8901;
export const SIOCSPGRP = 0x8902;
export const FIOGETOWN = 0x8903;
export const SIOCGPGRP = 0x8904;
export const SIOCATMARK = 0x8905;

// TIOCPKT packet-mode status bytes.
export const TIOCPKT_DATA = 0;
export const TIOCPKT_FLUSHREAD = 1;
export const TIOCPKT_FLUSHWRITE = 2;
export const TIOCPKT_STOP = 4;
export const TIOCPKT_START = 8;
export const TIOCPKT_NOSTOP = 16;
export const TIOCPKT_DOSTOP = 32;
export const TIOCPKT_IOCTL = 64;
