// The x86-64 syscall table: the one readable list of what this LibOS implements.
// As gVisor's linux64.go, each entry is the spec: a handler and how complete it is.
// Numbers not listed answer ENOSYS and are reported once (see kernel_task.ts);
// `libos syscalls` prints this table. Path calls check permissions as Linux does for the
// calling thread's credentials and capabilities (_path.ts, permission.ts).

import { SYS, SYS_MAX, syscallName, type SyscallName } from "../../linux-abi/x86_64/syscalls.ts";
import type { SyscallHandler } from "./context.ts";
import * as rw from "./sys_read_write.ts";
import * as file from "./sys_file.ts";
import * as names from "./sys_names.ts";
import * as stat from "./sys_stat.ts";
import * as mm from "./sys_mmap.ts";
import * as proc from "./sys_process.ts";
import * as sig from "./sys_signal.ts";
import * as time from "./sys_time.ts";
import * as misc from "./sys_misc.ts";
import * as clone from "./sys_clone.ts";
import * as pipe from "./sys_pipe.ts";
import * as poll from "./sys_poll.ts";
import * as epoll from "./sys_epoll.ts";
import * as eventfd from "./sys_eventfd.ts";
import * as timerfd from "./sys_timerfd.ts";
import * as signalfd from "./sys_signalfd.ts";
import * as futex from "./sys_futex.ts";
import * as lock from "./sys_lock.ts";
import * as sync from "./sys_sync.ts";
import * as setstat from "./sys_setstat.ts";
import * as mnt from "./sys_mount.ts";
import * as memfd from "./sys_memfd.ts";
import * as membarrier from "./sys_membarrier.ts";
import * as xattr from "./sys_xattr.ts";
import * as sock from "./sys_socket.ts";
import * as msg from "./sys_socket_msg.ts";
import * as creds from "./sys_creds.ts";
import * as caps from "./sys_capability.ts";
import * as ipc from "./sys_ipc.ts";
import * as sched from "./sys_sched.ts";
import * as uts from "./sys_uts.ts";
import * as sysfs from "./sys_sysfs.ts";
import * as splice from "./sys_splice.ts";
import * as wallclock from "./sys_wallclock.ts";
import * as pidfd from "./sys_pidfd.ts";
import * as kcmp from "./sys_kcmp.ts";
import * as keys from "./sys_keys.ts";
import * as mqueue from "./sys_mqueue.ts";
import * as inotify from "./sys_inotify.ts";
import * as processVm from "./sys_process_vm.ts";
import * as ns from "./sys_namespace.ts";
import { ENOSYS } from "../../linux-abi/errno.ts";

const enosys: SyscallHandler = () => -ENOSYS;

export type Support = "full" | "partial" | "enosys";

export interface SyscallEntry {
  readonly nr: number;
  readonly name: string;
  readonly handler: SyscallHandler;
  readonly support: Support;
  readonly note: string;
}

type Row = [SyscallName, SyscallHandler, Support?, string?];

const ROWS: Row[] = [
  ["read", rw.sysRead],
  ["write", rw.sysWrite],
  ["open", file.sysOpen],
  ["close", file.sysClose],
  ["stat", stat.sysStat],
  ["fstat", stat.sysFstat],
  ["lstat", stat.sysLstat],
  ["poll", poll.sysPoll],
  ["lseek", rw.sysLseek],
  ["mmap", mm.sysMmap],
  ["mprotect", mm.sysMprotect],
  ["munmap", mm.sysMunmap],
  ["brk", mm.sysBrk],
  ["rt_sigaction", sig.sysRtSigaction],
  ["rt_sigprocmask", sig.sysRtSigprocmask],
  ["rt_sigreturn", sig.sysRtSigreturn],
  ["ioctl", misc.sysIoctl, "partial", "the host console's line discipline is the host terminal's; pseudo-terminals have their own; job control is the user kernel's; loop devices: LOOP_* and LOOP_CTL_*, and the block requests BLKGETSIZE(64), BLKSSZGET, BLKPBSZGET, BLKBSZGET, BLKFLSBUF, BLKROGET/BLKROSET, BLKRAGET/BLKRASET, BLKRRPART (no partitions, discard or zeroing); AF_INET sockets: FIONREAD, SIOCOUTQ and the SIOCGIF* getters (setters EPERM)"],
  ["pread64", rw.sysPread64],
  ["pwrite64", rw.sysPwrite64],
  ["readv", rw.sysReadv],
  ["writev", rw.sysWritev],
  ["access", file.sysAccess],
  ["pipe", pipe.sysPipe],
  ["select", poll.sysSelect],
  ["sched_yield", proc.sysSchedYield],
  ["mremap", mm.sysMremap],
  ["madvise", mm.sysMadvise, "partial", "DONTNEED, FREE and REMOVE act; other advice is accepted and ignored"],
  ["msync", mm.sysMsync],
  ["mincore", mm.sysMincore],
  ["mlock", mm.sysMlock],
  ["munlock", mm.sysMunlock],
  ["mlockall", mm.sysMlockall],
  ["munlockall", mm.sysMunlockall],
  ["mlock2", mm.sysMlock2],
  ["shmget", ipc.sysShmget],
  ["shmat", ipc.sysShmat],
  ["shmctl", ipc.sysShmctl, "partial", "SHM_LOCK/SHM_UNLOCK only mark the segment"],
  ["dup", file.sysDup],
  ["dup2", file.sysDup2],
  ["pause", sig.sysPause],
  ["nanosleep", time.sysNanosleep],
  ["getitimer", time.sysGetitimer, "partial", "ITIMER_REAL; the CPU-time timers read as disarmed"],
  ["alarm", time.sysAlarm],
  ["setitimer", time.sysSetitimer, "partial", "ITIMER_REAL; ITIMER_VIRTUAL/PROF give EINVAL"],
  ["getpid", proc.sysGetpid],
  ["sendfile", rw.sysSendfile],
  ["socket", sock.sysSocket, "partial", "AF_UNIX; AF_INET (SOCK_STREAM, SOCK_DGRAM, ICMP ping) through the net-task (EAFNOSUPPORT with --net none); no SOCK_RAW; AF_INET6 gives EAFNOSUPPORT"],
  ["connect", sock.sysConnect],
  ["accept", sock.sysAccept],
  ["sendto", msg.sysSendto],
  ["recvfrom", msg.sysRecvfrom],
  ["sendmsg", msg.sysSendmsg, "partial", "SCM_RIGHTS and SCM_CREDENTIALS; no MSG_OOB"],
  ["recvmsg", msg.sysRecvmsg, "partial", "no MSG_OOB nor MSG_ERRQUEUE; no IP_PKTINFO/IP_RECVTTL control messages"],
  ["shutdown", sock.sysShutdown],
  ["bind", sock.sysBind],
  ["listen", sock.sysListen],
  ["getsockname", sock.sysGetsockname],
  ["getpeername", sock.sysGetpeername],
  ["socketpair", sock.sysSocketpair],
  ["setsockopt", sock.sysSetsockopt, "partial", "SOL_SOCKET; AF_INET: IPPROTO_TCP (NODELAY, MAXSEG, KEEPIDLE/INTVL/CNT; others kept) and IPPROTO_IP (TTL, TOS kept, not applied to packets); AF_UNIX has no other level"],
  ["getsockopt", sock.sysGetsockopt, "partial", "SOL_SOCKET; AF_INET: IPPROTO_TCP with TCP_INFO (the first 104 bytes), IPPROTO_IP; AF_UNIX has no other level"],
  ["clone", clone.sysClone],
  ["fork", clone.sysFork],
  ["vfork", clone.sysVfork],
  ["execve", clone.sysExecve, "partial", "set-user-ID and set-group-ID bits apply; file capabilities do not (as a file without security.capability); no ETXTBSY"],
  ["exit", clone.sysExit],
  ["wait4", clone.sysWait4],
  ["kill", sig.sysKill],
  ["uname", proc.sysUname],
  ["semget", ipc.sysSemget],
  ["semop", ipc.sysSemop],
  ["semctl", ipc.sysSemctl],
  ["shmdt", ipc.sysShmdt],
  ["msgget", ipc.sysMsgget],
  ["msgsnd", ipc.sysMsgsnd],
  ["msgrcv", ipc.sysMsgrcv, "partial", "no MSG_COPY (ENOSYS, as Linux without checkpoint/restore)"],
  ["msgctl", ipc.sysMsgctl],
  ["fcntl", file.sysFcntl],
  ["flock", lock.sysFlock],
  ["fsync", sync.sysFsync],
  ["fdatasync", sync.sysFdatasync],
  ["truncate", setstat.sysTruncate],
  ["ftruncate", setstat.sysFtruncate],
  ["getcwd", file.sysGetcwd],
  ["chdir", file.sysChdir],
  ["fchdir", file.sysFchdir],
  ["rename", names.sysRename],
  ["mkdir", names.sysMkdir],
  ["rmdir", names.sysRmdir],
  ["creat", file.sysCreat],
  ["link", names.sysLink],
  ["unlink", names.sysUnlink],
  ["symlink", names.sysSymlink],
  ["readlink", file.sysReadlink],
  ["chmod", setstat.sysChmod],
  ["fchmod", setstat.sysFchmod],
  ["chown", setstat.sysChown],
  ["fchown", setstat.sysFchown],
  ["lchown", setstat.sysLchown],
  ["umask", file.sysUmask],
  ["gettimeofday", time.sysGettimeofday],
  ["getrlimit", proc.sysGetrlimit],
  ["setrlimit", proc.sysSetrlimit],
  ["chroot", file.sysChroot],
  ["sync", sync.sysSync],
  ["mount", mnt.sysMount, "partial", "tmpfs (its source ignored; options size=, nr_blocks=, nr_inodes=, mode=, uid=, gid=, ro), proc, devpts, binds (MS_REC), remount ro/rw, MS_MOVE; no disk file systems (ext2, xfs …: ENODEV); propagation flags accepted and ignored; nosuid/nodev/noexec/atime flags ignored; binds of procfs only whole, of host volumes only of directories"],
  ["umount2", mnt.sysUmount2],
  ["settimeofday", wallclock.sysSettimeofday, "partial", "the user kernel's own real time and timezone"],
  ["adjtimex", wallclock.sysAdjtimex, "partial", "NTP state kept and reported as ntp.c does; nothing is slewed or steered, no leap second"],
  ["getrusage", time.sysGetrusage, "partial", "CPU time is the user kernel's; the counters are zero"],
  ["sysinfo", proc.sysSysinfo],
  ["times", time.sysTimes],
  ["getuid", creds.sysGetuid],
  ["getgid", creds.sysGetgid],
  ["setuid", creds.sysSetuid],
  ["setgid", creds.sysSetgid],
  ["geteuid", creds.sysGeteuid],
  ["getegid", creds.sysGetegid],
  ["setpgid", proc.sysSetpgid],
  ["getppid", proc.sysGetppid],
  ["getpgrp", proc.sysGetpgrp],
  ["setsid", proc.sysSetsid],
  ["setreuid", creds.sysSetreuid],
  ["setregid", creds.sysSetregid],
  ["getgroups", creds.sysGetgroups],
  ["setgroups", creds.sysSetgroups],
  ["setresuid", creds.sysSetresuid],
  ["getresuid", creds.sysGetresuid],
  ["setresgid", creds.sysSetresgid],
  ["getresgid", creds.sysGetresgid],
  ["getpgid", proc.sysGetpgid],
  ["setfsuid", creds.sysSetfsuid],
  ["setfsgid", creds.sysSetfsgid],
  ["getsid", proc.sysGetsid],
  ["capget", caps.sysCapget],
  ["capset", caps.sysCapset, "partial", "the calling thread's sets (as Linux without file capabilities: a file's security.capability is not applied at execve)"],
  ["rt_sigpending", sig.sysRtSigpending],
  ["rt_sigtimedwait", sig.sysRtSigtimedwait],
  ["rt_sigqueueinfo", sig.sysRtSigqueueinfo],
  ["rt_sigsuspend", sig.sysRtSigsuspend],
  ["sigaltstack", sig.sysSigaltstack],
  ["mknod", names.sysMknod, "partial", "device nodes (CAP_MKNOD) on tmpfs and /dev; a host volume refuses them (EPERM)"],
  ["getpriority", sched.sysGetpriority],
  ["setpriority", sched.sysSetpriority],
  ["sched_setparam", sched.sysSchedSetparam, "partial", "kept and reported: every thread is scheduled alike"],
  ["sched_getparam", sched.sysSchedGetparam],
  ["sched_rr_get_interval", sched.sysSchedRrGetInterval],
  ["personality", proc.sysPersonality, "partial", "the value is kept and reported; only PER_LINUX behaviour exists"],
  ["preadv2", rw.sysPreadv2, "partial", "RWF_* flags are accepted as hints"],
  ["pwritev2", rw.sysPwritev2, "partial", "RWF_* flags are accepted as hints"],
  ["sched_setscheduler", sched.sysSchedSetscheduler, "partial", "kept and reported: every thread is scheduled alike"],
  ["sched_getscheduler", sched.sysSchedGetscheduler],
  ["sched_get_priority_max", sched.sysSchedGetPriorityMax],
  ["sched_get_priority_min", sched.sysSchedGetPriorityMin],
  ["sysfs", sysfs.sysSysfs],
  ["statfs", stat.sysStatfs],
  ["fstatfs", stat.sysFstatfs],
  ["sethostname", uts.sysSethostname, "partial", "the user kernel's own name, as in a UTS namespace"],
  ["setdomainname", uts.sysSetdomainname, "partial", "the user kernel's own name, as in a UTS namespace"],
  ["arch_prctl", proc.sysArchPrctl, "partial", "ARCH_SET_FS"],
  ["prctl", proc.sysPrctl, "partial", "PR_SET/GET_NAME, PR_SET/GET_CHILD_SUBREAPER, PR_CAPBSET_READ/DROP, PR_CAP_AMBIENT, PR_SET/GET_KEEPCAPS, PR_SET/GET_SECUREBITS"],
  ["gettid", proc.sysGettid],
  ["setxattr", xattr.sysSetxattr, "partial", "user., trusted. and security. kept on tmpfs and /dev, the host's own on host volumes, none on the image; no POSIX ACLs (system.*: EOPNOTSUPP); security.capability is stored, never applied"],
  ["lsetxattr", xattr.sysLsetxattr],
  ["fsetxattr", xattr.sysFsetxattr],
  ["getxattr", xattr.sysGetxattr],
  ["lgetxattr", xattr.sysLgetxattr],
  ["fgetxattr", xattr.sysFgetxattr],
  ["listxattr", xattr.sysListxattr],
  ["llistxattr", xattr.sysLlistxattr],
  ["flistxattr", xattr.sysFlistxattr],
  ["removexattr", xattr.sysRemovexattr],
  ["lremovexattr", xattr.sysLremovexattr],
  ["fremovexattr", xattr.sysFremovexattr],
  ["tkill", sig.sysTkill],
  ["time", time.sysTime],
  ["futex", futex.sysFutex, "partial", "WAIT, WAKE, REQUEUE, CMP_REQUEUE, the BITSET forms, LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI (ownership only: no priority boost); no WAKE_OP or the REQUEUE_PI pair"],
  ["sched_setaffinity", proc.sysSchedSetaffinity],
  ["sched_getaffinity", proc.sysSchedGetaffinity],
  ["epoll_create", epoll.sysEpollCreate],
  ["getdents64", file.sysGetdents64],
  ["set_tid_address", proc.sysSetTidAddress],
  ["semtimedop", ipc.sysSemtimedop],
  ["fadvise64", sync.sysFadvise64],
  ["timer_create", time.sysTimerCreate, "partial", "CLOCK_REALTIME/MONOTONIC/BOOTTIME; SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE"],
  ["timer_settime", time.sysTimerSettime],
  ["timer_gettime", time.sysTimerGettime],
  ["timer_getoverrun", time.sysTimerGetoverrun],
  ["timer_delete", time.sysTimerDelete],
  ["clock_settime", wallclock.sysClockSettime, "partial", "the user kernel's own real time: an offset from the host's, which is never set"],
  ["clock_gettime", time.sysClockGettime],
  ["clock_getres", time.sysClockGetres],
  ["clock_nanosleep", time.sysClockNanosleep],
  ["exit_group", clone.sysExitGroup],
  ["epoll_wait", epoll.sysEpollWait],
  ["epoll_ctl", epoll.sysEpollCtl, "partial", "no limit on wake-up paths (reverse_path_check); at most 65536 entries per user kernel (max_user_watches); EPOLLWAKEUP is kept and does nothing"],
  ["tgkill", sig.sysTgkill],
  ["mq_open", mqueue.sysMqOpen, "partial", "no mqueue file system to mount: queues are reached by name only"],
  ["mq_unlink", mqueue.sysMqUnlink],
  ["mq_timedsend", mqueue.sysMqTimedsend],
  ["mq_timedreceive", mqueue.sysMqTimedreceive],
  ["mq_notify", mqueue.sysMqNotify, "partial", "SIGEV_NONE and SIGEV_SIGNAL; SIGEV_THREAD needs an AF_NETLINK socket, which this kernel lacks"],
  ["mq_getsetattr", mqueue.sysMqGetsetattr],
  ["waitid", clone.sysWaitid],
  ["add_key", keys.sysAddKey, "partial", "key types keyring, user and logon (others ENODEV)"],
  ["request_key", keys.sysRequestKey, "partial", "no upcall program: a miss with callout information makes a negative key for 60 s and answers ENOENT"],
  ["keyctl", keys.sysKeyctl, "partial", "no request_key authority (INSTANTIATE/NEGATE/REJECT EPERM); GET_PERSISTENT, DH_COMPUTE, PKEY_*, RESTRICT_KEYRING and WATCH_KEY EOPNOTSUPP; the collector destroys an unreferenced key at once"],
  ["inotify_init", inotify.sysInotifyInit],
  ["inotify_add_watch", inotify.sysInotifyAddWatch, "partial", "changes made through this user kernel; IN_DELETE_SELF at the unlink, not the last close; no IN_UNMOUNT"],
  ["inotify_rm_watch", inotify.sysInotifyRmWatch],
  ["openat", file.sysOpenat],
  ["mkdirat", names.sysMkdirat],
  ["mknodat", names.sysMknodat, "partial", "as mknod"],
  ["fchownat", setstat.sysFchownat],
  ["newfstatat", stat.sysNewfstatat],
  ["unlinkat", names.sysUnlinkat],
  ["renameat", names.sysRenameat],
  ["linkat", names.sysLinkat],
  ["symlinkat", names.sysSymlinkat],
  ["readlinkat", file.sysReadlinkat],
  ["fchmodat", setstat.sysFchmodat],
  ["faccessat", file.sysFaccessat],
  ["pselect6", poll.sysPselect6],
  ["ppoll", poll.sysPpoll],
  ["unshare", ns.sysUnshare, "partial", "CLONE_FILES, CLONE_FS, CLONE_SYSVSEM; no namespace can be had (EPERM without CAP_SYS_ADMIN, else EINVAL)"],
  ["set_robust_list", proc.sysSetRobustList],
  ["get_robust_list", proc.sysGetRobustList],
  ["splice", splice.sysSplice, "partial", "the bytes are copied, not the pages moved; FIFOs on host volumes are files here, not pipes"],
  ["tee", splice.sysTee],
  ["sync_file_range", sync.sysSyncFileRange],
  ["vmsplice", splice.sysVmsplice, "partial", "the bytes are copied: SPLICE_F_GIFT gives nothing away"],
  ["utimensat", setstat.sysUtimensat],
  ["epoll_pwait", epoll.sysEpollPwait],
  ["signalfd", signalfd.sysSignalfd],
  ["timerfd_create", timerfd.sysTimerfdCreate, "partial", "the alarm clocks run as CLOCK_REALTIME/CLOCK_BOOTTIME"],
  ["eventfd", eventfd.sysEventfd],
  ["fallocate", setstat.sysFallocate],
  ["accept4", sock.sysAccept4],
  ["timerfd_settime", timerfd.sysTimerfdSettime, "partial", "TFD_TIMER_CANCEL_ON_SET is accepted; the clocks are never set, so no read is cancelled"],
  ["timerfd_gettime", timerfd.sysTimerfdGettime],
  ["signalfd4", signalfd.sysSignalfd4],
  ["eventfd2", eventfd.sysEventfd2],
  ["epoll_create1", epoll.sysEpollCreate1],
  ["dup3", file.sysDup3],
  ["pipe2", pipe.sysPipe2],
  ["inotify_init1", inotify.sysInotifyInit1],
  ["preadv", rw.sysPreadv],
  ["pwritev", rw.sysPwritev],
  ["rt_tgsigqueueinfo", sig.sysRtTgsigqueueinfo],
  ["recvmmsg", msg.sysRecvmmsg],
  ["prlimit64", proc.sysPrlimit64, "partial", "limits are reported; setting them is accepted and not enforced"],
  ["syncfs", sync.sysSyncfs],
  ["clock_adjtime", wallclock.sysClockAdjtime, "partial", "CLOCK_REALTIME, as adjtimex"],
  ["sendmmsg", msg.sysSendmmsg],
  ["setns", ns.sysSetns, "partial", "no namespace files: EINVAL"],
  ["getcpu", proc.sysGetcpu],
  ["process_vm_readv", processVm.sysProcessVmReadv],
  ["process_vm_writev", processVm.sysProcessVmWritev],
  ["kcmp", kcmp.sysKcmp, "partial", "no KCMP_EPOLL_TFD (EOPNOTSUPP); I/O contexts are never separate"],
  ["sched_setattr", sched.sysSchedSetattr, "partial", "kept and reported: every thread is scheduled alike"],
  ["sched_getattr", sched.sysSchedGetattr],
  ["renameat2", names.sysRenameat2, "partial", "no RENAME_WHITEOUT"],
  ["getrandom", misc.sysGetrandom],
  ["memfd_create", memfd.sysMemfdCreate, "partial", "no seals"],
  ["execveat", clone.sysExecveat],
  ["membarrier", membarrier.sysMembarrier, "partial", "no SYNC_CORE nor RSEQ commands"],
  ["copy_file_range", rw.sysCopyFileRange],
  ["statx", stat.sysStatx],
  ["rseq", enosys, "enosys", "deliberate: glibc and musl run without restartable sequences"],
  ["pidfd_send_signal", pidfd.sysPidfdSendSignal],
  ["clone3", clone.sysClone3],
  ["close_range", file.sysCloseRange],
  ["pidfd_open", pidfd.sysPidfdOpen],
  ["pidfd_getfd", pidfd.sysPidfdGetfd, "partial", "ptrace's rights are the ids' (or root's); no Yama scope"],
  ["openat2", file.sysOpenat2, "partial", "RESOLVE_CACHED always gives EAGAIN"],
  ["faccessat2", file.sysFaccessat2],
  ["setxattrat", xattr.sysSetxattrat],
  ["getxattrat", xattr.sysGetxattrat],
  ["listxattrat", xattr.sysListxattrat],
  ["removexattrat", xattr.sysRemovexattrat],
  ["epoll_pwait2", epoll.sysEpollPwait2],
  ["futex_waitv", futex.sysFutexWaitv, "partial", "32-bit words only, as Linux; no NUMA placement"],
];

/** Indexed by syscall number; undefined = not implemented (ENOSYS). */
export const SYSCALLS: readonly (SyscallEntry | undefined)[] = (() => {
  const table: (SyscallEntry | undefined)[] = new Array(SYS_MAX + 1);
  for (const [name, handler, support = "full", note = ""] of ROWS) {
    const nr = SYS[name];
    table[nr] = { nr, name, handler, support, note };
  }
  return table;
})();

export function nameOf(nr: number): string {
  return syscallName(nr) ?? `syscall_${nr}`;
}
