// Linux: the argument lists of include/linux/syscalls.h, in x86-64 register order, for the
// syscalls static busybox/musl/glibc programs make. Each argument is tagged with what it means
// to a reader (strace's decoders are the model); libos/strace.ts prints them. Data only.

import type { SyscallName } from "./syscalls.ts";

/**
 * What one syscall argument holds. Arguments read by the kernel ("in") print before the call;
 * the `_out` kinds are filled in by the kernel and print after it, from guest memory.
 */
export type ArgKind =
  // Integers.
  | "int" // int (low 32 bits, signed)
  | "uint" // unsigned int
  | "long" // long, loff_t (signed 64-bit)
  | "size" // size_t (unsigned 64-bit)
  | "hex" // a number best read in hex (offsets of mmap, magic values)
  | "ptr" // an address: NULL or hex
  | "fd" // a file descriptor
  | "dirfd" // a file descriptor or AT_FDCWD
  | "mode" // mode_t in octal (0644)
  // Strings and buffers in guest memory.
  | "path" // NUL-terminated path, printed whole
  | "string" // NUL-terminated string, printed up to 32 bytes then ...
  | "argv" // NULL-terminated array of string pointers (execve)
  | "envp" // NULL-terminated array, printed as its address and count
  | "buf_in" // bytes, the next argument is their length
  | "buf_out" // bytes, the result is their length
  | "hexbuf_out" // bytes, the result is their length, shown in \x hex (random data)
  | "path_out" // NUL-terminated string written by the kernel (getcwd)
  | "iovec_in" // struct iovec[], the next argument is the count
  | "iovec_out" // struct iovec[] filled with as many bytes as the result
  // Flags and enumerations.
  | "openflags" // O_ACCMODE|O_* (the next argument, a mode, exists only with O_CREAT or O_TMPFILE)
  | "oflags" // O_* without an access mode (pipe2, dup3)
  | "accessmode" // F_OK or R_OK|W_OK|X_OK
  | "atflags" // AT_SYMLINK_NOFOLLOW|AT_REMOVEDIR|AT_EMPTY_PATH...
  | "faccessat_flags" // AT_EACCESS|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH
  | "statx_flags" // AT_STATX_SYNC_*|AT_* (statx)
  | "statx_mask" // STATX_*
  | "rename_flags" // RENAME_*
  | "close_range_flags" // CLOSE_RANGE_*
  | "flock_op" // LOCK_*
  | "whence" // SEEK_*
  | "prot" // PROT_*
  | "mapflags" // MAP_SHARED/MAP_PRIVATE|MAP_*
  | "mremap_flags" // MREMAP_* (the next argument exists only with MREMAP_FIXED)
  | "madvise" // MADV_*
  | "signal" // a signal number
  | "sigprocmask_how" // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
  | "clockid" // CLOCK_*
  | "timer_flags" // TIMER_ABSTIME
  | "itimer_which" // ITIMER_*
  | "ioctl_cmd" // an ioctl request
  | "fcntl_cmd" // F_* (its argument follows only for commands that take one)
  | "futex_op" // FUTEX_*_PRIVATE|FUTEX_CLOCK_REALTIME (the arguments that follow depend on it)
  | "rlimit_resource" // RLIMIT_*
  | "rusage_who" // RUSAGE_*
  | "wait_options" // WNOHANG|...
  | "clone_flags" // CLONE_*|exit signal
  | "socket_domain" // AF_*
  | "socket_type" // SOCK_*|SOCK_CLOEXEC|SOCK_NONBLOCK
  | "socket_protocol" // IPPROTO_* for AF_INET/AF_INET6
  | "sock_flags" // SOCK_CLOEXEC|SOCK_NONBLOCK (accept4)
  | "msg_flags" // MSG_*
  | "shut_how" // SHUT_*
  | "sockopt_level" // SOL_SOCKET or IPPROTO_*
  | "sockopt_name" // SO_* at SOL_SOCKET
  | "epoll_ctl_op" // EPOLL_CTL_*
  | "epoll_flags" // EPOLL_CLOEXEC
  | "efd_flags" // EFD_*
  | "tfd_flags" // TFD_* (timerfd_create and timerfd_settime)
  | "sfd_flags" // SFD_*
  | "grnd_flags" // GRND_*
  | "arch_prctl_code" // ARCH_*
  | "prctl_option" // PR_*
  // Structures read by the kernel.
  | "timespec_in"
  | "itimerval_in"
  | "sigset_in"
  | "sigaction_in"
  | "stack_in" // stack_t
  | "rlimit_in"
  | "rlimit64_in"
  | "epoll_event_in"
  | "itimerspec_in"
  // Structures written by the kernel.
  | "stat_out"
  | "statx_out"
  | "timespec_out"
  | "timeval_out"
  | "itimerval_out"
  | "itimerspec_out"
  | "tms_out"
  | "rusage_out"
  | "sysinfo_out"
  | "utsname_out"
  | "sigset_out"
  | "sigaction_out"
  | "stack_out"
  | "rlimit_out"
  | "rlimit64_out"
  | "wstatus_out" // int status of wait4
  | "fdpair_out" // int[2] of pipe/socketpair
  | "dirents_out" // linux_dirent(64) records, as many bytes as the result
  | "epoll_events_out" // struct epoll_event[], as many as the result
  | "sockaddr_in" // a socket address; the next argument is its length
  | "sockaddr_out" // a socket address written; the next argument points to its length
  | "socklen_out" // the socklen_t a socket address's length was written to
  | "msghdr_in" // struct msghdr of sendmsg
  | "msghdr_out"; // struct msghdr of recvmsg, as filled

/** How the result reads: a number, an address, an octal mode, or nothing (the call never returns). */
export type RetKind = "int" | "hex" | "octal" | "none";

export interface SyscallSignature {
  readonly args: readonly ArgKind[];
  /** "int" when absent. */
  readonly ret?: RetKind;
}

export const SYSCALL_SIGNATURES: { readonly [name in SyscallName]?: SyscallSignature } = {
  // Files: read and write.
  read: { args: ["fd", "buf_out", "size"] },
  write: { args: ["fd", "buf_in", "size"] },
  pread64: { args: ["fd", "buf_out", "size", "long"] },
  pwrite64: { args: ["fd", "buf_in", "size", "long"] },
  readv: { args: ["fd", "iovec_out", "int"] },
  writev: { args: ["fd", "iovec_in", "int"] },
  preadv: { args: ["fd", "iovec_out", "int", "long"] },
  pwritev: { args: ["fd", "iovec_in", "int", "long"] },
  lseek: { args: ["fd", "long", "whence"] },
  sendfile: { args: ["fd", "fd", "ptr", "size"] },
  copy_file_range: { args: ["fd", "ptr", "fd", "ptr", "size", "uint"] },
  splice: { args: ["fd", "ptr", "fd", "ptr", "size", "hex"] },
  tee: { args: ["fd", "fd", "size", "hex"] },
  vmsplice: { args: ["fd", "ptr", "size", "hex"] },
  // Files: open, close, descriptors.
  open: { args: ["path", "openflags", "mode"] },
  openat: { args: ["dirfd", "path", "openflags", "mode"] },
  openat2: { args: ["dirfd", "path", "ptr", "size"] },
  creat: { args: ["path", "mode"] },
  close: { args: ["fd"] },
  close_range: { args: ["uint", "uint", "close_range_flags"] },
  dup: { args: ["fd"] },
  dup2: { args: ["fd", "fd"] },
  dup3: { args: ["fd", "fd", "oflags"] },
  pipe: { args: ["fdpair_out"] },
  pipe2: { args: ["fdpair_out", "oflags"] },
  fcntl: { args: ["fd", "fcntl_cmd", "hex"] },
  ioctl: { args: ["fd", "ioctl_cmd", "hex"] },
  flock: { args: ["fd", "flock_op"] },
  fsync: { args: ["fd"] },
  fdatasync: { args: ["fd"] },
  sync: { args: [] },
  syncfs: { args: ["fd"] },
  truncate: { args: ["path", "long"] },
  ftruncate: { args: ["fd", "long"] },
  fadvise64: { args: ["fd", "long", "size", "int"] },
  fallocate: { args: ["fd", "int", "long", "long"] },
  // Files: metadata.
  stat: { args: ["path", "stat_out"] },
  fstat: { args: ["fd", "stat_out"] },
  lstat: { args: ["path", "stat_out"] },
  newfstatat: { args: ["dirfd", "path", "stat_out", "atflags"] },
  statx: { args: ["dirfd", "path", "statx_flags", "statx_mask", "statx_out"] },
  sysfs: { args: ["int", "ptr", "ptr"] },
  statfs: { args: ["path", "ptr"] },
  fstatfs: { args: ["fd", "ptr"] },
  access: { args: ["path", "accessmode"] },
  faccessat: { args: ["dirfd", "path", "accessmode"] },
  faccessat2: { args: ["dirfd", "path", "accessmode", "faccessat_flags"] },
  chmod: { args: ["path", "mode"] },
  fchmod: { args: ["fd", "mode"] },
  fchmodat: { args: ["dirfd", "path", "mode"] },
  fchmodat2: { args: ["dirfd", "path", "mode", "atflags"] },
  chown: { args: ["path", "int", "int"] },
  fchown: { args: ["fd", "int", "int"] },
  lchown: { args: ["path", "int", "int"] },
  fchownat: { args: ["dirfd", "path", "int", "int", "atflags"] },
  umask: { args: ["mode"], ret: "octal" },
  utime: { args: ["path", "ptr"] },
  utimes: { args: ["path", "ptr"] },
  utimensat: { args: ["dirfd", "path", "ptr", "atflags"] },
  readlink: { args: ["path", "buf_out", "size"] },
  readlinkat: { args: ["dirfd", "path", "buf_out", "size"] },
  getxattr: { args: ["path", "string", "ptr", "size"] },
  lgetxattr: { args: ["path", "string", "ptr", "size"] },
  fgetxattr: { args: ["fd", "string", "ptr", "size"] },
  getxattrat: { args: ["dirfd", "path", "atflags", "string", "ptr", "size"] },
  setxattr: { args: ["path", "string", "buf_in", "size", "int"] },
  lsetxattr: { args: ["path", "string", "buf_in", "size", "int"] },
  fsetxattr: { args: ["fd", "string", "buf_in", "size", "int"] },
  setxattrat: { args: ["dirfd", "path", "atflags", "string", "ptr", "size"] },
  listxattr: { args: ["path", "ptr", "size"] },
  llistxattr: { args: ["path", "ptr", "size"] },
  flistxattr: { args: ["fd", "ptr", "size"] },
  listxattrat: { args: ["dirfd", "path", "atflags", "ptr", "size"] },
  removexattr: { args: ["path", "string"] },
  lremovexattr: { args: ["path", "string"] },
  fremovexattr: { args: ["fd", "string"] },
  removexattrat: { args: ["dirfd", "path", "atflags", "string"] },
  // Files: names and directories.
  getcwd: { args: ["path_out", "size"] },
  chdir: { args: ["path"] },
  fchdir: { args: ["fd"] },
  chroot: { args: ["path"] },
  mkdir: { args: ["path", "mode"] },
  mkdirat: { args: ["dirfd", "path", "mode"] },
  rmdir: { args: ["path"] },
  mknod: { args: ["path", "mode", "hex"] },
  mknodat: { args: ["dirfd", "path", "mode", "hex"] },
  link: { args: ["path", "path"] },
  linkat: { args: ["dirfd", "path", "dirfd", "path", "atflags"] },
  symlink: { args: ["path", "path"] },
  symlinkat: { args: ["path", "dirfd", "path"] },
  unlink: { args: ["path"] },
  unlinkat: { args: ["dirfd", "path", "atflags"] },
  rename: { args: ["path", "path"] },
  renameat: { args: ["dirfd", "path", "dirfd", "path"] },
  renameat2: { args: ["dirfd", "path", "dirfd", "path", "rename_flags"] },
  getdents: { args: ["fd", "dirents_out", "uint"] },
  getdents64: { args: ["fd", "dirents_out", "uint"] },
  mount: { args: ["path", "path", "string", "hex", "ptr"] },
  umount2: { args: ["path", "int"] },
  inotify_init1: { args: ["oflags"] },
  inotify_add_watch: { args: ["fd", "path", "hex"] },
  inotify_rm_watch: { args: ["fd", "int"] },
  memfd_create: { args: ["string", "hex"] },
  // Memory.
  brk: { args: ["ptr"], ret: "hex" },
  mmap: { args: ["ptr", "size", "prot", "mapflags", "fd", "hex"], ret: "hex" },
  munmap: { args: ["ptr", "size"] },
  mprotect: { args: ["ptr", "size", "prot"] },
  mremap: { args: ["ptr", "size", "size", "mremap_flags", "ptr"], ret: "hex" },
  madvise: { args: ["ptr", "size", "madvise"] },
  msync: { args: ["ptr", "size", "hex"] },
  mincore: { args: ["ptr", "size", "ptr"] },
  mlock: { args: ["ptr", "size"] },
  munlock: { args: ["ptr", "size"] },
  mlockall: { args: ["hex"] },
  munlockall: { args: [] },
  membarrier: { args: ["int", "hex", "int"] },
  // Processes and threads.
  getpid: { args: [] },
  getppid: { args: [] },
  gettid: { args: [] },
  getuid: { args: [] },
  geteuid: { args: [] },
  getgid: { args: [] },
  getegid: { args: [] },
  setuid: { args: ["int"] },
  setgid: { args: ["int"] },
  setreuid: { args: ["int", "int"] },
  setregid: { args: ["int", "int"] },
  setresuid: { args: ["int", "int", "int"] },
  setresgid: { args: ["int", "int", "int"] },
  getresuid: { args: ["ptr", "ptr", "ptr"] },
  getresgid: { args: ["ptr", "ptr", "ptr"] },
  setfsuid: { args: ["int"] },
  setfsgid: { args: ["int"] },
  getgroups: { args: ["int", "ptr"] },
  setgroups: { args: ["int", "ptr"] },
  getpgrp: { args: [] },
  getpgid: { args: ["int"] },
  setpgid: { args: ["int", "int"] },
  getsid: { args: ["int"] },
  setsid: { args: [] },
  getpriority: { args: ["int", "int"] },
  setpriority: { args: ["int", "int", "int"] },
  fork: { args: [] },
  vfork: { args: [] },
  clone: { args: ["clone_flags", "ptr", "ptr", "ptr", "hex"] },
  clone3: { args: ["ptr", "size"] },
  execve: { args: ["path", "argv", "envp"] },
  execveat: { args: ["dirfd", "path", "argv", "envp", "atflags"] },
  exit: { args: ["int"], ret: "none" },
  exit_group: { args: ["int"], ret: "none" },
  wait4: { args: ["int", "wstatus_out", "wait_options", "rusage_out"] },
  waitid: { args: ["int", "int", "ptr", "wait_options", "ptr"] },
  set_tid_address: { args: ["ptr"] },
  set_robust_list: { args: ["ptr", "size"] },
  get_robust_list: { args: ["int", "ptr", "ptr"] },
  rseq: { args: ["ptr", "hex", "hex", "hex"] },
  arch_prctl: { args: ["arch_prctl_code", "hex"] },
  prctl: { args: ["prctl_option", "hex", "hex", "hex", "hex"] },
  personality: { args: ["hex"] },
  uname: { args: ["utsname_out"] },
  sethostname: { args: ["buf_in", "size"] },
  setdomainname: { args: ["buf_in", "size"] },
  sysinfo: { args: ["sysinfo_out"] },
  getrlimit: { args: ["rlimit_resource", "rlimit_out"] },
  setrlimit: { args: ["rlimit_resource", "rlimit_in"] },
  prlimit64: { args: ["int", "rlimit_resource", "rlimit64_in", "rlimit64_out"] },
  getrusage: { args: ["rusage_who", "rusage_out"] },
  times: { args: ["tms_out"] },
  sched_yield: { args: [] },
  sched_getaffinity: { args: ["int", "size", "ptr"] },
  sched_setaffinity: { args: ["int", "size", "ptr"] },
  getcpu: { args: ["ptr", "ptr", "ptr"] },
  getrandom: { args: ["hexbuf_out", "size", "grnd_flags"] },
  futex: { args: ["ptr", "futex_op", "int", "timespec_in", "ptr", "hex"] },
  // Signals.
  rt_sigaction: { args: ["signal", "sigaction_in", "sigaction_out", "size"] },
  rt_sigprocmask: { args: ["sigprocmask_how", "sigset_in", "sigset_out", "size"] },
  rt_sigreturn: { args: [] },
  rt_sigpending: { args: ["sigset_out", "size"] },
  rt_sigsuspend: { args: ["sigset_in", "size"] },
  rt_sigtimedwait: { args: ["sigset_in", "ptr", "timespec_in", "size"] },
  rt_sigqueueinfo: { args: ["int", "signal", "ptr"] },
  sigaltstack: { args: ["stack_in", "stack_out"] },
  kill: { args: ["int", "signal"] },
  tkill: { args: ["int", "signal"] },
  tgkill: { args: ["int", "int", "signal"] },
  pause: { args: [] },
  // Time.
  time: { args: ["ptr"] },
  gettimeofday: { args: ["timeval_out", "ptr"] },
  settimeofday: { args: ["ptr", "ptr"] },
  adjtimex: { args: ["ptr"] },
  pidfd_open: { args: ["int", "hex"] },
  pidfd_send_signal: { args: ["fd", "int", "ptr", "hex"] },
  pidfd_getfd: { args: ["fd", "int", "hex"] },
  kcmp: { args: ["int", "int", "int", "hex", "hex"] },
  futex_waitv: { args: ["ptr", "uint", "hex", "ptr", "clockid"] },
  clock_adjtime: { args: ["clockid", "ptr"] },
  clock_gettime: { args: ["clockid", "timespec_out"] },
  clock_settime: { args: ["clockid", "timespec_in"] },
  clock_getres: { args: ["clockid", "timespec_out"] },
  clock_nanosleep: { args: ["clockid", "timer_flags", "timespec_in", "ptr"] },
  nanosleep: { args: ["timespec_in", "ptr"] },
  alarm: { args: ["uint"] },
  getitimer: { args: ["itimer_which", "itimerval_out"] },
  setitimer: { args: ["itimer_which", "itimerval_in", "itimerval_out"] },
  timerfd_create: { args: ["clockid", "tfd_flags"] },
  timerfd_settime: { args: ["fd", "tfd_flags", "itimerspec_in", "itimerspec_out"] },
  timerfd_gettime: { args: ["fd", "itimerspec_out"] },
  // Waiting for descriptors.
  poll: { args: ["ptr", "uint", "int"] },
  ppoll: { args: ["ptr", "uint", "timespec_in", "sigset_in", "size"] },
  select: { args: ["int", "ptr", "ptr", "ptr", "ptr"] },
  pselect6: { args: ["int", "ptr", "ptr", "ptr", "timespec_in", "ptr"] },
  epoll_create: { args: ["int"] },
  epoll_create1: { args: ["epoll_flags"] },
  epoll_ctl: { args: ["fd", "epoll_ctl_op", "fd", "epoll_event_in"] },
  epoll_wait: { args: ["fd", "epoll_events_out", "int", "int"] },
  epoll_pwait: { args: ["fd", "epoll_events_out", "int", "int", "sigset_in", "size"] },
  epoll_pwait2: { args: ["fd", "epoll_events_out", "int", "timespec_in", "sigset_in", "size"] },
  eventfd: { args: ["uint"] },
  eventfd2: { args: ["uint", "efd_flags"] },
  signalfd: { args: ["fd", "sigset_in", "size"] },
  signalfd4: { args: ["fd", "sigset_in", "size", "sfd_flags"] },
  // Sockets.
  socket: { args: ["socket_domain", "socket_type", "socket_protocol"] },
  socketpair: { args: ["socket_domain", "socket_type", "socket_protocol", "fdpair_out"] },
  bind: { args: ["fd", "sockaddr_in", "uint"] },
  listen: { args: ["fd", "int"] },
  connect: { args: ["fd", "sockaddr_in", "uint"] },
  accept: { args: ["fd", "sockaddr_out", "socklen_out"] },
  accept4: { args: ["fd", "sockaddr_out", "socklen_out", "sock_flags"] },
  getsockname: { args: ["fd", "sockaddr_out", "socklen_out"] },
  getpeername: { args: ["fd", "sockaddr_out", "socklen_out"] },
  sendto: { args: ["fd", "buf_in", "size", "msg_flags", "sockaddr_in", "uint"] },
  recvfrom: { args: ["fd", "buf_out", "size", "msg_flags", "sockaddr_out", "socklen_out"] },
  sendmsg: { args: ["fd", "msghdr_in", "msg_flags"] },
  recvmsg: { args: ["fd", "msghdr_out", "msg_flags"] },
  shutdown: { args: ["fd", "shut_how"] },
  setsockopt: { args: ["fd", "sockopt_level", "sockopt_name", "ptr", "uint"] },
  getsockopt: { args: ["fd", "sockopt_level", "sockopt_name", "ptr", "ptr"] },
};
