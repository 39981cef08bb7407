// The host libc calls a TAP device needs and Node does not offer, bound once through koffi:
// open/ioctl on /dev/net/tun (TUNSETIFF), read/write of whole frames, and a readiness wait
// (poll(2) on a pool thread) that a pipe can end early. Buffers pass as `void *`, so koffi
// hands the memory over without copying.

import { koffi as loadKoffi } from "../../microkernel/platform/koffi.ts";

export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const EAGAIN = 11;
export const EINTR = 4;
export const POLLIN = 0x1;
/** _IOW('T', 202, int) */
export const TUNSETIFF = 0x400454ca;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const SIOCGIFMTU = 0x8921;
export const AF_INET = 2;
export const SOCK_DGRAM = 2;
/** struct ifreq: a 16-byte name, then a union (ifr_flags, ifr_mtu, ...). */
export const IFREQ_SIZE = 40;
export const IFNAMSIZ = 16;

export interface TapLibc {
  open(path: string, flags: number): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  socket(domain: number, type: number, protocol: number): number;
  read(fd: number, buf: Uint8Array, n: number): number;
  write(fd: number, buf: Uint8Array, n: number): number;
  close(fd: number): number;
  pipe(fds: Int32Array): number;
  poll: ((fds: Uint8Array, n: number, timeout: number) => number) & {
    async(fds: Uint8Array, n: number, timeout: number, done: (err: unknown, r: number) => void): void;
  };
  errno(): number;
  strerror(errno: number): string;
}

let bound: TapLibc | null = null;

export function tapLibc(): TapLibc {
  if (bound !== null) return bound;
  const koffi = loadKoffi();
  const lib = koffi.load("libc.so.6");
  bound = {
    open: lib.func("int open(const char *path, int flags)") as TapLibc["open"],
    ioctl: lib.func("int ioctl(int fd, unsigned long request, void *arg)") as TapLibc["ioctl"],
    socket: lib.func("int socket(int domain, int type, int protocol)") as TapLibc["socket"],
    read: lib.func("long read(int fd, void *buf, unsigned long n)") as TapLibc["read"],
    write: lib.func("long write(int fd, const void *buf, unsigned long n)") as TapLibc["write"],
    close: lib.func("int close(int fd)") as TapLibc["close"],
    pipe: lib.func("int pipe(_Out_ int *fds)") as TapLibc["pipe"],
    poll: lib.func("int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)") as TapLibc["poll"],
    errno: () => koffi.errno() as number,
    strerror: lib.func("const char *strerror(int errnum)") as TapLibc["strerror"],
  };
  return bound;
}
