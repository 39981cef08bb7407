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
import * as EFD from "../linux-abi/eventfd.ts";
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
import * as SFD from "../linux-abi/signalfd.ts";
import * as SK from "../linux-abi/socket.ts";
import * as ST from "../linux-abi/stat.ts";
import { SIZEOF_SYSINFO, decodeSysinfo } from "../linux-abi/sysinfo.ts";
import * as T from "../linux-abi/time.ts";
import * as TFD from "../linux-abi/timerfd.ts";
import { SIZEOF_IOVEC, decodeIovec } from "../linux-abi/uio.ts";
import { NEW_UTSNAME_FIELDS, SIZEOF_NEW_UTSNAME, __NEW_UTS_LEN } from "../linux-abi/utsname.ts";
import * as W from "../linux-abi/wait.ts";
import * as AP from "../linux-abi/x86_64/prctl.ts";
import { SYSCALL_SIGNATURES, type ArgKind, type RetKind } from "../linux-abi/x86_64/syscall_signatures.ts";
import { SYS, SYS_MAX, syscallName, type SyscallName } from "../linux-abi/x86_64/syscalls.ts";
import { FIRST_ARG } from "../syscall-shim/x86_64.ts";

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

/** The names of `keys` in a linux-abi module, each with its value. */
function xlat<T extends object>(mod: T, keys: readonly NumericKey<T>[]): Xlat {
  return keys.map((k) => [k, mod[k] as number] as const);
}
type NumericKey<T> = { [K in keyof T]: T[K] extends number ? K & string : never }[keyof T];

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

const OPEN_ACCESS = xlat(F, ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"]);
const OPEN_FLAGS = xlat(F, [
  "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_SYNC", "__O_SYNC", "O_DSYNC", "O_DIRECT",
  "O_LARGEFILE", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC", "O_PATH", "O_TMPFILE", "__O_TMPFILE", "O_DIRECTORY",
  "FASYNC",
]);

/** open(2) flags: the access mode, then the other flags (strace's tprint_open_modes). */
function openFlags(v: number): string {
  const access = xval(uint32(v) & F.O_ACCMODE, OPEN_ACCESS, "O_???");
  const rest = uint32(v) & ~F.O_ACCMODE;
  return rest === 0 ? access : `${access}|${flags(rest, OPEN_FLAGS, "O_???")}`;
}

const AT_FLAGS = xlat(F, [
  "AT_SYMLINK_NOFOLLOW", "AT_REMOVEDIR", "AT_SYMLINK_FOLLOW", "AT_NO_AUTOMOUNT", "AT_EMPTY_PATH", "AT_RECURSIVE",
]);
const FACCESSAT_FLAGS = xlat(F, ["AT_SYMLINK_NOFOLLOW", "AT_EACCESS", "AT_EMPTY_PATH"]);
const AT_STATX_SYNC = xlat(F, ["AT_STATX_SYNC_AS_STAT", "AT_STATX_FORCE_SYNC", "AT_STATX_DONT_SYNC"]);
const ACCESS_MODES = xlat(F, ["F_OK", "R_OK", "W_OK", "X_OK"]);
const FD_FLAGS = xlat(F, ["FD_CLOEXEC"]);
const FLOCK_OPS = xlat(F, ["LOCK_SH", "LOCK_EX", "LOCK_NB", "LOCK_UN"]);
const LOCK_TYPES = xlat(F, ["F_RDLCK", "F_WRLCK", "F_UNLCK"]);
const SEALS = xlat(F, ["F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE", "F_SEAL_FUTURE_WRITE"]);
const FCNTL_CMDS = xlat(F, [
  "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_GETLK", "F_SETLK", "F_SETLKW", "F_SETOWN", "F_GETOWN",
  "F_SETSIG", "F_GETSIG", "F_SETOWN_EX", "F_GETOWN_EX", "F_GETOWNER_UIDS", "F_OFD_GETLK", "F_OFD_SETLK",
  "F_OFD_SETLKW", "F_SETLEASE", "F_GETLEASE", "F_NOTIFY", "F_CANCELLK", "F_DUPFD_CLOEXEC", "F_SETPIPE_SZ",
  "F_GETPIPE_SZ", "F_ADD_SEALS", "F_GET_SEALS",
]);
const WHENCE = xlat(FS, ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"]);
const RENAME_FLAGS = xlat(FS, ["RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT"]);
const CLOSE_RANGE_FLAGS = xlat(FS, ["CLOSE_RANGE_UNSHARE", "CLOSE_RANGE_CLOEXEC"]);
const PROT = xlat(M, [
  "PROT_NONE", "PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_SEM", "PROT_GROWSDOWN", "PROT_GROWSUP",
]);
const MAP_TYPES = xlat(M, ["MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"]);
const MAP_FLAGS = xlat(M, [
  "MAP_FIXED", "MAP_ANONYMOUS", "MAP_32BIT", "MAP_NORESERVE", "MAP_POPULATE", "MAP_NONBLOCK", "MAP_GROWSDOWN",
  "MAP_DENYWRITE", "MAP_EXECUTABLE", "MAP_LOCKED", "MAP_STACK", "MAP_HUGETLB", "MAP_SYNC", "MAP_UNINITIALIZED",
  "MAP_FIXED_NOREPLACE",
]);

function mapFlags(v: number): string {
  const type = xval(uint32(v) & M.MAP_TYPE, MAP_TYPES, "MAP_???");
  const rest = uint32(v) & ~M.MAP_TYPE;
  return rest === 0 ? type : `${type}|${flags(rest, MAP_FLAGS, "MAP_???")}`;
}

const MREMAP_FLAGS = xlat(M, ["MREMAP_MAYMOVE", "MREMAP_FIXED", "MREMAP_DONTUNMAP"]);
const MADVISE = xlat(M, [
  "MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL", "MADV_WILLNEED", "MADV_DONTNEED", "MADV_FREE", "MADV_REMOVE",
  "MADV_DONTFORK", "MADV_DOFORK", "MADV_MERGEABLE", "MADV_UNMERGEABLE", "MADV_HUGEPAGE", "MADV_NOHUGEPAGE",
  "MADV_DONTDUMP", "MADV_DODUMP", "MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_COLD", "MADV_PAGEOUT",
  "MADV_POPULATE_READ", "MADV_POPULATE_WRITE", "MADV_DONTNEED_LOCKED", "MADV_COLLAPSE", "MADV_HWPOISON",
  "MADV_SOFT_OFFLINE",
]);
const SIGPROCMASK_HOW = xlat(SIG, ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"]);
const SA_HANDLERS = xlat(SIG, ["SIG_DFL", "SIG_IGN"]);
const SA_FLAGS = xlat(SIG, [
  "SA_RESTORER", "SA_ONSTACK", "SA_RESTART", "SA_NODEFER", "SA_RESETHAND", "SA_SIGINFO", "SA_NOCLDSTOP",
  "SA_NOCLDWAIT",
]);
const SS_FLAGS = xlat(SIG, ["SS_ONSTACK", "SS_DISABLE", "SS_AUTODISARM"]);
const CLOCKS = xlat(T, [
  "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW",
  "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_REALTIME_ALARM",
  "CLOCK_BOOTTIME_ALARM", "CLOCK_SGI_CYCLE", "CLOCK_TAI",
]);
const TIMER_FLAGS = xlat(T, ["TIMER_ABSTIME"]);
const ITIMERS = xlat(T, ["ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF"]);
const IOCTLS = xlat(IO, [
  "TCGETS", "TCSETS", "TCSETSW", "TCSETSF", "TCGETA", "TCSETA", "TCSETAW", "TCSETAF", "TCSBRK", "TCXONC", "TCFLSH",
  "TIOCEXCL", "TIOCNXCL", "TIOCSCTTY", "TIOCGPGRP", "TIOCSPGRP", "TIOCOUTQ", "TIOCSTI", "TIOCGWINSZ", "TIOCSWINSZ",
  "TIOCMGET", "TIOCMBIS", "TIOCMBIC", "TIOCMSET", "FIONREAD", "TIOCLINUX", "TIOCCONS", "TIOCPKT", "FIONBIO",
  "TIOCNOTTY", "TIOCSETD", "TIOCGETD", "TCSBRKP", "TIOCSBRK", "TIOCCBRK", "TIOCGSID", "TCGETS2", "TCSETS2",
  "TCSETSW2", "TCSETSF2", "TIOCGPTN", "TIOCSPTLCK", "TIOCGDEV", "TIOCSIG", "TIOCVHANGUP", "TIOCGPKT", "TIOCGPTLCK",
  "TIOCGEXCL", "TIOCGPTPEER", "FIONCLEX", "FIOCLEX", "FIOASYNC", "FIOQSIZE", "FIOSETOWN", "SIOCSPGRP", "FIOGETOWN",
  "SIOCGPGRP", "SIOCATMARK",
]);
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

const RLIMITS = xlat(R, [
  "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS", "RLIMIT_NPROC",
  "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
]);
const RUSAGE_WHO = xlat(R, ["RUSAGE_SELF", "RUSAGE_CHILDREN", "RUSAGE_BOTH", "RUSAGE_THREAD"]);
const WAIT_OPTIONS = xlat(W, [
  "WNOHANG", "WUNTRACED", "WEXITED", "WCONTINUED", "WNOWAIT", "__WNOTHREAD", "__WALL", "__WCLONE",
]);
const CLONE_FLAGS = xlat(SCH, [
  "CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_PIDFD", "CLONE_PTRACE", "CLONE_VFORK",
  "CLONE_PARENT", "CLONE_THREAD", "CLONE_NEWNS", "CLONE_SYSVSEM", "CLONE_SETTLS", "CLONE_PARENT_SETTID",
  "CLONE_CHILD_CLEARTID", "CLONE_DETACHED", "CLONE_UNTRACED", "CLONE_CHILD_SETTID", "CLONE_NEWCGROUP",
  "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_IO",
]);
const AF = xlat(SK, ["AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"]);
const SOCK_TYPES = xlat(SK, [
  "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET", "SOCK_DCCP", "SOCK_PACKET",
]);
const SOCK_FLAGS = xlat(SK, ["SOCK_CLOEXEC", "SOCK_NONBLOCK"]);
const IPPROTOS = xlat(SK, [
  "IPPROTO_IP", "IPPROTO_ICMP", "IPPROTO_TCP", "IPPROTO_UDP", "IPPROTO_IPV6", "IPPROTO_ICMPV6", "IPPROTO_RAW",
]);
const MSG_FLAGS = xlat(SK, [
  "MSG_OOB", "MSG_PEEK", "MSG_DONTROUTE", "MSG_CTRUNC", "MSG_PROBE", "MSG_TRUNC", "MSG_DONTWAIT", "MSG_EOR",
  "MSG_WAITALL", "MSG_FIN", "MSG_SYN", "MSG_CONFIRM", "MSG_RST", "MSG_ERRQUEUE", "MSG_NOSIGNAL", "MSG_MORE",
  "MSG_WAITFORONE", "MSG_CMSG_CLOEXEC",
]);
const SHUT_HOW = xlat(SK, ["SHUT_RD", "SHUT_WR", "SHUT_RDWR"]);
const SOL_LEVELS = xlat(SK, ["SOL_IP", "SOL_SOCKET", "SOL_TCP", "SOL_UDP", "SOL_IPV6", "SOL_RAW"]);
const SO_NAMES = xlat(SK, [
  "SO_DEBUG", "SO_REUSEADDR", "SO_TYPE", "SO_ERROR", "SO_DONTROUTE", "SO_BROADCAST", "SO_SNDBUF", "SO_RCVBUF",
  "SO_KEEPALIVE", "SO_OOBINLINE", "SO_PRIORITY", "SO_LINGER", "SO_REUSEPORT", "SO_PASSCRED", "SO_PEERCRED",
  "SO_RCVLOWAT", "SO_SNDLOWAT", "SO_RCVTIMEO_OLD", "SO_SNDTIMEO_OLD", "SO_ACCEPTCONN", "SO_PROTOCOL", "SO_DOMAIN",
]);
const EPOLL_CTL_OPS = xlat(P, ["EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLL_CTL_MOD"]);
const EPOLL_FLAGS = xlat(P, ["EPOLL_CLOEXEC"]);
const EPOLL_EVENTS = xlat(P, [
  "EPOLLIN", "EPOLLPRI", "EPOLLOUT", "EPOLLERR", "EPOLLHUP", "EPOLLNVAL", "EPOLLRDNORM", "EPOLLRDBAND",
  "EPOLLWRNORM", "EPOLLWRBAND", "EPOLLMSG", "EPOLLRDHUP", "EPOLLEXCLUSIVE", "EPOLLWAKEUP", "EPOLLONESHOT", "EPOLLET",
]);
const EFD_FLAGS = xlat(EFD, ["EFD_SEMAPHORE", "EFD_CLOEXEC", "EFD_NONBLOCK"]);
/** strace prints timerfd_create's and timerfd_settime's flags from one table. */
const TFD_FLAGS = xlat(TFD, ["TFD_TIMER_ABSTIME", "TFD_TIMER_CANCEL_ON_SET", "TFD_CLOEXEC", "TFD_NONBLOCK"]);
const SFD_FLAGS = xlat(SFD, ["SFD_CLOEXEC", "SFD_NONBLOCK"]);
const GRND_FLAGS = xlat(RND, ["GRND_NONBLOCK", "GRND_RANDOM", "GRND_INSECURE"]);
const ARCH_PRCTL_CODES = xlat(AP, [
  "ARCH_SET_GS", "ARCH_SET_FS", "ARCH_GET_FS", "ARCH_GET_GS", "ARCH_GET_CPUID", "ARCH_SET_CPUID",
  "ARCH_GET_XCOMP_SUPP", "ARCH_GET_XCOMP_PERM", "ARCH_REQ_XCOMP_PERM", "ARCH_GET_XCOMP_GUEST_PERM",
  "ARCH_REQ_XCOMP_GUEST_PERM", "ARCH_MAP_VDSO_X32", "ARCH_MAP_VDSO_32", "ARCH_MAP_VDSO_64",
]);
const PRCTL_OPTIONS = xlat(PR, [
  "PR_SET_PDEATHSIG", "PR_GET_PDEATHSIG", "PR_GET_DUMPABLE", "PR_SET_DUMPABLE", "PR_GET_KEEPCAPS", "PR_SET_KEEPCAPS",
  "PR_SET_NAME", "PR_GET_NAME", "PR_GET_SECCOMP", "PR_SET_SECCOMP", "PR_CAPBSET_READ", "PR_CAPBSET_DROP",
  "PR_GET_SECUREBITS", "PR_SET_SECUREBITS", "PR_SET_TIMERSLACK", "PR_GET_TIMERSLACK", "PR_SET_MM",
  "PR_SET_CHILD_SUBREAPER", "PR_GET_CHILD_SUBREAPER", "PR_SET_NO_NEW_PRIVS", "PR_GET_NO_NEW_PRIVS",
  "PR_GET_TID_ADDRESS", "PR_SET_THP_DISABLE", "PR_GET_THP_DISABLE", "PR_CAP_AMBIENT", "PR_GET_SPECULATION_CTRL",
  "PR_SET_SPECULATION_CTRL", "PR_SET_PTRACER", "PR_SET_VMA",
]);
const FILE_TYPES = xlat(ST, ["S_IFREG", "S_IFSOCK", "S_IFIFO", "S_IFLNK", "S_IFDIR", "S_IFBLK", "S_IFCHR"]);
const STATX_MASKS = xlat(ST, [
  "STATX_ALL", "STATX_BASIC_STATS", "STATX_TYPE", "STATX_MODE", "STATX_NLINK", "STATX_UID", "STATX_GID",
  "STATX_ATIME", "STATX_MTIME", "STATX_CTIME", "STATX_INO", "STATX_SIZE", "STATX_BLOCKS", "STATX_BTIME",
  "STATX_MNT_ID", "STATX_DIOALIGN",
]);
const STATX_ATTRS = xlat(ST, [
  "STATX_ATTR_COMPRESSED", "STATX_ATTR_IMMUTABLE", "STATX_ATTR_APPEND", "STATX_ATTR_NODUMP", "STATX_ATTR_ENCRYPTED",
  "STATX_ATTR_AUTOMOUNT", "STATX_ATTR_MOUNT_ROOT", "STATX_ATTR_VERITY", "STATX_ATTR_DAX",
]);
const FUTEX_CMDS = xlat(FX, [
  "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP", "FUTEX_LOCK_PI",
  "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
  "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
]);

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
    const name = sig === SIG.SIGRTMIN ? "RTMIN" : sig > SIG.SIGRTMIN ? `RT_${sig - SIG.SIGRTMIN}` : signalName(sig).slice(3);
    out += (first ? "" : " ") + name;
    first = false;
  }
  return out + "]";
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
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
  return s.length > limit ? quote(s, limit) + "..." : quote(s, s.length);
}

// ---------------------------------------------------------------------------------------------
// Structures in guest memory.

function view(mem: GuestMemoryReader, at: number, len: number): DataView | null {
  if (at === 0) return null;
  const b = mem.readBytes(at, len);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Print the `len`-byte structure at `at` with `print`, or NULL, or its address if unreadable. */
function struct(mem: GuestMemoryReader, at: number, len: number, print: (v: DataView) => string): string {
  if (at === 0) return "NULL";
  const v = view(mem, at, len);
  return v === null ? hex(at) : print(v);
}

function timespec(t: T.Timespec): string {
  return `{tv_sec=${t.tv_sec}, tv_nsec=${udec64(t.tv_nsec)}}`;
}

function timeval(t: T.Timeval): string {
  return `{tv_sec=${t.tv_sec}, tv_usec=${t.tv_usec}}`;
}

function itimerval(v: DataView): string {
  const it = T.decodeItimerval(v, 0);
  return `{it_interval=${timeval(it.it_interval)}, it_value=${timeval(it.it_value)}}`;
}

function itimerspec(v: DataView): string {
  const it = T.decodeItimerspec(v, 0);
  return `{it_interval=${timespec(it.it_interval)}, it_value=${timespec(it.it_value)}}`;
}

function symbolicMode(mode: number): string {
  const type = mode & ST.S_IFMT;
  for (const [name, value] of FILE_TYPES) if (value === type) return `${name}|${octal(mode & ~ST.S_IFMT)}`;
  return octal(mode);
}

function stat(v: DataView): string {
  const st = ST.decodeStat(v, 0);
  const type = st.st_mode & ST.S_IFMT;
  const tail =
    type === ST.S_IFCHR || type === ST.S_IFBLK
      ? `st_rdev=makedev(${hex(ST.major(st.st_rdev))}, ${hex(ST.minor(st.st_rdev))})`
      : `st_size=${st.st_size}`;
  return `{st_mode=${symbolicMode(st.st_mode)}, ${tail}, ...}`;
}

function statx(v: DataView): string {
  const stx = ST.decodeStatx(v, 0);
  return (
    `{stx_mask=${flags(stx.stx_mask, STATX_MASKS, "STATX_???")}, ` +
    `stx_attributes=${flags(stx.stx_attributes, STATX_ATTRS, "STATX_ATTR_???")}, ` +
    `stx_mode=${symbolicMode(stx.stx_mode)}, stx_size=${stx.stx_size}, ...}`
  );
}

function sigsetOf(mask: SIG.Sigset): string {
  return sigset(Number(mask & 0xffffffffn), Number(mask >> 32n));
}

function sigaction(v: DataView): string {
  const sa = SIG.decodeSigaction(v, 0);
  const handler = sa.sa_handler <= SIG.SIG_IGN ? xval(sa.sa_handler, SA_HANDLERS, "") : hex(sa.sa_handler);
  const restorer = sa.sa_flags & SIG.SA_RESTORER ? `, sa_restorer=${addr(sa.sa_restorer)}` : "";
  return `{sa_handler=${handler}, sa_mask=${sigsetOf(sa.sa_mask)}, sa_flags=${flags(sa.sa_flags, SA_FLAGS, "SA_???")}${restorer}}`;
}

function stackT(v: DataView): string {
  const ss = SIG.decodeStackT(v, 0);
  return `{ss_sp=${addr(ss.ss_sp)}, ss_flags=${flags(ss.ss_flags, SS_FLAGS, "SS_???")}, ss_size=${ss.ss_size}}`;
}

/** strace's print_rlim: RLIM_INFINITY, 8192*1024, or the number. */
function rlim(n: number, infinity: string): string {
  if (n === R.RLIM_INFINITY) return infinity;
  return n > 1024 && n % 1024 === 0 ? `${n / 1024}*1024` : String(n);
}

function rlimit(infinity: string): (v: DataView) => string {
  return (v) => {
    const r = R.decodeRlimit(v, 0);
    return `{rlim_cur=${rlim(r.rlim_cur, infinity)}, rlim_max=${rlim(r.rlim_max, infinity)}}`;
  };
}
const rlimit32 = rlimit("RLIM_INFINITY");
const rlimit64 = rlimit("RLIM64_INFINITY");

/** A clock_t with strace's seconds comment (100 ticks a second). */
function clockT(n: number): string {
  return n > 0 ? `${n} /* ${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")} s */` : String(n);
}

function tms(v: DataView): string {
  const t = T.decodeTms(v, 0);
  return `{tms_utime=${clockT(t.tms_utime)}, tms_stime=${clockT(t.tms_stime)}, tms_cutime=${clockT(t.tms_cutime)}, tms_cstime=${clockT(t.tms_cstime)}}`;
}

function rusage(v: DataView): string {
  const utime = T.decodeTimeval(v, R.RUSAGE_FIELDS.ru_utime);
  const stime = T.decodeTimeval(v, R.RUSAGE_FIELDS.ru_stime);
  return `{ru_utime=${timeval(utime)}, ru_stime=${timeval(stime)}, ...}`;
}

function sysinfo(v: DataView): string {
  const si = decodeSysinfo(v, 0);
  return (
    `{uptime=${si.uptime}, loads=[${si.loads.join(", ")}], totalram=${si.totalram}, freeram=${si.freeram}, ` +
    `sharedram=${si.sharedram}, bufferram=${si.bufferram}, totalswap=${si.totalswap}, freeswap=${si.freeswap}, ` +
    `procs=${si.procs}, totalhigh=${si.totalhigh}, freehigh=${si.freehigh}, mem_unit=${si.mem_unit}}`
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

function epollEvent(v: DataView): string {
  const ev = P.decodeEpollEvent(v, 0);
  const u32 = Number(ev.data & 0xffffffffn);
  return `{events=${flags(ev.events, EPOLL_EVENTS, "EPOLL???")}, data={u32=${u32}, u64=${ev.data}}}`;
}

/** The 64-bit word at `at`, or null if it is not mapped. */
function word(mem: GuestMemoryReader, at: number): number | null {
  const v = view(mem, at, 8);
  return v === null ? null : v.getUint32(4, true) * 2 ** 32 + v.getUint32(0, true);
}

/** A C array of `count` elements of `size` bytes at `at`, each printed by `item`, up to 32 then "...". */
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
    const p = word(mem, at + i * 8);
    if (p === null) return i === 0 ? hex(at) : out + `, ... /* ${hex(at + i * 8)} */]`;
    if (p === 0) return out + "]";
    if (i === MAX_STRLEN) return out + ", ...]";
    out += (i === 0 ? "" : ", ") + cstring(mem, p, MAX_STRLEN);
  }
}

/** execve's envp: its address and how many variables it holds. */
function envp(mem: GuestMemoryReader, at: number): string {
  if (at === 0) return "NULL";
  for (let i = 0; ; i++) {
    const p = word(mem, at + i * 8);
    if (p === null) return hex(at);
    if (p === 0) return `${hex(at)} /* ${i} var${i === 1 ? "" : "s"} */`;
  }
}

function iovec(mem: GuestMemoryReader, at: number, count: number, dataLen: number): string {
  let left = dataLen;
  return array(mem, at, count, SIZEOF_IOVEC, (v) => {
    const iov = decodeIovec(v, 0);
    const shown = Math.min(iov.iov_len, left);
    left -= shown;
    return `{iov_base=${buffer(mem, iov.iov_base, shown)}, iov_len=${iov.iov_len}}`;
  });
}

/** A socket address of `len` bytes as strace prints it (AF_UNIX and AF_INET in full). */
function sockaddr(mem: GuestMemoryReader, at: number, len: number): string {
  if (at === 0) return "NULL";
  const n = Math.min(Math.max(len, 0), SK.SIZEOF_SOCKADDR_STORAGE);
  const v = n >= SK.SIZEOF_SA_FAMILY ? view(mem, at, n) : null;
  if (v === null) return hex(at);
  const family = v.getUint16(0, true);
  const head = `{sa_family=${xval(family, AF, "AF_???")}`;
  if (family === SK.AF_UNIX) {
    if (n === SK.SIZEOF_SA_FAMILY) return head + "}";
    const path = new Uint8Array(v.buffer, v.byteOffset + SK.SIZEOF_SA_FAMILY, n - SK.SIZEOF_SA_FAMILY);
    if (path[0] === 0) return `${head}, sun_path=@${quote(path.subarray(1), path.length - 1)}}`;
    const end = path.indexOf(0);
    return `${head}, sun_path=${quote(path, end < 0 ? path.length : end)}}`;
  }
  if (family === SK.AF_INET && n >= 8) {
    const ip = [4, 5, 6, 7].map((i) => v.getUint8(i)).join(".");
    return `${head}, sin_port=htons(${v.getUint16(2, false)}), sin_addr=inet_addr("${ip}")}`;
  }
  return head + ", ...}";
}

/** The control messages of a msghdr: SCM_RIGHTS and SCM_CREDENTIALS decoded, others by level and type. */
function cmsgs(mem: GuestMemoryReader, at: number, len: number): string {
  const bytes = at === 0 ? null : mem.readBytes(at, Math.min(len, 4096));
  if (bytes === null) return addr(at);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let off = 0; off + SK.SIZEOF_CMSGHDR <= bytes.length; ) {
    const cmlen = v.getUint32(off, true), level = v.getInt32(off + 8, true), type = v.getInt32(off + 12, true);
    const dataLen = Math.min(cmlen, bytes.length - off) - SK.SIZEOF_CMSGHDR;
    let item = `{cmsg_len=${cmlen}, cmsg_level=${xval(level, SOL_LEVELS, "SOL_???")}`;
    if (level === SK.SOL_SOCKET && type === SK.SCM_RIGHTS) {
      const fds = Array.from({ length: Math.max(0, Math.floor(dataLen / 4)) }, (_, i) => v.getInt32(off + SK.SIZEOF_CMSGHDR + i * 4, true));
      item += `, cmsg_type=SCM_RIGHTS, cmsg_data=[${fds.join(", ")}]}`;
    } else if (level === SK.SOL_SOCKET && type === SK.SCM_CREDENTIALS && dataLen >= SK.SIZEOF_UCRED) {
      const c = SK.decodeUcred(v, off + SK.SIZEOF_CMSGHDR);
      item += `, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=${c.pid}, uid=${c.uid}, gid=${c.gid}}}`;
    } else {
      item += `, cmsg_type=${type}}`;
    }
    out.push(item);
    if (cmlen < SK.SIZEOF_CMSGHDR) break;
    off += SK.cmsgAlign(cmlen);
  }
  return `[${out.join(", ")}]`;
}

/** A msghdr; `dataLen` bytes of its iovecs are shown (sendmsg: all, recvmsg: the result). */
function msghdr(mem: GuestMemoryReader, at: number, dataLen: number, received: boolean): string {
  return struct(mem, at, SK.SIZEOF_MSGHDR, (v) => {
    const u64 = (o: number): number => v.getUint32(o, true) + v.getUint32(o + 4, true) * 4294967296;
    const name = u64(SK.MSGHDR.name), namelen = v.getUint32(SK.MSGHDR.namelen, true);
    const iov = u64(SK.MSGHDR.iov), iovlen = u64(SK.MSGHDR.iovlen);
    const control = u64(SK.MSGHDR.control), controllen = u64(SK.MSGHDR.controllen);
    const shownName = name === 0 ? "NULL" : received && namelen === 0 ? addr(name) : sockaddr(mem, name, namelen);
    const shownControl = control === 0 || controllen === 0 ? addr(control) : cmsgs(mem, control, controllen);
    const msgFlags = received ? flags(v.getUint32(SK.MSGHDR.flags, true), MSG_FLAGS, "MSG_???") : String(v.getInt32(SK.MSGHDR.flags, true));
    return `{msg_name=${shownName}, msg_namelen=${namelen}, msg_iov=${iov === 0 ? "NULL" : iovec(mem, iov, Math.min(iovlen, 1024), dataLen)}, ` +
      `msg_iovlen=${iovlen}, msg_control=${shownControl}, msg_controllen=${controllen}, msg_flags=${msgFlags}}`;
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
    case "efd_flags":
      return flags(v, EFD_FLAGS, "EFD_???");
    case "tfd_flags":
      return flags(v, TFD_FLAGS, "TFD_???");
    case "sfd_flags":
      return flags(v, SFD_FLAGS, "SFD_???");
    case "grnd_flags":
      return flags(v, GRND_FLAGS, "GRND_???");
    case "arch_prctl_code":
      return xval(int32(v), ARCH_PRCTL_CODES, "ARCH_???");
    case "prctl_option":
      return xval(int32(v), PRCTL_OPTIONS, "PR_???");
    case "timespec_in":
      return struct(mem, v, T.SIZEOF_TIMESPEC, (s) => timespec(T.decodeTimespec(s, 0)));
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
      return struct(mem, v, P.SIZEOF_EPOLL_EVENT, epollEvent);
    case "sockaddr_in":
      return sockaddr(mem, v, int32(next));
    case "msghdr_in":
      return msghdr(mem, v, Infinity, false);
    case "itimerspec_in":
      return struct(mem, v, T.SIZEOF_ITIMERSPEC, itimerspec);
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
      return struct(mem, v, T.SIZEOF_TIMESPEC, (s) => timespec(T.decodeTimespec(s, 0)));
    case "timeval_out":
      return struct(mem, v, T.SIZEOF_TIMEVAL, (s) => timeval(T.decodeTimeval(s, 0)));
    case "itimerval_out":
      return struct(mem, v, T.SIZEOF_ITIMERVAL, itimerval);
    case "itimerspec_out":
      return struct(mem, v, T.SIZEOF_ITIMERSPEC, itimerspec);
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
      return v === 0 ? "NULL" : array(mem, v, result, P.SIZEOF_EPOLL_EVENT, epollEvent);
    case "sockaddr_out":
      return v === 0 ? "NULL" : struct(mem, next, 4, (s) => sockaddr(mem, v, s.getUint32(0, true)));
    case "socklen_out":
      return struct(mem, v, 4, (s) => `[${s.getUint32(0, true)}]`);
    case "msghdr_out":
      return msghdr(mem, v, result, true);
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

/**
 * Kinds the kernel reads as a C int or narrower (int, unsigned int, pid_t, umode_t,
 * clockid_t...): only the low 32 bits of their register count, whatever the high ones hold.
 */
const NARROW_KINDS: ReadonlySet<ArgKind> = new Set<ArgKind>([
  "int", "uint", "fd", "dirfd", "mode", "openflags", "oflags", "accessmode", "atflags", "faccessat_flags", "statx_flags",
  "statx_mask", "rename_flags", "close_range_flags", "flock_op", "whence", "madvise", "signal", "sigprocmask_how", "clockid",
  "timer_flags", "itimer_which", "ioctl_cmd", "fcntl_cmd", "futex_op", "rlimit_resource", "rusage_who", "wait_options",
  "socket_domain", "socket_type", "socket_protocol", "sock_flags", "msg_flags", "shut_how", "sockopt_level", "sockopt_name",
  "epoll_ctl_op", "epoll_flags", "efd_flags", "tfd_flags", "sfd_flags", "grnd_flags",
]);

/**
 * The six argument registers of call `nr` from its fault message's words, as the printer
 * reads them: a C int's low 32 bits (sign-extended, so AT_FDCWD and -1 print as such, and
 * garbage in the high half prints as strace prints it: not at all); every other argument
 * as a signed 64-bit value.
 */
export function argValues(nr: number, words: Uint32Array): number[] {
  const kinds = lookup(nr).args;
  const argv = new Array<number>(6);
  for (let i = 0; i < 6; i++) {
    const lo = words[(FIRST_ARG + i) * 2]!, hi = words[(FIRST_ARG + i) * 2 + 1]!;
    argv[i] = NARROW_KINDS.has(kinds[i] ?? "hex") ? lo | 0 : lo + (hi | 0) * 4294967296;
  }
  return argv;
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
  const out = `futex(${addr(args[0] ?? 0)}, ${futexOp(op)}`;
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
      return out + `, ${val}, ${addr(args[3] ?? 0)}, ${uaddr2}, ${hex(val3)}`;
  }
}

const FUTEX_WAKE_OPS = xlat(FX, ["FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN", "FUTEX_OP_XOR"]);
const FUTEX_WAKE_CMPS = xlat(FX, [
  "FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT", "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE",
]);

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
