// Host system calls HostFs needs and Node has no binding for, bound from the host's libc
// through koffi on first use:
//   hostSendfile   sendfile(2) between two host descriptors: file data never passes
//                  through this process (sendToHost)
//   hostRenameat2  renameat2(2) on the confined walk's directory fds: RENAME_NOREPLACE and
//                  RENAME_EXCHANGE done atomically by the host, no path walked again
//   hostFallocate  fallocate(2): reservations, holes and zeroed ranges are the host file
//                  system's
//   hostMknodat    mknodat(2) on the confined walk's directory fd: FIFOs and socket nodes
//                  (Node has neither mkfifo nor mknod)
//   hostXattr      the l…xattr(2) calls on a path (the walk's "/proc/<pid>/fd/<dir>/<name>":
//                  the last component is never followed) and the f…xattr(2) calls on a
//                  host fd: extended attributes are the host file system's
//   hostStatx      statx(2) of a name in a directory fd (or of the fd itself): the
//   hostOpenAt     confined walk's lookups and opens without a procfs path, which the
//                  kernel would walk (/proc, the pid, fd, the magic link) every time
//   hostGetdents64 getdents64(2) on a directory fd: names with their inodes and types,
//                  where node:fs's readdir gives names alone
//   hostClose      close(2) of an fd hostOpenAt opened (node:fs, in a worker thread,
//                  warns on stderr of every fd it closes that it did not open)
//   hostUtimens    utimensat(2) with timespecs: times before 1970 and nanoseconds as the
//                  guest gave them (node:fs's utimes take seconds as a double, and a
//                  negative one as "now"), UTIME_NOW and UTIME_OMIT done by the host
// Names are byte strings (linux-abi/_byte_string.ts) and reach libc as those bytes.
// Each answers a negative host errno on failure (Linux hosts share Linux's numbers), and
// its own fallback errno where libc or the call is missing (non-Linux hosts, old glibc).

import { koffi as loadKoffi } from "../microkernel/platform/koffi.ts";
import { EINVAL, ENOSYS, EOPNOTSUPP, EPERM } from "./_errno.ts";
import { stringToBytes } from "../linux-abi/_byte_string.ts";

type Koffi = typeof import("koffi");
type Bound<F> = { call: F; errno: () => number } | null;

let koffi: Koffi | null | undefined;

/** A libc function by its C declaration, or null where it cannot be bound. */
function bind<F>(declaration: string): Bound<F> {
  try {
    koffi ??= loadKoffi();
    const k = koffi;
    return { call: k.load("libc.so.6").func(declaration) as F, errno: () => k.errno() as number };
  } catch {
    return null;
  }
}

/** `declaration`'s function, bound on the first call; null when it cannot be. */
function lazily<F>(declaration: string): () => Bound<F> {
  let bound: Bound<F> | undefined;
  return () => (bound === undefined ? (bound = bind<F>(declaration)) : bound);
}

const sendfile = lazily<(outFd: number, inFd: number, offset: BigInt64Array, count: number) => number>(
  "long sendfile(int, int, _Inout_ int64_t *, unsigned long)",
);
const renameat2 = lazily<(oldDirFd: number, oldName: Buffer, newDirFd: number, newName: Buffer, flags: number) => number>(
  "int renameat2(int, const char *, int, const char *, unsigned int)",
);
const mknodat = lazily<(dirFd: number, name: Buffer, mode: number, dev: number) => number>(
  "int mknodat(int, const char *, unsigned int, unsigned long)",
);
const statx = lazily<(dirFd: number, name: Buffer, flags: number, mask: number, buf: Uint8Array) => number>(
  "int statx(int, const char *, int, unsigned int, void *)",
);
const openat = lazily<(dirFd: number, name: Buffer, flags: number) => number>("int openat(int, const char *, int, ...)");
const close = lazily<(fd: number) => number>("int close(int)");
const getdents64 = lazily<(fd: number, buf: Uint8Array, size: number) => number>("long getdents64(int, void *, size_t)");
const utimensat = lazily<(dirFd: number, name: Buffer, times: BigInt64Array, flags: number) => number>(
  "int utimensat(int, const char *, const int64_t *, int)",
);
// glibc's utimensat refuses a null name (EINVAL): an fd's times go through futimens.
const futimens = lazily<(fd: number, times: BigInt64Array) => number>("int futimens(int, const int64_t *)");
const fallocate = lazily<(fd: number, mode: number, offset: number, length: number) => number>(
  "int fallocate(int, int, int64_t, int64_t)",
);

/** A host path (its last component is not followed) or a host fd. */
type PathOrFd = Buffer | number;
type GetXattr = (at: PathOrFd, name: Buffer, value: Uint8Array, size: number) => number;
type ListXattr = (at: PathOrFd, list: Uint8Array, size: number) => number;
type SetXattr = (at: PathOrFd, name: Buffer, value: Uint8Array, size: number, flags: number) => number;
type RemoveXattr = (at: PathOrFd, name: Buffer) => number;

/** One xattr call in its two forms: l… on a path, f… on an fd. */
interface XattrCall<F> {
  path: () => Bound<F>;
  fd: () => Bound<F>;
}

const getxattr: XattrCall<GetXattr> = {
  path: lazily("long lgetxattr(const char *, const char *, void *, size_t)"),
  fd: lazily("long fgetxattr(int, const char *, void *, size_t)"),
};
const listxattr: XattrCall<ListXattr> = {
  path: lazily("long llistxattr(const char *, void *, size_t)"),
  fd: lazily("long flistxattr(int, void *, size_t)"),
};
const setxattr: XattrCall<SetXattr> = {
  path: lazily("int lsetxattr(const char *, const char *, const void *, size_t, int)"),
  fd: lazily("int fsetxattr(int, const char *, const void *, size_t, int)"),
};
const removexattr: XattrCall<RemoveXattr> = {
  path: lazily("int lremovexattr(const char *, const char *)"),
  fd: lazily("int fremovexattr(int, const char *)"),
};

/** `call` bound in the form `at` needs, or null. */
function formFor<F>(call: XattrCall<F>, at: PathOrFd): Bound<F> {
  return typeof at === "number" ? call.fd() : call.path();
}

/**
 * Extended attributes of a host file, by path or host fd: each call's result or -errno
 * (-EOPNOTSUPP where libc has no such call). An empty buffer asks for the size only.
 */
export const hostXattr = {
  get(at: PathOrFd, name: string, dst: Uint8Array): number {
    const b = formFor(getxattr, at);
    return b === null ? -EOPNOTSUPP : orErrno(b, b.call(cTarget(at), cString(name), dst, dst.length));
  },
  list(at: PathOrFd, dst: Uint8Array): number {
    const b = formFor(listxattr, at);
    return b === null ? -EOPNOTSUPP : orErrno(b, b.call(cTarget(at), dst, dst.length));
  },
  set(at: PathOrFd, name: string, value: Uint8Array, flags: number): number {
    const b = formFor(setxattr, at);
    return b === null ? -EOPNOTSUPP : orErrno(b, b.call(cTarget(at), cString(name), value, value.length, flags));
  },
  remove(at: PathOrFd, name: string): number {
    const b = formFor(removexattr, at);
    return b === null ? -EOPNOTSUPP : orErrno(b, b.call(cTarget(at), cString(name)));
  },
};

/** A host path as libc wants it (NUL-terminated), or the fd itself. */
function cTarget(at: PathOrFd): PathOrFd {
  return typeof at === "number" ? at : Buffer.concat([at, NUL]);
}

const NUL = Buffer.from([0]);

/** A libc result: itself, or -errno when it says -1. */
function orErrno(b: { errno: () => number }, r: number): number {
  return r < 0 ? -b.errno() : r;
}

// sendfile's in/out offset: calls run synchronously, so one cell serves them all.
const offsetCell = new BigInt64Array(1);

/** Up to `count` bytes of `inFd` from `offset` into `outFd`: bytes sent, or -errno (-ENOSYS: no sendfile). */
export function hostSendfile(outFd: number, inFd: number, offset: number, count: number): number {
  const b = sendfile();
  if (b === null) return -ENOSYS;
  offsetCell[0] = BigInt(offset);
  const n = b.call(outFd, inFd, offsetCell, count);
  return n < 0 ? -b.errno() : n;
}

/** renameat2 on the host: 0 or -errno (-EINVAL: no renameat2, as an old kernel says). */
export function hostRenameat2(oldDirFd: number, oldName: string, newDirFd: number, newName: string, flags: number): number {
  const b = renameat2();
  if (b === null) return -EINVAL;
  return b.call(oldDirFd, cString(oldName), newDirFd, cString(newName), flags) < 0 ? -b.errno() : 0;
}

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
// The two struct timespec utimensat reads: calls run synchronously, so one cell serves them all.
const timesCell = new BigInt64Array(4);

/**
 * utimensat on the host: `at` a host path (its last component followed unless `follow` is
 * false) or a host fd; each time a [seconds, nanoseconds] pair, nanoseconds UTIME_NOW or
 * UTIME_OMIT as Linux takes them. 0 or -errno (-ENOSYS: no utimensat).
 */
export function hostUtimens(at: PathOrFd, atime: readonly [bigint, bigint], mtime: readonly [bigint, bigint], follow: boolean): number {
  timesCell[0] = atime[0], timesCell[1] = atime[1], timesCell[2] = mtime[0], timesCell[3] = mtime[1];
  if (typeof at === "number") {
    const f = futimens();
    return f === null ? -ENOSYS : orErrno(f, f.call(at, timesCell));
  }
  const b = utimensat();
  return b === null ? -ENOSYS : orErrno(b, b.call(AT_FDCWD, cTarget(at) as Buffer, timesCell, follow ? 0 : AT_SYMLINK_NOFOLLOW));
}

/** mknodat on the host (device 0): 0 or -errno (-EPERM: no mknodat, as an unprivileged caller hears). */
export function hostMknodat(dirFd: number, name: string, mode: number): number {
  const b = mknodat();
  if (b === null) return -EPERM;
  return b.call(dirFd, cString(name), mode, 0) < 0 ? -b.errno() : 0;
}

// A name for the *at calls, written in place: a walk makes one call per component.
const nameCell = Buffer.alloc(4096);

/** Byte string `name` as a C string, in nameCell when it fits. */
function cName(name: string): Buffer {
  if (name.length >= nameCell.length) return cString(name);
  nameCell[nameCell.write(name, 0, "latin1")] = 0;
  return nameCell;
}

/** statx on the host into `buf` (256 bytes): 0 or -errno (-ENOSYS: no statx; then use node:fs). */
export function hostStatx(dirFd: number, name: string, flags: number, mask: number, buf: Uint8Array): number {
  const b = statx();
  if (b === null) return -ENOSYS;
  return b.call(dirFd, cName(name), flags, mask, buf) < 0 ? -b.errno() : 0;
}

/** openat on the host, without a mode (no O_CREAT): the fd or -errno (-ENOSYS: no openat; then use node:fs). */
export function hostOpenAt(dirFd: number, name: string, flags: number): number {
  const b = openat();
  if (b === null) return -ENOSYS;
  return orErrno(b, b.call(dirFd, cName(name), flags));
}

/**
 * close on the host, for an fd hostOpenAt gave: 0 or -errno; -ENOSYS where libc has no
 * openat or no close (hostOpenAt's fds then came from node:fs: close them there).
 */
export function hostClose(fd: number): number {
  const b = openat() === null ? null : close();
  if (b === null) return -ENOSYS;
  return orErrno(b, b.call(fd));
}

/** getdents64 on the host into `buf`: bytes filled (0 at the end) or -errno (-ENOSYS: no getdents64; then use node:fs). */
export function hostGetdents64(fd: number, buf: Uint8Array): number {
  const b = getdents64();
  if (b === null) return -ENOSYS;
  return orErrno(b, b.call(fd, buf, buf.length));
}

/** Byte string `s` as a NUL-terminated C string. */
function cString(s: string): Buffer {
  return stringToBytes(s + "\0");
}

/** fallocate on the host: 0 or -errno (-ENOSYS: no fallocate). */
export function hostFallocate(fd: number, mode: number, offset: number, length: number): number {
  const b = fallocate();
  if (b === null) return -ENOSYS;
  return b.call(fd, mode, offset, length) < 0 ? -b.errno() : 0;
}
