// This module ports: strace's output format (strace src/syscall.c, util.c string_quote and
// printstr, and the per-call decoders of open.c, mem.c, signal.c, fcntl.c, futex.c, clone.c,
// wait.c, print_struct_stat.c, statx.c ...), in strace's default abbreviated style, -s 32.
//
// A traced call prints as two pieces, like strace does around a blocking call:
//   formatSyscallEntry  "read(3"                         the arguments the kernel reads
//   formatSyscallExit   ", \"root:x:0:0\"..., 4096) = 1024"  the ones it wrote, then the result
// What each argument means comes from linux-abi/x86_64/syscall_signatures.ts; this file only
// knows how to print each ArgKind. clone, futex and fcntl are printed by their own functions,
// because strace reorders or drops their arguments.
//
// Arguments are the 64-bit registers as JS numbers. A negative number is read as a signed
// 64-bit value (exact); an unsigned one at or above 2^53 has lost its low bits, so a 32-bit
// argument there is taken as the usual sign-extended value (AT_FDCWD for a dirfd, else -1).

import * as E from "../linux-abi/errno.ts";
import * as F from "../linux-abi/fcntl.ts";
import * as FS from "../linux-abi/fs.ts";
import * as FX from "../linux-abi/futex.ts";
import * as IO from "../linux-abi/ioctl.ts";
import * as M from "../linux-abi/mman.ts";
import * as P from "../linux-abi/poll.ts";
import * as PR from "../linux-abi/prctl.ts";
import * as R from "../linux-abi/resource.ts";
import * as RND from "../linux-abi/random.ts";
import * as SCH from "../linux-abi/sched.ts";
import * as SIG from "../linux-abi/signal.ts";
import * as SK from "../linux-abi/socket.ts";
import * as ST from "../linux-abi/stat.ts";
import { SIZEOF_SYSINFO, SYSINFO_FIELDS } from "../linux-abi/sysinfo.ts";
import * as T from "../linux-abi/time.ts";
import { NEW_UTSNAME_FIELDS, SIZEOF_NEW_UTSNAME, __NEW_UTS_LEN } from "../linux-abi/utsname.ts";
import * as W from "../linux-abi/wait.ts";
import * as AP from "../linux-abi/x86_64/prctl.ts";
import { SYSCALL_SIGNATURES, type ArgKind, type RetKind } from "../linux-abi/x86_64/syscall_signatures.ts";
import { SYS, SYS_MAX, syscallName, type SyscallName } from "../linux-abi/x86_64/syscalls.ts";

export interface GuestMemoryReader {
  /** `len` bytes at `addr`, or null if any of them is not mapped. */
  readBytes(addr: number, len: number): Uint8Array | null;
  /**
   * The bytes at `addr` up to a NUL (not included), at most `max` of them, one char per byte
   * (latin1); null if not mapped.
   */
  readCString(addr: number, max: number): string | null;
}

/** strace -s: strings and buffers print this many bytes, then "...". */
const MAX_STRLEN = 32;
/** Paths print whole up to PATH_MAX - 1 bytes. */
const PATH_MAX = 4096;
/** The largest result that is an error: -4095 … -1 are -errno. */
const MAX_ERRNO = 4095;

// ---------------------------------------------------------------------------------------------
// Numbers.

const TWO_53 = 2 ** 53;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const TWO_64N = 1n << 64n;

/** The low 32 bits as a signed int; see the file comment for lossy values. */
function int32(v: number, lossy = -1): number {
  return v >= TWO_53 ? lossy : v | 0;
}

function uint32(v: number): number {
  return v >= TWO_53 ? 0xffffffff : v >>> 0;
}

function dec64(v: number): string {
  return String(v >= TWO_63 ? v - TWO_64 : v);
}

function udec64(v: number): string {
  if (v < 0) return String(BigInt(v) + TWO_64N);
  return v >= TWO_64 ? "18446744073709551615" : v < TWO_53 ? String(v) : BigInt(v).toString();
}

/** C's %#lx: "0" for zero, else 0x and lowercase hex digits. */
function hex(v: number): string {
  if (v === 0) return "0";
  if (v < 0) return "0x" + (BigInt(v) + TWO_64N).toString(16);
  return v >= TWO_64 ? "0xffffffffffffffff" : "0x" + v.toString(16);
}

function addr(v: number): string {
  return v === 0 ? "NULL" : hex(v);
}

/** C's %#03o, as strace prints modes: 0644, 000, 022. */
function octal(v: number): string {
  return (v === 0 ? "0" : "0" + v.toString(8)).padStart(3, "0");
}

// ---------------------------------------------------------------------------------------------
// Symbolic values (strace's xlat tables, in strace's order: the first match prints first).

type Xlat = readonly (readonly [string, number])[];

function xlat(table: Record<string, number>): Xlat {
  return Object.entries(table);
}

/** One value: its name, or hex and a comment. */
function xval(v: number, table: Xlat, unknown: string): string {
  for (const [name, value] of table) if (value === v) return name;
  return `${hex(v >>> 0)} /* ${unknown} */`;
}

/** Or-ed flags: names in table order, then leftover bits in hex; a zero-valued name for 0. */
function flags(v: number, table: Xlat, unknown: string): string {
  let rest = uint32(v);
  let out = "";
  for (const [name, bit] of table) {
    if (bit === 0) {
      if (rest === 0) return name;
    } else if ((rest & bit) >>> 0 === bit) {
      out += (out === "" ? "" : "|") + name;
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (out === "") return rest === 0 ? "0" : `${hex(rest)} /* ${unknown} */`;
  return rest === 0 ? out : `${out}|${hex(rest)}`;
}

const OPEN_ACCESS = xlat({ O_RDONLY: F.O_RDONLY, O_WRONLY: F.O_WRONLY, O_RDWR: F.O_RDWR, O_ACCMODE: F.O_ACCMODE });
const OPEN_FLAGS = xlat({
  O_CREAT: F.O_CREAT,
  O_EXCL: F.O_EXCL,
  O_NOCTTY: F.O_NOCTTY,
  O_TRUNC: F.O_TRUNC,
  O_APPEND: F.O_APPEND,
  O_NONBLOCK: F.O_NONBLOCK,
  O_SYNC: F.O_SYNC,
  __O_SYNC: F.__O_SYNC,
  O_DSYNC: F.O_DSYNC,
  O_DIRECT: F.O_DIRECT,
  O_LARGEFILE: F.O_LARGEFILE,
  O_NOFOLLOW: F.O_NOFOLLOW,
  O_NOATIME: F.O_NOATIME,
  O_CLOEXEC: F.O_CLOEXEC,
  O_PATH: F.O_PATH,
  O_TMPFILE: F.O_TMPFILE,
  __O_TMPFILE: F.__O_TMPFILE,
  O_DIRECTORY: F.O_DIRECTORY,
  FASYNC: F.FASYNC,
});

/** open(2) flags: the access mode, then the other flags (strace's tprint_open_modes). */
function openFlags(v: number): string {
  const access = xval(uint32(v) & F.O_ACCMODE, OPEN_ACCESS, "O_???");
  const rest = uint32(v) & ~F.O_ACCMODE;
  return rest === 0 ? access : `${access}|${flags(rest, OPEN_FLAGS, "O_???")}`;
}

const AT_FLAGS = xlat({
  AT_SYMLINK_NOFOLLOW: F.AT_SYMLINK_NOFOLLOW,
  AT_REMOVEDIR: F.AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW: F.AT_SYMLINK_FOLLOW,
  AT_NO_AUTOMOUNT: F.AT_NO_AUTOMOUNT,
  AT_EMPTY_PATH: F.AT_EMPTY_PATH,
  AT_RECURSIVE: F.AT_RECURSIVE,
});
const FACCESSAT_FLAGS = xlat({
  AT_SYMLINK_NOFOLLOW: F.AT_SYMLINK_NOFOLLOW,
  AT_EACCESS: F.AT_EACCESS,
  AT_EMPTY_PATH: F.AT_EMPTY_PATH,
});
const AT_STATX_SYNC = xlat({
  AT_STATX_SYNC_AS_STAT: F.AT_STATX_SYNC_AS_STAT,
  AT_STATX_FORCE_SYNC: F.AT_STATX_FORCE_SYNC,
  AT_STATX_DONT_SYNC: F.AT_STATX_DONT_SYNC,
});
const ACCESS_MODES = xlat({ F_OK: F.F_OK, R_OK: F.R_OK, W_OK: F.W_OK, X_OK: F.X_OK });
const FD_FLAGS = xlat({ FD_CLOEXEC: F.FD_CLOEXEC });
const FLOCK_OPS = xlat({ LOCK_SH: F.LOCK_SH, LOCK_EX: F.LOCK_EX, LOCK_NB: F.LOCK_NB, LOCK_UN: F.LOCK_UN });
const LOCK_TYPES = xlat({ F_RDLCK: F.F_RDLCK, F_WRLCK: F.F_WRLCK, F_UNLCK: F.F_UNLCK });
const SEALS = xlat({
  F_SEAL_SEAL: F.F_SEAL_SEAL,
  F_SEAL_SHRINK: F.F_SEAL_SHRINK,
  F_SEAL_GROW: F.F_SEAL_GROW,
  F_SEAL_WRITE: F.F_SEAL_WRITE,
  F_SEAL_FUTURE_WRITE: F.F_SEAL_FUTURE_WRITE,
});
const FCNTL_CMDS = xlat({
  F_DUPFD: F.F_DUPFD,
  F_GETFD: F.F_GETFD,
  F_SETFD: F.F_SETFD,
  F_GETFL: F.F_GETFL,
  F_SETFL: F.F_SETFL,
  F_GETLK: F.F_GETLK,
  F_SETLK: F.F_SETLK,
  F_SETLKW: F.F_SETLKW,
  F_SETOWN: F.F_SETOWN,
  F_GETOWN: F.F_GETOWN,
  F_SETSIG: F.F_SETSIG,
  F_GETSIG: F.F_GETSIG,
  F_SETOWN_EX: F.F_SETOWN_EX,
  F_GETOWN_EX: F.F_GETOWN_EX,
  F_GETOWNER_UIDS: F.F_GETOWNER_UIDS,
  F_OFD_GETLK: F.F_OFD_GETLK,
  F_OFD_SETLK: F.F_OFD_SETLK,
  F_OFD_SETLKW: F.F_OFD_SETLKW,
  F_SETLEASE: F.F_SETLEASE,
  F_GETLEASE: F.F_GETLEASE,
  F_NOTIFY: F.F_NOTIFY,
  F_CANCELLK: F.F_CANCELLK,
  F_DUPFD_CLOEXEC: F.F_DUPFD_CLOEXEC,
  F_SETPIPE_SZ: F.F_SETPIPE_SZ,
  F_GETPIPE_SZ: F.F_GETPIPE_SZ,
  F_ADD_SEALS: F.F_ADD_SEALS,
  F_GET_SEALS: F.F_GET_SEALS,
});
const WHENCE = xlat({
  SEEK_SET: FS.SEEK_SET,
  SEEK_CUR: FS.SEEK_CUR,
  SEEK_END: FS.SEEK_END,
  SEEK_DATA: FS.SEEK_DATA,
  SEEK_HOLE: FS.SEEK_HOLE,
});
const RENAME_FLAGS = xlat({
  RENAME_NOREPLACE: FS.RENAME_NOREPLACE,
  RENAME_EXCHANGE: FS.RENAME_EXCHANGE,
  RENAME_WHITEOUT: FS.RENAME_WHITEOUT,
});
const CLOSE_RANGE_FLAGS = xlat({
  CLOSE_RANGE_UNSHARE: FS.CLOSE_RANGE_UNSHARE,
  CLOSE_RANGE_CLOEXEC: FS.CLOSE_RANGE_CLOEXEC,
});
const PROT = xlat({
  PROT_NONE: M.PROT_NONE,
  PROT_READ: M.PROT_READ,
  PROT_WRITE: M.PROT_WRITE,
  PROT_EXEC: M.PROT_EXEC,
  PROT_SEM: M.PROT_SEM,
  PROT_GROWSDOWN: M.PROT_GROWSDOWN,
  PROT_GROWSUP: M.PROT_GROWSUP,
});
const MAP_TYPES = xlat({
  MAP_SHARED: M.MAP_SHARED,
  MAP_PRIVATE: M.MAP_PRIVATE,
  MAP_SHARED_VALIDATE: M.MAP_SHARED_VALIDATE,
});
const MAP_FLAGS = xlat({
  MAP_FIXED: M.MAP_FIXED,
  MAP_ANONYMOUS: M.MAP_ANONYMOUS,
  MAP_32BIT: M.MAP_32BIT,
  MAP_NORESERVE: M.MAP_NORESERVE,
  MAP_POPULATE: M.MAP_POPULATE,
  MAP_NONBLOCK: M.MAP_NONBLOCK,
  MAP_GROWSDOWN: M.MAP_GROWSDOWN,
  MAP_DENYWRITE: M.MAP_DENYWRITE,
  MAP_EXECUTABLE: M.MAP_EXECUTABLE,
  MAP_LOCKED: M.MAP_LOCKED,
  MAP_STACK: M.MAP_STACK,
  MAP_HUGETLB: M.MAP_HUGETLB,
  MAP_SYNC: M.MAP_SYNC,
  MAP_UNINITIALIZED: M.MAP_UNINITIALIZED,
  MAP_FIXED_NOREPLACE: M.MAP_FIXED_NOREPLACE,
});

function mapFlags(v: number): string {
  const type = xval(uint32(v) & M.MAP_TYPE, MAP_TYPES, "MAP_???");
  const rest = uint32(v) & ~M.MAP_TYPE;
  return rest === 0 ? type : `${type}|${flags(rest, MAP_FLAGS, "MAP_???")}`;
}

const MREMAP_FLAGS = xlat({
  MREMAP_MAYMOVE: M.MREMAP_MAYMOVE,
  MREMAP_FIXED: M.MREMAP_FIXED,
  MREMAP_DONTUNMAP: M.MREMAP_DONTUNMAP,
});
const MADVISE = xlat({
  MADV_NORMAL: M.MADV_NORMAL,
  MADV_RANDOM: M.MADV_RANDOM,
  MADV_SEQUENTIAL: M.MADV_SEQUENTIAL,
  MADV_WILLNEED: M.MADV_WILLNEED,
  MADV_DONTNEED: M.MADV_DONTNEED,
  MADV_FREE: M.MADV_FREE,
  MADV_REMOVE: M.MADV_REMOVE,
  MADV_DONTFORK: M.MADV_DONTFORK,
  MADV_DOFORK: M.MADV_DOFORK,
  MADV_MERGEABLE: M.MADV_MERGEABLE,
  MADV_UNMERGEABLE: M.MADV_UNMERGEABLE,
  MADV_HUGEPAGE: M.MADV_HUGEPAGE,
  MADV_NOHUGEPAGE: M.MADV_NOHUGEPAGE,
  MADV_DONTDUMP: M.MADV_DONTDUMP,
  MADV_DODUMP: M.MADV_DODUMP,
  MADV_WIPEONFORK: M.MADV_WIPEONFORK,
  MADV_KEEPONFORK: M.MADV_KEEPONFORK,
  MADV_COLD: M.MADV_COLD,
  MADV_PAGEOUT: M.MADV_PAGEOUT,
  MADV_POPULATE_READ: M.MADV_POPULATE_READ,
  MADV_POPULATE_WRITE: M.MADV_POPULATE_WRITE,
  MADV_DONTNEED_LOCKED: M.MADV_DONTNEED_LOCKED,
  MADV_COLLAPSE: M.MADV_COLLAPSE,
  MADV_HWPOISON: M.MADV_HWPOISON,
  MADV_SOFT_OFFLINE: M.MADV_SOFT_OFFLINE,
});
const SIGPROCMASK_HOW = xlat({ SIG_BLOCK: SIG.SIG_BLOCK, SIG_UNBLOCK: SIG.SIG_UNBLOCK, SIG_SETMASK: SIG.SIG_SETMASK });
const SA_HANDLERS = xlat({ SIG_DFL: SIG.SIG_DFL, SIG_IGN: SIG.SIG_IGN });
const SA_FLAGS = xlat({
  SA_RESTORER: SIG.SA_RESTORER,
  SA_ONSTACK: SIG.SA_ONSTACK,
  SA_RESTART: SIG.SA_RESTART,
  SA_NODEFER: SIG.SA_NODEFER,
  SA_RESETHAND: SIG.SA_RESETHAND,
  SA_SIGINFO: SIG.SA_SIGINFO,
  SA_NOCLDSTOP: SIG.SA_NOCLDSTOP,
  SA_NOCLDWAIT: SIG.SA_NOCLDWAIT,
});
const SS_FLAGS = xlat({ SS_ONSTACK: SIG.SS_ONSTACK, SS_DISABLE: SIG.SS_DISABLE, SS_AUTODISARM: SIG.SS_AUTODISARM });
const CLOCKS = xlat({
  CLOCK_REALTIME: T.CLOCK_REALTIME,
  CLOCK_MONOTONIC: T.CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID: T.CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_THREAD_CPUTIME_ID: T.CLOCK_THREAD_CPUTIME_ID,
  CLOCK_MONOTONIC_RAW: T.CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE: T.CLOCK_REALTIME_COARSE,
  CLOCK_MONOTONIC_COARSE: T.CLOCK_MONOTONIC_COARSE,
  CLOCK_BOOTTIME: T.CLOCK_BOOTTIME,
  CLOCK_REALTIME_ALARM: T.CLOCK_REALTIME_ALARM,
  CLOCK_BOOTTIME_ALARM: T.CLOCK_BOOTTIME_ALARM,
  CLOCK_SGI_CYCLE: T.CLOCK_SGI_CYCLE,
  CLOCK_TAI: T.CLOCK_TAI,
});
const TIMER_FLAGS = xlat({ TIMER_ABSTIME: T.TIMER_ABSTIME });
const ITIMERS = xlat({ ITIMER_REAL: T.ITIMER_REAL, ITIMER_VIRTUAL: T.ITIMER_VIRTUAL, ITIMER_PROF: T.ITIMER_PROF });
const IOCTLS = xlat({
  TCGETS: IO.TCGETS,
  TCSETS: IO.TCSETS,
  TCSETSW: IO.TCSETSW,
  TCSETSF: IO.TCSETSF,
  TCGETA: IO.TCGETA,
  TCSETA: IO.TCSETA,
  TCSETAW: IO.TCSETAW,
  TCSETAF: IO.TCSETAF,
  TCSBRK: IO.TCSBRK,
  TCXONC: IO.TCXONC,
  TCFLSH: IO.TCFLSH,
  TIOCEXCL: IO.TIOCEXCL,
  TIOCNXCL: IO.TIOCNXCL,
  TIOCSCTTY: IO.TIOCSCTTY,
  TIOCGPGRP: IO.TIOCGPGRP,
  TIOCSPGRP: IO.TIOCSPGRP,
  TIOCOUTQ: IO.TIOCOUTQ,
  TIOCSTI: IO.TIOCSTI,
  TIOCGWINSZ: IO.TIOCGWINSZ,
  TIOCSWINSZ: IO.TIOCSWINSZ,
  TIOCMGET: IO.TIOCMGET,
  TIOCMBIS: IO.TIOCMBIS,
  TIOCMBIC: IO.TIOCMBIC,
  TIOCMSET: IO.TIOCMSET,
  FIONREAD: IO.FIONREAD,
  TIOCLINUX: IO.TIOCLINUX,
  TIOCCONS: IO.TIOCCONS,
  TIOCPKT: IO.TIOCPKT,
  FIONBIO: IO.FIONBIO,
  TIOCNOTTY: IO.TIOCNOTTY,
  TIOCSETD: IO.TIOCSETD,
  TIOCGETD: IO.TIOCGETD,
  TCSBRKP: IO.TCSBRKP,
  TIOCSBRK: IO.TIOCSBRK,
  TIOCCBRK: IO.TIOCCBRK,
  TIOCGSID: IO.TIOCGSID,
  TCGETS2: IO.TCGETS2,
  TCSETS2: IO.TCSETS2,
  TCSETSW2: IO.TCSETSW2,
  TCSETSF2: IO.TCSETSF2,
  TIOCGPTN: IO.TIOCGPTN,
  TIOCSPTLCK: IO.TIOCSPTLCK,
  TIOCGDEV: IO.TIOCGDEV,
  TIOCSIG: IO.TIOCSIG,
  TIOCVHANGUP: IO.TIOCVHANGUP,
  TIOCGPKT: IO.TIOCGPKT,
  TIOCGPTLCK: IO.TIOCGPTLCK,
  TIOCGEXCL: IO.TIOCGEXCL,
  TIOCGPTPEER: IO.TIOCGPTPEER,
  FIONCLEX: IO.FIONCLEX,
  FIOCLEX: IO.FIOCLEX,
  FIOASYNC: IO.FIOASYNC,
  FIOQSIZE: IO.FIOQSIZE,
  FIOSETOWN: IO.FIOSETOWN,
  SIOCSPGRP: IO.SIOCSPGRP,
  FIOGETOWN: IO.FIOGETOWN,
  SIOCGPGRP: IO.SIOCGPGRP,
  SIOCATMARK: IO.SIOCATMARK,
});
const IOC_DIRS = ["_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"] as const;

/** An ioctl request: its name, else its _IOC() fields as strace decodes them. */
function ioctlCmd(v: number): string {
  const cmd = uint32(v);
  for (const [name, value] of IOCTLS) if (value === cmd) return name;
  const dir = IOC_DIRS[cmd >>> IO._IOC_DIRSHIFT];
  const type = (cmd >>> IO._IOC_TYPESHIFT) & 0xff;
  const nr = (cmd >>> IO._IOC_NRSHIFT) & 0xff;
  const size = (cmd >>> IO._IOC_SIZESHIFT) & 0x3fff;
  return `_IOC(${dir}, ${hex(type)}, ${hex(nr)}, ${hex(size)})`;
}

const RLIMITS = xlat({
  RLIMIT_CPU: R.RLIMIT_CPU,
  RLIMIT_FSIZE: R.RLIMIT_FSIZE,
  RLIMIT_DATA: R.RLIMIT_DATA,
  RLIMIT_STACK: R.RLIMIT_STACK,
  RLIMIT_CORE: R.RLIMIT_CORE,
  RLIMIT_RSS: R.RLIMIT_RSS,
  RLIMIT_NPROC: R.RLIMIT_NPROC,
  RLIMIT_NOFILE: R.RLIMIT_NOFILE,
  RLIMIT_MEMLOCK: R.RLIMIT_MEMLOCK,
  RLIMIT_AS: R.RLIMIT_AS,
  RLIMIT_LOCKS: R.RLIMIT_LOCKS,
  RLIMIT_SIGPENDING: R.RLIMIT_SIGPENDING,
  RLIMIT_MSGQUEUE: R.RLIMIT_MSGQUEUE,
  RLIMIT_NICE: R.RLIMIT_NICE,
  RLIMIT_RTPRIO: R.RLIMIT_RTPRIO,
  RLIMIT_RTTIME: R.RLIMIT_RTTIME,
});
const RUSAGE_WHO = xlat({
  RUSAGE_SELF: R.RUSAGE_SELF,
  RUSAGE_CHILDREN: R.RUSAGE_CHILDREN,
  RUSAGE_BOTH: R.RUSAGE_BOTH,
  RUSAGE_THREAD: R.RUSAGE_THREAD,
});
const WAIT_OPTIONS = xlat({
  WNOHANG: W.WNOHANG,
  WUNTRACED: W.WUNTRACED,
  WEXITED: W.WEXITED,
  WCONTINUED: W.WCONTINUED,
  WNOWAIT: W.WNOWAIT,
  __WNOTHREAD: W.__WNOTHREAD,
  __WALL: W.__WALL,
  __WCLONE: W.__WCLONE,
});
const CLONE_FLAGS = xlat({
  CLONE_VM: SCH.CLONE_VM,
  CLONE_FS: SCH.CLONE_FS,
  CLONE_FILES: SCH.CLONE_FILES,
  CLONE_SIGHAND: SCH.CLONE_SIGHAND,
  CLONE_PIDFD: SCH.CLONE_PIDFD,
  CLONE_PTRACE: SCH.CLONE_PTRACE,
  CLONE_VFORK: SCH.CLONE_VFORK,
  CLONE_PARENT: SCH.CLONE_PARENT,
  CLONE_THREAD: SCH.CLONE_THREAD,
  CLONE_NEWNS: SCH.CLONE_NEWNS,
  CLONE_SYSVSEM: SCH.CLONE_SYSVSEM,
  CLONE_SETTLS: SCH.CLONE_SETTLS,
  CLONE_PARENT_SETTID: SCH.CLONE_PARENT_SETTID,
  CLONE_CHILD_CLEARTID: SCH.CLONE_CHILD_CLEARTID,
  CLONE_DETACHED: SCH.CLONE_DETACHED,
  CLONE_UNTRACED: SCH.CLONE_UNTRACED,
  CLONE_CHILD_SETTID: SCH.CLONE_CHILD_SETTID,
  CLONE_NEWCGROUP: SCH.CLONE_NEWCGROUP,
  CLONE_NEWUTS: SCH.CLONE_NEWUTS,
  CLONE_NEWIPC: SCH.CLONE_NEWIPC,
  CLONE_NEWUSER: SCH.CLONE_NEWUSER,
  CLONE_NEWPID: SCH.CLONE_NEWPID,
  CLONE_NEWNET: SCH.CLONE_NEWNET,
  CLONE_IO: SCH.CLONE_IO,
});
const AF = xlat({
  AF_UNSPEC: SK.AF_UNSPEC,
  AF_UNIX: SK.AF_UNIX,
  AF_INET: SK.AF_INET,
  AF_INET6: SK.AF_INET6,
  AF_NETLINK: SK.AF_NETLINK,
  AF_PACKET: SK.AF_PACKET,
});
const SOCK_TYPES = xlat({
  SOCK_STREAM: SK.SOCK_STREAM,
  SOCK_DGRAM: SK.SOCK_DGRAM,
  SOCK_RAW: SK.SOCK_RAW,
  SOCK_RDM: SK.SOCK_RDM,
  SOCK_SEQPACKET: SK.SOCK_SEQPACKET,
  SOCK_DCCP: SK.SOCK_DCCP,
  SOCK_PACKET: SK.SOCK_PACKET,
});
const SOCK_FLAGS = xlat({ SOCK_CLOEXEC: SK.SOCK_CLOEXEC, SOCK_NONBLOCK: SK.SOCK_NONBLOCK });
const IPPROTOS = xlat({
  IPPROTO_IP: SK.IPPROTO_IP,
  IPPROTO_ICMP: SK.IPPROTO_ICMP,
  IPPROTO_TCP: SK.IPPROTO_TCP,
  IPPROTO_UDP: SK.IPPROTO_UDP,
  IPPROTO_IPV6: SK.IPPROTO_IPV6,
  IPPROTO_ICMPV6: SK.IPPROTO_ICMPV6,
  IPPROTO_RAW: SK.IPPROTO_RAW,
});
const MSG_FLAGS = xlat({
  MSG_OOB: SK.MSG_OOB,
  MSG_PEEK: SK.MSG_PEEK,
  MSG_DONTROUTE: SK.MSG_DONTROUTE,
  MSG_CTRUNC: SK.MSG_CTRUNC,
  MSG_PROBE: SK.MSG_PROBE,
  MSG_TRUNC: SK.MSG_TRUNC,
  MSG_DONTWAIT: SK.MSG_DONTWAIT,
  MSG_EOR: SK.MSG_EOR,
  MSG_WAITALL: SK.MSG_WAITALL,
  MSG_FIN: SK.MSG_FIN,
  MSG_SYN: SK.MSG_SYN,
  MSG_CONFIRM: SK.MSG_CONFIRM,
  MSG_RST: SK.MSG_RST,
  MSG_ERRQUEUE: SK.MSG_ERRQUEUE,
  MSG_NOSIGNAL: SK.MSG_NOSIGNAL,
  MSG_MORE: SK.MSG_MORE,
  MSG_WAITFORONE: SK.MSG_WAITFORONE,
  MSG_CMSG_CLOEXEC: SK.MSG_CMSG_CLOEXEC,
});
const SHUT_HOW = xlat({ SHUT_RD: SK.SHUT_RD, SHUT_WR: SK.SHUT_WR, SHUT_RDWR: SK.SHUT_RDWR });
const SOL_LEVELS = xlat({
  SOL_IP: SK.SOL_IP,
  SOL_SOCKET: SK.SOL_SOCKET,
  SOL_TCP: SK.SOL_TCP,
  SOL_UDP: SK.SOL_UDP,
  SOL_IPV6: SK.SOL_IPV6,
  SOL_RAW: SK.SOL_RAW,
});
const SO_NAMES = xlat({
  SO_DEBUG: SK.SO_DEBUG,
  SO_REUSEADDR: SK.SO_REUSEADDR,
  SO_TYPE: SK.SO_TYPE,
  SO_ERROR: SK.SO_ERROR,
  SO_DONTROUTE: SK.SO_DONTROUTE,
  SO_BROADCAST: SK.SO_BROADCAST,
  SO_SNDBUF: SK.SO_SNDBUF,
  SO_RCVBUF: SK.SO_RCVBUF,
  SO_KEEPALIVE: SK.SO_KEEPALIVE,
  SO_OOBINLINE: SK.SO_OOBINLINE,
  SO_PRIORITY: SK.SO_PRIORITY,
  SO_LINGER: SK.SO_LINGER,
  SO_REUSEPORT: SK.SO_REUSEPORT,
  SO_PASSCRED: SK.SO_PASSCRED,
  SO_PEERCRED: SK.SO_PEERCRED,
  SO_RCVLOWAT: SK.SO_RCVLOWAT,
  SO_SNDLOWAT: SK.SO_SNDLOWAT,
  SO_RCVTIMEO_OLD: SK.SO_RCVTIMEO_OLD,
  SO_SNDTIMEO_OLD: SK.SO_SNDTIMEO_OLD,
  SO_ACCEPTCONN: SK.SO_ACCEPTCONN,
  SO_PROTOCOL: SK.SO_PROTOCOL,
  SO_DOMAIN: SK.SO_DOMAIN,
});
const EPOLL_CTL_OPS = xlat({ EPOLL_CTL_ADD: P.EPOLL_CTL_ADD, EPOLL_CTL_DEL: P.EPOLL_CTL_DEL, EPOLL_CTL_MOD: P.EPOLL_CTL_MOD });
const EPOLL_FLAGS = xlat({ EPOLL_CLOEXEC: P.EPOLL_CLOEXEC });
const EPOLL_EVENTS = xlat({
  EPOLLIN: P.EPOLLIN,
  EPOLLPRI: P.EPOLLPRI,
  EPOLLOUT: P.EPOLLOUT,
  EPOLLERR: P.EPOLLERR,
  EPOLLHUP: P.EPOLLHUP,
  EPOLLNVAL: P.EPOLLNVAL,
  EPOLLRDNORM: P.EPOLLRDNORM,
  EPOLLRDBAND: P.EPOLLRDBAND,
  EPOLLWRNORM: P.EPOLLWRNORM,
  EPOLLWRBAND: P.EPOLLWRBAND,
  EPOLLMSG: P.EPOLLMSG,
  EPOLLRDHUP: P.EPOLLRDHUP,
  EPOLLEXCLUSIVE: P.EPOLLEXCLUSIVE,
  EPOLLWAKEUP: P.EPOLLWAKEUP,
  EPOLLONESHOT: P.EPOLLONESHOT,
  EPOLLET: P.EPOLLET,
});
const GRND_FLAGS = xlat({ GRND_NONBLOCK: RND.GRND_NONBLOCK, GRND_RANDOM: RND.GRND_RANDOM, GRND_INSECURE: RND.GRND_INSECURE });
const ARCH_PRCTL_CODES = xlat({
  ARCH_SET_GS: AP.ARCH_SET_GS,
  ARCH_SET_FS: AP.ARCH_SET_FS,
  ARCH_GET_FS: AP.ARCH_GET_FS,
  ARCH_GET_GS: AP.ARCH_GET_GS,
  ARCH_GET_CPUID: AP.ARCH_GET_CPUID,
  ARCH_SET_CPUID: AP.ARCH_SET_CPUID,
  ARCH_GET_XCOMP_SUPP: AP.ARCH_GET_XCOMP_SUPP,
  ARCH_GET_XCOMP_PERM: AP.ARCH_GET_XCOMP_PERM,
  ARCH_REQ_XCOMP_PERM: AP.ARCH_REQ_XCOMP_PERM,
  ARCH_GET_XCOMP_GUEST_PERM: AP.ARCH_GET_XCOMP_GUEST_PERM,
  ARCH_REQ_XCOMP_GUEST_PERM: AP.ARCH_REQ_XCOMP_GUEST_PERM,
  ARCH_MAP_VDSO_X32: AP.ARCH_MAP_VDSO_X32,
  ARCH_MAP_VDSO_32: AP.ARCH_MAP_VDSO_32,
  ARCH_MAP_VDSO_64: AP.ARCH_MAP_VDSO_64,
});
const PRCTL_OPTIONS = xlat({
  PR_SET_PDEATHSIG: PR.PR_SET_PDEATHSIG,
  PR_GET_PDEATHSIG: PR.PR_GET_PDEATHSIG,
  PR_GET_DUMPABLE: PR.PR_GET_DUMPABLE,
  PR_SET_DUMPABLE: PR.PR_SET_DUMPABLE,
  PR_GET_KEEPCAPS: PR.PR_GET_KEEPCAPS,
  PR_SET_KEEPCAPS: PR.PR_SET_KEEPCAPS,
  PR_SET_NAME: PR.PR_SET_NAME,
  PR_GET_NAME: PR.PR_GET_NAME,
  PR_GET_SECCOMP: PR.PR_GET_SECCOMP,
  PR_SET_SECCOMP: PR.PR_SET_SECCOMP,
  PR_CAPBSET_READ: PR.PR_CAPBSET_READ,
  PR_CAPBSET_DROP: PR.PR_CAPBSET_DROP,
  PR_GET_SECUREBITS: PR.PR_GET_SECUREBITS,
  PR_SET_SECUREBITS: PR.PR_SET_SECUREBITS,
  PR_SET_TIMERSLACK: PR.PR_SET_TIMERSLACK,
  PR_GET_TIMERSLACK: PR.PR_GET_TIMERSLACK,
  PR_SET_MM: PR.PR_SET_MM,
  PR_SET_CHILD_SUBREAPER: PR.PR_SET_CHILD_SUBREAPER,
  PR_GET_CHILD_SUBREAPER: PR.PR_GET_CHILD_SUBREAPER,
  PR_SET_NO_NEW_PRIVS: PR.PR_SET_NO_NEW_PRIVS,
  PR_GET_NO_NEW_PRIVS: PR.PR_GET_NO_NEW_PRIVS,
  PR_GET_TID_ADDRESS: PR.PR_GET_TID_ADDRESS,
  PR_SET_THP_DISABLE: PR.PR_SET_THP_DISABLE,
  PR_GET_THP_DISABLE: PR.PR_GET_THP_DISABLE,
  PR_CAP_AMBIENT: PR.PR_CAP_AMBIENT,
  PR_GET_SPECULATION_CTRL: PR.PR_GET_SPECULATION_CTRL,
  PR_SET_SPECULATION_CTRL: PR.PR_SET_SPECULATION_CTRL,
  PR_SET_PTRACER: PR.PR_SET_PTRACER,
  PR_SET_VMA: PR.PR_SET_VMA,
});
const FILE_TYPES = xlat({
  S_IFREG: ST.S_IFREG,
  S_IFSOCK: ST.S_IFSOCK,
  S_IFIFO: ST.S_IFIFO,
  S_IFLNK: ST.S_IFLNK,
  S_IFDIR: ST.S_IFDIR,
  S_IFBLK: ST.S_IFBLK,
  S_IFCHR: ST.S_IFCHR,
});
const STATX_MASKS = xlat({
  STATX_ALL: ST.STATX_ALL,
  STATX_BASIC_STATS: ST.STATX_BASIC_STATS,
  STATX_TYPE: ST.STATX_TYPE,
  STATX_MODE: ST.STATX_MODE,
  STATX_NLINK: ST.STATX_NLINK,
  STATX_UID: ST.STATX_UID,
  STATX_GID: ST.STATX_GID,
  STATX_ATIME: ST.STATX_ATIME,
  STATX_MTIME: ST.STATX_MTIME,
  STATX_CTIME: ST.STATX_CTIME,
  STATX_INO: ST.STATX_INO,
  STATX_SIZE: ST.STATX_SIZE,
  STATX_BLOCKS: ST.STATX_BLOCKS,
  STATX_BTIME: ST.STATX_BTIME,
  STATX_MNT_ID: ST.STATX_MNT_ID,
  STATX_DIOALIGN: ST.STATX_DIOALIGN,
});
const STATX_ATTRS = xlat({
  STATX_ATTR_COMPRESSED: ST.STATX_ATTR_COMPRESSED,
  STATX_ATTR_IMMUTABLE: ST.STATX_ATTR_IMMUTABLE,
  STATX_ATTR_APPEND: ST.STATX_ATTR_APPEND,
  STATX_ATTR_NODUMP: ST.STATX_ATTR_NODUMP,
  STATX_ATTR_ENCRYPTED: ST.STATX_ATTR_ENCRYPTED,
  STATX_ATTR_AUTOMOUNT: ST.STATX_ATTR_AUTOMOUNT,
  STATX_ATTR_MOUNT_ROOT: ST.STATX_ATTR_MOUNT_ROOT,
  STATX_ATTR_VERITY: ST.STATX_ATTR_VERITY,
  STATX_ATTR_DAX: ST.STATX_ATTR_DAX,
});
const FUTEX_CMDS = xlat({
  FUTEX_WAIT: FX.FUTEX_WAIT,
  FUTEX_WAKE: FX.FUTEX_WAKE,
  FUTEX_FD: FX.FUTEX_FD,
  FUTEX_REQUEUE: FX.FUTEX_REQUEUE,
  FUTEX_CMP_REQUEUE: FX.FUTEX_CMP_REQUEUE,
  FUTEX_WAKE_OP: FX.FUTEX_WAKE_OP,
  FUTEX_LOCK_PI: FX.FUTEX_LOCK_PI,
  FUTEX_UNLOCK_PI: FX.FUTEX_UNLOCK_PI,
  FUTEX_TRYLOCK_PI: FX.FUTEX_TRYLOCK_PI,
  FUTEX_WAIT_BITSET: FX.FUTEX_WAIT_BITSET,
  FUTEX_WAKE_BITSET: FX.FUTEX_WAKE_BITSET,
  FUTEX_WAIT_REQUEUE_PI: FX.FUTEX_WAIT_REQUEUE_PI,
  FUTEX_CMP_REQUEUE_PI: FX.FUTEX_CMP_REQUEUE_PI,
  FUTEX_LOCK_PI2: FX.FUTEX_LOCK_PI2,
});

/** "SIGINT"; SIGRTMIN, SIGRT_n above it; the number when it names no signal. */
function signalName(sig: number): string {
  if (sig > SIG.SIGRTMIN && sig <= SIG.SIGRTMAX) return `SIGRT_${sig - SIG.SIGRTMIN}`;
  return SIG.signalName(sig) ?? String(sig);
}

/** strace's sigset: [INT TERM], or ~[...] listing the unblocked ones when 2/3 are set. */
function sigset(lo: number, hi: number): string {
  const count = popcount(lo) + popcount(hi);
  const invert = count >= ((SIG._NSIG * 2) / 3 | 0);
  if (invert) {
    lo = ~lo >>> 0;
    hi = ~hi >>> 0;
  }
  let out = invert ? "~[" : "[";
  let first = true;
  for (let sig = 1; sig <= SIG._NSIG; sig++) {
    const word = sig <= 32 ? lo : hi;
    if (((word >>> ((sig - 1) & 31)) & 1) === 0) continue;
    out += (first ? "" : " ") + (sig === SIG.SIGRTMIN ? "RTMIN" : sig > SIG.SIGRTMIN ? `RT_${sig - SIG.SIGRTMIN}` : signalName(sig).slice(3));
    first = false;
  }
  return out + "]";
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// ---------------------------------------------------------------------------------------------
// Strings: strace's string_quote. Printable ASCII stays, C escapes for \t \n \v \f \r " \,
// octal for the rest: as short as possible, three digits before an octal digit.

const SHORT_ESCAPE: string[] = [];
const LONG_ESCAPE: string[] = [];
const HEX_ESCAPE: string[] = [];
for (let c = 0; c < 256; c++) {
  HEX_ESCAPE[c] = "\\x" + c.toString(16).padStart(2, "0");
  const printable = c >= 0x20 && c < 0x7f;
  const short = (c >> 6 ? String(c >> 6) : "") + (c >> 3 ? String((c >> 3) & 7) : "") + String(c & 7);
  SHORT_ESCAPE[c] = printable ? String.fromCharCode(c) : "\\" + short;
  LONG_ESCAPE[c] = printable ? String.fromCharCode(c) : "\\" + String(c >> 6) + String((c >> 3) & 7) + String(c & 7);
}
for (const [c, e] of [[0x09, "\\t"], [0x0a, "\\n"], [0x0b, "\\v"], [0x0c, "\\f"], [0x0d, "\\r"], [0x22, '\\"'], [0x5c, "\\\\"]] as const) {
  SHORT_ESCAPE[c] = e;
  LONG_ESCAPE[c] = e;
}

const UTF8 = new TextEncoder();

function isOctalDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x37;
}

/** The first `n` bytes of `src` (bytes, or a string of one char per byte), quoted. */
function quote(src: Uint8Array | string, n: number): string {
  let out = '"';
  for (let i = 0; i < n; i++) {
    const c = typeof src === "string" ? src.charCodeAt(i) : src[i]!;
    const next = i + 1 < n ? (typeof src === "string" ? src.charCodeAt(i + 1) : src[i + 1]!) : -1;
    out += isOctalDigit(next) ? LONG_ESCAPE[c] : SHORT_ESCAPE[c];
  }
  return out + '"';
}

/** Every byte as \xHH (strace's QUOTE_FORCE_HEX). */
function quoteHex(src: Uint8Array, n: number): string {
  let out = '"';
  for (let i = 0; i < n; i++) out += HEX_ESCAPE[src[i]!];
  return out + '"';
}

/** A buffer of `len` bytes at `at`: up to 32 of them quoted, "..." if there are more. */
function buffer(mem: GuestMemoryReader, at: number, len: number, asHex = false): string {
  if (at === 0) return "NULL";
  const n = Math.min(len, MAX_STRLEN);
  const bytes = mem.readBytes(at, n);
  if (bytes === null) return hex(at);
  return (asHex ? quoteHex(bytes, n) : quote(bytes, n)) + (len > MAX_STRLEN ? "..." : "");
}

/** A NUL-terminated string, up to `limit` bytes, then "...". */
function cstring(mem: GuestMemoryReader, at: number, limit: number): string {
  if (at === 0) return "NULL";
  const s = mem.readCString(at, limit + 1);
  if (s === null) return hex(at);
  const src = isLatin1(s) ? s : UTF8.encode(s); // a reader that decoded UTF-8: back to bytes
  return src.length > limit ? quote(src, limit) + "..." : quote(src, src.length);
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Structures in guest memory.

function view(mem: GuestMemoryReader, at: number, len: number): DataView | null {
  if (at === 0) return null;
  const b = mem.readBytes(at, len);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(v: DataView, off: number): number {
  return v.getUint32(off + 4, true) * 2 ** 32 + v.getUint32(off, true);
}

function i64(v: DataView, off: number): number {
  return v.getInt32(off + 4, true) * 2 ** 32 + v.getUint32(off, true);
}

/** Print the `len`-byte structure at `at` with `print`, or NULL, or its address if unreadable. */
function struct(mem: GuestMemoryReader, at: number, len: number, print: (v: DataView) => string): string {
  if (at === 0) return "NULL";
  const v = view(mem, at, len);
  return v === null ? hex(at) : print(v);
}

function timespecAt(v: DataView, off: number): string {
  return `{tv_sec=${i64(v, off)}, tv_nsec=${i64(v, off + 8)}}`;
}

function timevalAt(v: DataView, off: number): string {
  return `{tv_sec=${i64(v, off)}, tv_usec=${i64(v, off + 8)}}`;
}

function symbolicMode(mode: number): string {
  const type = mode & ST.S_IFMT;
  if (type === 0) return octal(mode);
  for (const [name, value] of FILE_TYPES) if (value === type) return `${name}|${octal(mode & ~ST.S_IFMT)}`;
  return octal(mode);
}

function makedev(dev: number): string {
  return `makedev(${hex(ST.major(dev))}, ${hex(ST.minor(dev))})`;
}

function stat(v: DataView): string {
  const f = ST.STAT_FIELDS;
  const mode = v.getUint32(f.st_mode, true);
  const type = mode & ST.S_IFMT;
  const tail =
    type === ST.S_IFCHR || type === ST.S_IFBLK
      ? `st_rdev=${makedev(v.getUint32(f.st_rdev, true))}`
      : `st_size=${i64(v, f.st_size)}`;
  return `{st_mode=${symbolicMode(mode)}, ${tail}, ...}`;
}

function statx(v: DataView): string {
  const f = ST.STATX_FIELDS;
  return (
    `{stx_mask=${flags(v.getUint32(f.stx_mask, true), STATX_MASKS, "STATX_???")}, ` +
    `stx_attributes=${flags(v.getUint32(f.stx_attributes, true), STATX_ATTRS, "STATX_ATTR_???")}, ` +
    `stx_mode=${symbolicMode(v.getUint16(f.stx_mode, true))}, stx_size=${u64(v, f.stx_size)}, ...}`
  );
}

function sigaction(v: DataView): string {
  const f = SIG.SIGACTION_FIELDS;
  const handler = u64(v, f.sa_handler);
  const saFlags = v.getUint32(f.sa_flags, true);
  let out = `{sa_handler=${handler <= SIG.SIG_IGN ? xval(handler, SA_HANDLERS, "") : hex(handler)}`;
  out += `, sa_mask=${sigset(v.getUint32(f.sa_mask, true), v.getUint32(f.sa_mask + 4, true))}`;
  out += `, sa_flags=${flags(saFlags, SA_FLAGS, "SA_???")}`;
  if (saFlags & SIG.SA_RESTORER) out += `, sa_restorer=${addr(u64(v, f.sa_restorer))}`;
  return out + "}";
}

function stackT(v: DataView): string {
  const f = SIG.STACK_T_FIELDS;
  return `{ss_sp=${addr(u64(v, f.ss_sp))}, ss_flags=${flags(v.getUint32(f.ss_flags, true), SS_FLAGS, "SS_???")}, ss_size=${u64(v, f.ss_size)}}`;
}

/** strace's print_rlim: RLIM_INFINITY, 8192*1024, or the number. */
function rlim(v: DataView, off: number, infinity: string): string {
  if (v.getUint32(off, true) === 0xffffffff && v.getUint32(off + 4, true) === 0xffffffff) return infinity;
  const n = u64(v, off);
  return n > 1024 && n % 1024 === 0 ? `${n / 1024}*1024` : String(n);
}

function rlimit(infinity: string): (v: DataView) => string {
  return (v) => `{rlim_cur=${rlim(v, 0, infinity)}, rlim_max=${rlim(v, 8, infinity)}}`;
}
const rlimit32 = rlimit("RLIM_INFINITY");
const rlimit64 = rlimit("RLIM64_INFINITY");

/** A clock_t with strace's seconds comment (100 ticks a second). */
function clockT(v: DataView, off: number): string {
  const n = i64(v, off);
  return n > 0 ? `${n} /* ${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")} s */` : String(n);
}

function tms(v: DataView): string {
  return `{tms_utime=${clockT(v, 0)}, tms_stime=${clockT(v, 8)}, tms_cutime=${clockT(v, 16)}, tms_cstime=${clockT(v, 24)}}`;
}

function rusage(v: DataView): string {
  return `{ru_utime=${timevalAt(v, R.RUSAGE_FIELDS.ru_utime)}, ru_stime=${timevalAt(v, R.RUSAGE_FIELDS.ru_stime)}, ...}`;
}

function sysinfo(v: DataView): string {
  const f = SYSINFO_FIELDS;
  return (
    `{uptime=${i64(v, f.uptime)}, loads=[${u64(v, f.loads)}, ${u64(v, f.loads + 8)}, ${u64(v, f.loads + 16)}], ` +
    `totalram=${u64(v, f.totalram)}, freeram=${u64(v, f.freeram)}, sharedram=${u64(v, f.sharedram)}, ` +
    `bufferram=${u64(v, f.bufferram)}, totalswap=${u64(v, f.totalswap)}, freeswap=${u64(v, f.freeswap)}, ` +
    `procs=${v.getUint16(f.procs, true)}, totalhigh=${u64(v, f.totalhigh)}, freehigh=${u64(v, f.freehigh)}, ` +
    `mem_unit=${v.getUint32(f.mem_unit, true)}}`
  );
}

function utsname(v: DataView): string {
  return `{sysname=${fieldString(v, NEW_UTSNAME_FIELDS.sysname)}, nodename=${fieldString(v, NEW_UTSNAME_FIELDS.nodename)}, ...}`;
}

/** A char[65] utsname field, quoted like a C string. */
function fieldString(v: DataView, off: number): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset + off, __NEW_UTS_LEN + 1);
  const n = bytes.indexOf(0);
  return quote(bytes, n < 0 ? __NEW_UTS_LEN : n);
}

/** strace's printstatus: the glibc W* macros that hold for a wait status. */
function waitStatus(status: number): string {
  const low = status & 0x7f;
  if ((status & 0xff) === 0x7f) {
    const sig = (status >> 8) & 0xff;
    const stop = `WIFSTOPPED(s) && WSTOPSIG(s) == ${signalName(sig & 0x7f)}${sig & 0x80 ? " | 0x80" : ""}`;
    return `[{${stop}}${waitRest(status & ~0xffff)}]`;
  }
  if (low !== 0 && low !== 0x7f) {
    const core = status & W.WCOREFLAG ? " && WCOREDUMP(s)" : "";
    return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signalName(low)}${core}}${waitRest(status & ~0xff)}]`;
  }
  if (low === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(status >> 8) & 0xff}}${waitRest(status & ~0xff00)}]`;
  return status === W.W_CONTINUED ? "[{WIFCONTINUED(s)}]" : `[${hex(status >>> 0)}]`;
}

function waitRest(bits: number): string {
  return bits === 0 ? "" : ` | ${hex(bits >>> 0)}`;
}

function epollEvent(v: DataView, off: number): string {
  const data = u64(v, off + 4);
  return `{events=${flags(v.getUint32(off, true), EPOLL_EVENTS, "EPOLL???")}, data={u32=${v.getUint32(off + 4, true)}, u64=${data}}}`;
}

/** A C array of 64-bit words at `at`, each printed by `item`, up to 32 then "...". */
function array(mem: GuestMemoryReader, at: number, count: number, size: number, item: (v: DataView) => string): string {
  let out = "[";
  for (let i = 0; i < count; i++) {
    if (i === MAX_STRLEN) return out + ", ...]";
    const v = view(mem, at + i * size, size);
    if (v === null) return i === 0 ? hex(at) : out + `, ... /* ${hex(at + i * size)} */]`;
    out += (i === 0 ? "" : ", ") + item(v);
  }
  return out + "]";
}

/** execve's argv: the strings of a NULL-terminated pointer array. */
function argv(mem: GuestMemoryReader, at: number): string {
  if (at === 0) return "NULL";
  let out = "[";
  for (let i = 0; ; i++) {
    const v = view(mem, at + i * 8, 8);
    if (v === null) return i === 0 ? hex(at) : out + `, ... /* ${hex(at + i * 8)} */]`;
    const p = u64(v, 0);
    if (p === 0) return out + "]";
    if (i === MAX_STRLEN) return out + ", ...]";
    out += (i === 0 ? "" : ", ") + cstring(mem, p, MAX_STRLEN);
  }
}

/** execve's envp: its address and how many variables it holds. */
function envp(mem: GuestMemoryReader, at: number): string {
  if (at === 0) return "NULL";
  for (let i = 0; ; i++) {
    const v = view(mem, at + i * 8, 8);
    if (v === null) return hex(at);
    if (u64(v, 0) === 0) return `${hex(at)} /* ${i} var${i === 1 ? "" : "s"} */`;
  }
}

function iovec(mem: GuestMemoryReader, at: number, count: number, dataLen: number): string {
  let left = dataLen;
  return array(mem, at, count, 16, (v) => {
    const base = u64(v, 0);
    const len = u64(v, 8);
    const shown = Math.min(len, left);
    left -= shown;
    return `{iov_base=${buffer(mem, base, shown)}, iov_len=${len}}`;
  });
}

/** getdents: the buffer's address and how many records the kernel wrote. */
function dirents(mem: GuestMemoryReader, at: number, len: number, reclenAt: number): string {
  const bytes = mem.readBytes(at, len);
  if (bytes === null) return hex(at);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let off = 0; off + reclenAt + 2 <= len; count++) {
    const reclen = v.getUint16(off + reclenAt, true);
    if (reclen === 0) break;
    off += reclen;
  }
  return `${hex(at)} /* ${count} entries */`;
}


// ---------------------------------------------------------------------------------------------
// Arguments.

function isError(result: number): boolean {
  return result < 0 && result >= -MAX_ERRNO;
}

function sigsetAt(v: DataView): string {
  return sigset(v.getUint32(0, true), v.getUint32(4, true));
}

function itimerval(v: DataView): string {
  return `{it_interval=${timevalAt(v, 0)}, it_value=${timevalAt(v, 16)}}`;
}

function cloneFlags(v: number): string {
  const sig = uint32(v) & SCH.CSIGNAL;
  const rest = uint32(v) & ~SCH.CSIGNAL;
  if (rest === 0) return signalName(sig);
  return flags(rest, CLONE_FLAGS, "CLONE_???") + (sig === 0 ? "" : `|${signalName(sig)}`);
}

function futexOp(v: number): string {
  const op = uint32(v);
  const cmd = op & FX.FUTEX_CMD_MASK;
  let name: string | undefined;
  for (const [n, value] of FUTEX_CMDS) if (value === cmd) name = n;
  if (name === undefined) return `${hex(op)} /* FUTEX_??? */`;
  if (op & FX.FUTEX_PRIVATE_FLAG) name += "_PRIVATE";
  return op & FX.FUTEX_CLOCK_REALTIME ? `${name}|FUTEX_CLOCK_REALTIME` : name;
}

function socketType(v: number): string {
  const type = xval(uint32(v) & SK.SOCK_TYPE_MASK, SOCK_TYPES, "SOCK_???");
  const rest = uint32(v) & ~SK.SOCK_TYPE_MASK;
  return rest === 0 ? type : `${type}|${flags(rest, SOCK_FLAGS, "SOCK_???")}`;
}

function statxFlags(v: number): string {
  const sync = xval(uint32(v) & F.AT_STATX_SYNC_TYPE, AT_STATX_SYNC, "AT_STATX_???");
  const rest = uint32(v) & ~F.AT_STATX_SYNC_TYPE;
  return rest === 0 ? sync : `${sync}|${flags(rest, AT_FLAGS, "AT_???")}`;
}

/** Argument `i` of kind `kind`. Out-arguments print as their address when the call failed. */
function arg(kind: ArgKind, i: number, args: ArrayLike<number>, mem: GuestMemoryReader, result: number): string {
  const v = args[i] ?? 0;
  const next = args[i + 1] ?? 0;
  switch (kind) {
    case "int":
    case "fd":
      return String(int32(v));
    case "uint":
      return String(uint32(v));
    case "long":
      return dec64(v);
    case "size":
      return udec64(v);
    case "hex":
      return hex(v);
    case "ptr":
      return addr(v);
    case "dirfd": {
      const fd = int32(v, F.AT_FDCWD);
      return fd === F.AT_FDCWD ? "AT_FDCWD" : String(fd);
    }
    case "mode":
      return octal(uint32(v));
    case "path":
      return cstring(mem, v, PATH_MAX - 1);
    case "string":
      return cstring(mem, v, MAX_STRLEN);
    case "argv":
      return argv(mem, v);
    case "envp":
      return envp(mem, v);
    case "buf_in":
      return buffer(mem, v, next);
    case "iovec_in":
      return v === 0 ? "NULL" : iovec(mem, v, int32(next), Infinity);
    case "openflags":
      return openFlags(v);
    case "oflags":
      return flags(v, OPEN_FLAGS, "O_???");
    case "accessmode":
      return flags(v, ACCESS_MODES, "?_OK");
    case "atflags":
      return flags(v, AT_FLAGS, "AT_???");
    case "faccessat_flags":
      return flags(v, FACCESSAT_FLAGS, "AT_???");
    case "statx_flags":
      return statxFlags(v);
    case "statx_mask":
      return flags(v, STATX_MASKS, "STATX_???");
    case "rename_flags":
      return flags(v, RENAME_FLAGS, "RENAME_???");
    case "close_range_flags":
      return flags(v, CLOSE_RANGE_FLAGS, "CLOSE_RANGE_???");
    case "flock_op":
      return flags(v, FLOCK_OPS, "LOCK_???");
    case "whence":
      return xval(uint32(v), WHENCE, "SEEK_???");
    case "prot":
      return flags(v, PROT, "PROT_???");
    case "mapflags":
      return mapFlags(v);
    case "mremap_flags":
      return flags(v, MREMAP_FLAGS, "MREMAP_???");
    case "madvise":
      return xval(int32(v), MADVISE, "MADV_???");
    case "signal":
      return signalName(int32(v));
    case "sigprocmask_how":
      return xval(int32(v), SIGPROCMASK_HOW, "SIG_???");
    case "clockid":
      return xval(int32(v), CLOCKS, "CLOCK_???");
    case "timer_flags":
      return flags(v, TIMER_FLAGS, "TIMER_???");
    case "itimer_which":
      return xval(int32(v), ITIMERS, "ITIMER_???");
    case "ioctl_cmd":
      return ioctlCmd(v);
    case "fcntl_cmd":
      return xval(int32(v), FCNTL_CMDS, "F_???");
    case "futex_op":
      return futexOp(v);
    case "rlimit_resource":
      return xval(int32(v), RLIMITS, "RLIMIT_???");
    case "rusage_who":
      return xval(int32(v), RUSAGE_WHO, "RUSAGE_???");
    case "wait_options":
      return flags(v, WAIT_OPTIONS, "W???");
    case "clone_flags":
      return cloneFlags(v);
    case "socket_domain":
      return xval(int32(v), AF, "AF_???");
    case "socket_type":
      return socketType(v);
    case "socket_protocol": {
      const domain = int32(args[i - 2] ?? 0);
      return domain === SK.AF_INET || domain === SK.AF_INET6 ? xval(int32(v), IPPROTOS, "IPPROTO_???") : String(int32(v));
    }
    case "sock_flags":
      return flags(v, SOCK_FLAGS, "SOCK_???");
    case "msg_flags":
      return flags(v, MSG_FLAGS, "MSG_???");
    case "shut_how":
      return xval(int32(v), SHUT_HOW, "SHUT_???");
    case "sockopt_level":
      return xval(int32(v), SOL_LEVELS, "SOL_???");
    case "sockopt_name":
      return int32(args[i - 1] ?? 0) === SK.SOL_SOCKET ? xval(int32(v), SO_NAMES, "SO_???") : String(int32(v));
    case "epoll_ctl_op":
      return xval(int32(v), EPOLL_CTL_OPS, "EPOLL_CTL_???");
    case "epoll_flags":
      return flags(v, EPOLL_FLAGS, "EPOLL_???");
    case "grnd_flags":
      return flags(v, GRND_FLAGS, "GRND_???");
    case "arch_prctl_code":
      return xval(int32(v), ARCH_PRCTL_CODES, "ARCH_???");
    case "prctl_option":
      return xval(int32(v), PRCTL_OPTIONS, "PR_???");
    case "timespec_in":
      return struct(mem, v, T.SIZEOF_TIMESPEC, (s) => timespecAt(s, 0));
    case "itimerval_in":
      return struct(mem, v, T.SIZEOF_ITIMERVAL, itimerval);
    case "sigset_in":
      return struct(mem, v, SIG.SIZEOF_SIGSET, sigsetAt);
    case "sigaction_in":
      return struct(mem, v, SIG.SIZEOF_SIGACTION, sigaction);
    case "stack_in":
      return struct(mem, v, SIG.SIZEOF_STACK_T, stackT);
    case "rlimit_in":
      return struct(mem, v, R.SIZEOF_RLIMIT, rlimit32);
    case "rlimit64_in":
      return struct(mem, v, R.SIZEOF_RLIMIT, rlimit64);
    case "epoll_event_in":
      return struct(mem, v, P.SIZEOF_EPOLL_EVENT, (s) => epollEvent(s, 0));
  }
  if (isError(result)) return addr(v);
  switch (kind) {
    case "buf_out":
      return buffer(mem, v, result);
    case "hexbuf_out":
      return buffer(mem, v, result, true);
    case "path_out":
      return cstring(mem, v, PATH_MAX - 1);
    case "iovec_out":
      return v === 0 ? "NULL" : iovec(mem, v, int32(next), result);
    case "stat_out":
      return struct(mem, v, ST.SIZEOF_STAT, stat);
    case "statx_out":
      return struct(mem, v, ST.SIZEOF_STATX, statx);
    case "timespec_out":
      return struct(mem, v, T.SIZEOF_TIMESPEC, (s) => timespecAt(s, 0));
    case "timeval_out":
      return struct(mem, v, T.SIZEOF_TIMEVAL, (s) => timevalAt(s, 0));
    case "itimerval_out":
      return struct(mem, v, T.SIZEOF_ITIMERVAL, itimerval);
    case "tms_out":
      return struct(mem, v, T.SIZEOF_TMS, tms);
    case "rusage_out":
      return struct(mem, v, R.SIZEOF_RUSAGE, rusage);
    case "sysinfo_out":
      return struct(mem, v, SIZEOF_SYSINFO, sysinfo);
    case "utsname_out":
      return struct(mem, v, SIZEOF_NEW_UTSNAME, utsname);
    case "sigset_out":
      return struct(mem, v, SIG.SIZEOF_SIGSET, sigsetAt);
    case "sigaction_out":
      return struct(mem, v, SIG.SIZEOF_SIGACTION, sigaction);
    case "stack_out":
      return struct(mem, v, SIG.SIZEOF_STACK_T, stackT);
    case "rlimit_out":
      return struct(mem, v, R.SIZEOF_RLIMIT, rlimit32);
    case "rlimit64_out":
      return struct(mem, v, R.SIZEOF_RLIMIT, rlimit64);
    case "wstatus_out":
      return result === 0 ? addr(v) : struct(mem, v, 4, (s) => waitStatus(s.getInt32(0, true)));
    case "fdpair_out":
      return struct(mem, v, 8, (s) => `[${s.getInt32(0, true)}, ${s.getInt32(4, true)}]`);
    case "dirents_out":
      return v === 0 ? "NULL" : dirents(mem, v, result, DIRENT_RECLEN);
    case "epoll_events_out":
      return v === 0 ? "NULL" : array(mem, v, result, P.SIZEOF_EPOLL_EVENT, (s) => epollEvent(s, 0));
  }
}

/** d_reclen sits at the same offset in linux_dirent and linux_dirent64. */
const DIRENT_RECLEN = 16;

// ---------------------------------------------------------------------------------------------
// The syscall table, built once from the signatures.

interface Entry {
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  /** Arguments before this index print on entry, the rest on exit. */
  readonly firstOut: number;
}

/** A syscall without a signature: six hex registers, as strace prints unknown ones. */
const SIX_HEX: readonly ArgKind[] = ["hex", "hex", "hex", "hex", "hex", "hex"];

function entry(name: string, args: readonly ArgKind[], ret: RetKind): Entry {
  const out = args.findIndex((k) => k.endsWith("_out"));
  return { name, args, ret, firstOut: out < 0 ? args.length : out };
}

const ENTRIES: (Entry | undefined)[] = [];
for (let nr = 0; nr <= SYS_MAX; nr++) {
  const name: SyscallName | undefined = syscallName(nr);
  if (name === undefined) continue;
  const sig = SYSCALL_SIGNATURES[name];
  ENTRIES[nr] = sig ? entry(name, sig.args, sig.ret ?? "int") : entry(name, SIX_HEX, "int");
}

function lookup(nr: number): Entry {
  return ENTRIES[nr] ?? entry(`syscall_${hex(nr)}`, SIX_HEX, "int");
}

/** How many arguments print: open's mode and mremap's new address only when flags use them. */
function argCount(e: Entry, args: ArrayLike<number>): number {
  for (let i = 0; i < e.args.length; i++) {
    const kind = e.args[i];
    const v = uint32(args[i] ?? 0);
    if (kind === "openflags" && (v & (F.O_CREAT | F.__O_TMPFILE)) === 0) return i + 1;
    if (kind === "mremap_flags" && (v & M.MREMAP_FIXED) === 0) return i + 1;
  }
  return e.args.length;
}

function resultText(ret: RetKind, r: number): string {
  if (ret === "none") return "?";
  if (isError(r)) return `-1 ${E.errnoName(-r) ?? `ERRNO_${-r}`} (${E.strerror(-r)})`;
  if (ret === "hex") return hex(r);
  if (ret === "octal") return r === 0 ? "0" : "0" + r.toString(8);
  return String(r);
}

// ---------------------------------------------------------------------------------------------
// The three calls strace prints in its own way.

/** clone(child_stack=…, flags=…, then parent_tid/tls/child_tidptr as the flags use them. */
function cloneEntry(args: ArrayLike<number>): string {
  return `clone(child_stack=${addr(args[1] ?? 0)}, flags=${cloneFlags(args[0] ?? 0)}`;
}

function cloneExit(args: ArrayLike<number>, result: number, mem: GuestMemoryReader): string {
  const f = uint32(args[0] ?? 0);
  let out = "";
  if (f & (SCH.CLONE_PARENT_SETTID | SCH.CLONE_PIDFD)) {
    const at = args[2] ?? 0;
    out += `, parent_tid=${isError(result) ? addr(at) : struct(mem, at, 4, (s) => `[${s.getInt32(0, true)}]`)}`;
  }
  if (f & SCH.CLONE_SETTLS) out += `, tls=${addr(args[4] ?? 0)}`;
  if (f & (SCH.CLONE_CHILD_SETTID | SCH.CLONE_CHILD_CLEARTID)) out += `, child_tidptr=${addr(args[3] ?? 0)}`;
  return out;
}

/** futex(uaddr, op, then the arguments the operation uses (strace's do_futex). */
function futexEntry(args: ArrayLike<number>, mem: GuestMemoryReader): string {
  const op = uint32(args[1] ?? 0);
  const val = String(uint32(args[2] ?? 0));
  const timeout = (): string => arg("timespec_in", 3, args, mem, 0);
  const val2 = String(uint32(args[3] ?? 0));
  const uaddr2 = addr(args[4] ?? 0);
  const val3 = uint32(args[5] ?? 0);
  const bitset = val3 === FX.FUTEX_BITSET_MATCH_ANY ? "FUTEX_BITSET_MATCH_ANY" : hex(val3);
  let out = `futex(${addr(args[0] ?? 0)}, ${futexOp(op)}`;
  switch (op & 127) {
    case FX.FUTEX_WAIT:
      return out + `, ${val}, ${timeout()}`;
    case FX.FUTEX_LOCK_PI:
    case FX.FUTEX_LOCK_PI2:
      return out + `, ${timeout()}`;
    case FX.FUTEX_WAIT_BITSET:
      return out + `, ${val}, ${timeout()}, ${bitset}`;
    case FX.FUTEX_WAKE_BITSET:
      return out + `, ${val}, ${bitset}`;
    case FX.FUTEX_REQUEUE:
      return out + `, ${val}, ${val2}, ${uaddr2}`;
    case FX.FUTEX_CMP_REQUEUE:
    case FX.FUTEX_CMP_REQUEUE_PI:
      return out + `, ${val}, ${val2}, ${uaddr2}, ${String(val3)}`;
    case FX.FUTEX_WAKE_OP:
      return out + `, ${val}, ${val2}, ${uaddr2}, ${futexWakeOp(val3)}`;
    case FX.FUTEX_WAIT_REQUEUE_PI:
      return out + `, ${val}, ${timeout()}, ${uaddr2}`;
    case FX.FUTEX_FD:
    case FX.FUTEX_WAKE:
      return out + `, ${val}`;
    case FX.FUTEX_UNLOCK_PI:
    case FX.FUTEX_TRYLOCK_PI:
      return out;
    default:
      out += `, ${val}, ${addr(args[3] ?? 0)}, ${uaddr2}, ${hex(val3)}`;
      return out;
  }
}

const FUTEX_WAKE_OPS = xlat({
  FUTEX_OP_SET: FX.FUTEX_OP_SET,
  FUTEX_OP_ADD: FX.FUTEX_OP_ADD,
  FUTEX_OP_OR: FX.FUTEX_OP_OR,
  FUTEX_OP_ANDN: FX.FUTEX_OP_ANDN,
  FUTEX_OP_XOR: FX.FUTEX_OP_XOR,
});
const FUTEX_WAKE_CMPS = xlat({
  FUTEX_OP_CMP_EQ: FX.FUTEX_OP_CMP_EQ,
  FUTEX_OP_CMP_NE: FX.FUTEX_OP_CMP_NE,
  FUTEX_OP_CMP_LT: FX.FUTEX_OP_CMP_LT,
  FUTEX_OP_CMP_LE: FX.FUTEX_OP_CMP_LE,
  FUTEX_OP_CMP_GT: FX.FUTEX_OP_CMP_GT,
  FUTEX_OP_CMP_GE: FX.FUTEX_OP_CMP_GE,
});

/** FUTEX_WAKE_OP's val3, the FUTEX_OP() encoding, as an expression. */
function futexWakeOp(val3: number): string {
  const field = (v: number, table: Xlat, shift: number, unknown: string): string => {
    for (const [name, value] of table) if (value === v) return `${name}<<${shift}`;
    return `${hex(v)}<<${shift} /* ${unknown} */`;
  };
  const shift = (val3 >>> 28) & FX.FUTEX_OP_OPARG_SHIFT ? "FUTEX_OP_OPARG_SHIFT<<28|" : "";
  return (
    `${shift}${field((val3 >>> 28) & 7, FUTEX_WAKE_OPS, 28, "FUTEX_OP_???")}|${hex((val3 >>> 12) & 0xfff)}<<12|` +
    `${field((val3 >>> 24) & 0xf, FUTEX_WAKE_CMPS, 24, "FUTEX_OP_CMP_???")}|${hex(val3 & 0xfff)}`
  );
}

/** fcntl(fd, cmd, then the argument typed by the command, if it takes one (strace's fcntl.c). */
function fcntlEntry(args: ArrayLike<number>): string {
  const cmd = int32(args[1] ?? 0);
  const v = args[2] ?? 0;
  const out = `fcntl(${int32(args[0] ?? 0)}, ${xval(cmd, FCNTL_CMDS, "F_???")}`;
  switch (cmd) {
    case F.F_GETFD:
    case F.F_GETFL:
    case F.F_GETOWN:
    case F.F_GETSIG:
    case F.F_GETLEASE:
    case F.F_GETPIPE_SZ:
    case F.F_GET_SEALS:
      return out;
    case F.F_SETFD:
      return out + `, ${flags(v, FD_FLAGS, "FD_???")}`;
    case F.F_SETFL:
      return out + `, ${openFlags(v)}`;
    case F.F_DUPFD:
    case F.F_DUPFD_CLOEXEC:
    case F.F_SETOWN:
    case F.F_SETPIPE_SZ:
      return out + `, ${int32(v)}`;
    case F.F_SETSIG:
      return out + `, ${signalName(int32(v))}`;
    case F.F_SETLEASE:
      return out + `, ${xval(int32(v), LOCK_TYPES, "F_???")}`;
    case F.F_ADD_SEALS:
      return out + `, ${flags(v, SEALS, "F_SEAL_???")}`;
    case F.F_GETLK:
    case F.F_SETLK:
    case F.F_SETLKW:
    case F.F_OFD_GETLK:
    case F.F_OFD_SETLK:
    case F.F_OFD_SETLKW:
    case F.F_GETOWN_EX:
    case F.F_SETOWN_EX:
      return out + `, ${addr(v)}`;
    default:
      return out + `, ${hex(v)}`;
  }
}

/** F_GETFD and F_GETFL results carry their flags, as strace prints them. */
function fcntlResult(args: ArrayLike<number>, r: number): string {
  const cmd = int32(args[1] ?? 0);
  if (!isError(r) && cmd === F.F_GETFL) return `${hex(r)} (flags ${openFlags(r)})`;
  if (!isError(r) && cmd === F.F_GETFD && r !== 0) return `${hex(r)} (flags ${flags(r, FD_FLAGS, "FD_???")})`;
  return resultText("int", r);
}

// ---------------------------------------------------------------------------------------------
// The API.

/** Everything strace prints before the call: "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY". */
export function formatSyscallEntry(nr: number, args: ArrayLike<number>, mem: GuestMemoryReader): string {
  if (nr === SYS.clone) return cloneEntry(args);
  if (nr === SYS.futex) return futexEntry(args, mem);
  if (nr === SYS.fcntl) return fcntlEntry(args);
  const e = lookup(nr);
  const end = Math.min(argCount(e, args), e.firstOut);
  let out = e.name + "(";
  for (let i = 0; i < end; i++) out += (i === 0 ? "" : ", ") + arg(e.args[i]!, i, args, mem, 0);
  return out;
}

/** The rest, once the call returned: out-arguments read back from memory, then " = result". */
export function formatSyscallExit(nr: number, args: ArrayLike<number>, result: number, mem: GuestMemoryReader): string {
  if (nr === SYS.clone) return `${cloneExit(args, result, mem)}) = ${resultText("int", result)}`;
  if (nr === SYS.futex) return `) = ${resultText("int", result)}`;
  if (nr === SYS.fcntl) return `) = ${fcntlResult(args, result)}`;
  const e = lookup(nr);
  const count = argCount(e, args);
  let out = "";
  for (let i = Math.min(count, e.firstOut); i < count; i++) out += (i === 0 ? "" : ", ") + arg(e.args[i]!, i, args, mem, result);
  return `${out}) = ${resultText(e.ret, result)}`;
}
