// Most expected lines are copied from `strace -a0` 6.1 tracing a static glibc program natively.
import { describe, expect, it } from "vitest";
import { formatSyscallEntry, formatSyscallExit, type GuestMemoryReader } from "../../../libos/strace.ts";
import * as abi from "../../../linux-abi/mod.ts";
import { SYS } from "../../../linux-abi/x86_64/syscalls.ts";

/** Guest memory made of a few mapped byte ranges. */
class FakeMemory implements GuestMemoryReader {
  #regions: { addr: number; bytes: Uint8Array }[] = [];

  put(addr: number, data: Uint8Array | string): number {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.#regions.push({ addr, bytes });
    return addr;
  }

  /** A zeroed region of `len` bytes and a DataView for filling it. */
  struct(addr: number, len: number): DataView {
    const bytes = new Uint8Array(len);
    this.put(addr, bytes);
    return new DataView(bytes.buffer);
  }

  #find(addr: number, len: number): Uint8Array | null {
    for (const r of this.#regions) {
      if (addr >= r.addr && addr + len <= r.addr + r.bytes.length) return r.bytes.subarray(addr - r.addr, addr - r.addr + len);
    }
    return null;
  }

  readBytes(addr: number, len: number): Uint8Array | null {
    const b = this.#find(addr, len);
    return b === null ? null : b.slice();
  }

  readCString(addr: number, max: number): string | null {
    let s = "";
    for (let i = 0; i < max; i++) {
      const b = this.#find(addr + i, 1);
      if (b === null) return null;
      if (b[0] === 0) return s;
      s += String.fromCharCode(b[0]!);
    }
    return s;
  }
}

/** A register holding a negative 32-bit value, as the shim hands it over: unsigned 64-bit. */
const U64_MINUS_100 = 18446744073709551516;
const U64_MINUS_1 = 18446744073709551615;

function line(nr: number, args: number[], result: number, mem: GuestMemoryReader): string {
  return formatSyscallEntry(nr, args, mem) + formatSyscallExit(nr, args, result, mem);
}

describe("strace line", () => {
  const mem = new FakeMemory();
  const PASSWD = mem.put(0x1000, "/etc/passwd\0");
  const READBUF = mem.put(0x2000, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
  const HELLO = mem.put(0x3000, "hello\n");
  const ESCAPES = mem.put(0x3100, new Uint8Array([0x61, 0x09, 0x22, 0x5c, 0x1b, 0x5b, 0x30, 0x6d, 0x00, 0x31, 0x7f, 0xff]));
  const OUT_TXT = mem.put(0x3200, "/tmp/st/out.txt\0");
  const NONEXISTENT = mem.put(0x3300, "/nonexistent\0");
  const AAAA = mem.put(0x3400, "a".repeat(40));

  it("openat() prints AT_FDCWD and open flags, and no mode without O_CREAT", () => {
    const args = [U64_MINUS_100, PASSWD, abi.O_RDONLY | abi.O_CLOEXEC, 0];
    expect(formatSyscallEntry(SYS.openat, args, mem)).toBe('openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC');
    expect(formatSyscallExit(SYS.openat, args, 3, mem)).toBe(") = 3");
  });

  it("openat() prints the mode with O_CREAT", () => {
    const args = [U64_MINUS_100, OUT_TXT, abi.O_WRONLY | abi.O_CREAT | abi.O_TRUNC, 0o644];
    expect(line(SYS.openat, args, 4, mem)).toBe('openat(AT_FDCWD, "/tmp/st/out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4');
  });

  it("read() prints the buffer after the call, 32 bytes then ...", () => {
    const args = [3, READBUF, 4096];
    expect(formatSyscallEntry(SYS.read, args, mem)).toBe("read(3");
    expect(formatSyscallExit(SYS.read, args, 1024, mem)).toBe(', "root:x:0:0:root:/root:/bin/bash\\n"..., 4096) = 1024');
  });

  it("read() prints the address when it fails", () => {
    expect(line(SYS.read, [3, 0x7ffc0000, 10], -abi.EFAULT, mem)).toBe("read(3, 0x7ffc0000, 10) = -1 EFAULT (Bad address)");
  });

  it("write() prints the buffer before the call", () => {
    expect(formatSyscallEntry(SYS.write, [1, HELLO, 6], mem)).toBe('write(1, "hello\\n", 6');
    expect(line(SYS.write, [1, HELLO, 6], 6, mem)).toBe('write(1, "hello\\n", 6) = 6');
    expect(line(SYS.write, [1, AAAA, 40], 40, mem)).toBe(`write(1, "${"a".repeat(32)}"..., 40) = 40`);
  });

  it("write() escapes bytes as strace does", () => {
    expect(line(SYS.write, [1, ESCAPES, 12], 12, mem)).toBe('write(1, "a\\t\\"\\\\\\33[0m\\0001\\177\\377", 12) = 12');
  });

  it("mmap() prints flags, fd -1 and a hex address", () => {
    const args = [0, 8192, abi.PROT_READ | abi.PROT_WRITE, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS, U64_MINUS_1, 0];
    expect(line(SYS.mmap, args, 0x7f0000000000, mem)).toBe(
      "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000",
    );
    expect(line(SYS.mprotect, [0, 0, 0], 0, mem)).toBe("mprotect(NULL, 0, PROT_NONE) = 0");
  });

  it("close() prints the errno name and message", () => {
    expect(line(SYS.close, [99], -abi.EBADF, mem)).toBe("close(99) = -1 EBADF (Bad file descriptor)");
  });

  it("exit_group() has no result", () => {
    expect(line(SYS.exit_group, [0], 0, mem)).toBe("exit_group(0) = ?");
  });

  it("ioctl() names the request", () => {
    expect(line(SYS.ioctl, [1, abi.TCGETS, 0x7fff9a6811a0], -abi.ENOTTY, mem)).toBe(
      "ioctl(1, TCGETS, 0x7fff9a6811a0) = -1 ENOTTY (Inappropriate ioctl for device)",
    );
    expect(line(SYS.ioctl, [1, 0x5499, 0], -abi.ENOTTY, mem)).toBe(
      "ioctl(1, _IOC(_IOC_NONE, 0x54, 0x99, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)",
    );
  });

  it("brk() prints NULL and a hex result", () => {
    expect(line(SYS.brk, [0], 0x4c2000, mem)).toBe("brk(NULL) = 0x4c2000");
  });

  it("fstat() prints st_rdev for devices and st_size for files", () => {
    const stat: abi.Stat = {
      st_dev: 5, st_ino: 7, st_nlink: 1, st_mode: abi.S_IFCHR | 0o620, st_uid: 0, st_gid: 5,
      st_rdev: abi.makedev(0x88, 0), st_size: 0, st_blksize: 1024, st_blocks: 0,
      st_atime: 0, st_atime_nsec: 0, st_mtime: 0, st_mtime_nsec: 0, st_ctime: 0, st_ctime_nsec: 0,
    };
    abi.encodeStat(mem.struct(0x4000, abi.SIZEOF_STAT), 0, stat);
    expect(line(SYS.fstat, [1, 0x4000], 0, mem)).toBe("fstat(1, {st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}) = 0");
    abi.encodeStat(mem.struct(0x4100, abi.SIZEOF_STAT), 0, { ...stat, st_mode: abi.S_IFREG | 0o644, st_rdev: 0, st_size: 1221 });
    expect(line(SYS.newfstatat, [3, mem.put(0x4200, "\0"), 0x4100, abi.AT_EMPTY_PATH], 0, mem)).toBe(
      'newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=1221, ...}, AT_EMPTY_PATH) = 0',
    );
    expect(line(SYS.newfstatat, [U64_MINUS_100, NONEXISTENT, 0x7fff9a680f40, 0], -abi.ENOENT, mem)).toBe(
      'newfstatat(AT_FDCWD, "/nonexistent", 0x7fff9a680f40, 0) = -1 ENOENT (No such file or directory)',
    );
  });

  it("prints unknown syscalls as syscall_0x<nr> with six hex arguments", () => {
    expect(line(999, [1, 0, 0, 0, 0, 0], -abi.ENOSYS, mem)).toBe(
      "syscall_0x3e7(0x1, 0, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)",
    );
  });

  it("rt_sigprocmask() prints signal sets, inverted when mostly full", () => {
    const full = mem.struct(0x5000, 8);
    full.setUint32(0, 0x7fffffff, true); // all but SIGRTMIN (32) and 33, as glibc blocks
    full.setUint32(4, 0xfffffffe, true);
    mem.struct(0x5010, 8);
    expect(line(SYS.rt_sigprocmask, [abi.SIG_SETMASK, 0x5000, 0x5010, 8], 0, mem)).toBe(
      "rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [], 8) = 0",
    );
    const intTerm = mem.struct(0x5020, 8);
    intTerm.setUint32(0, (1 << (abi.SIGINT - 1)) | (1 << (abi.SIGTERM - 1)), true);
    expect(line(SYS.rt_sigprocmask, [abi.SIG_BLOCK, 0x5020, 0, 8], 0, mem)).toBe("rt_sigprocmask(SIG_BLOCK, [INT TERM], NULL, 8) = 0");
  });

  it("rt_sigaction() prints the struct sigaction", () => {
    abi.encodeSigaction(mem.struct(0x5100, abi.SIZEOF_SIGACTION), 0, {
      sa_handler: abi.SIG_IGN,
      sa_flags: abi.SA_RESTORER | abi.SA_RESTART,
      sa_restorer: 0x408c40,
      sa_mask: 0n,
    });
    expect(line(SYS.rt_sigaction, [abi.SIGINT, 0x5100, 0, 8], 0, mem)).toBe(
      "rt_sigaction(SIGINT, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x408c40}, NULL, 8) = 0",
    );
  });

  it("pipe2() prints the descriptor pair", () => {
    const fds = mem.struct(0x5200, 8);
    fds.setInt32(0, 5, true);
    fds.setInt32(4, 6, true);
    expect(line(SYS.pipe2, [0x5200, abi.O_CLOEXEC], 0, mem)).toBe("pipe2([5, 6], O_CLOEXEC) = 0");
  });

  it("wait4() decodes the status", () => {
    mem.struct(0x5300, 4).setInt32(0, abi.W_EXITCODE(3, 0), true);
    expect(line(SYS.wait4, [U64_MINUS_1, 0x5300, 0, 0], 22186, mem)).toBe(
      "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 22186",
    );
  });

  it("clock_gettime() and clock_nanosleep() print timespecs", () => {
    abi.encodeTimespec(mem.struct(0x5400, 16), 0, { tv_sec: 0, tv_nsec: 1000 });
    expect(line(SYS.clock_nanosleep, [abi.CLOCK_REALTIME, 0, 0x5400, 0], 0, mem)).toBe(
      "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0",
    );
    expect(line(SYS.clock_gettime, [abi.CLOCK_MONOTONIC, 0x5400], 0, mem)).toBe(
      "clock_gettime(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1000}) = 0",
    );
  });

  it("umask() and lseek() print octal and signed values", () => {
    expect(line(SYS.umask, [0o22], 0o22, mem)).toBe("umask(022) = 022");
    expect(line(SYS.lseek, [3, -1, abi.SEEK_END], 1220, mem)).toBe("lseek(3, -1, SEEK_END) = 1220");
  });

  it("clone() names its arguments as strace does", () => {
    const args = [abi.CLONE_CHILD_CLEARTID | abi.CLONE_CHILD_SETTID | abi.SIGCHLD, 0, 0, 0x1208650, 0];
    expect(formatSyscallEntry(SYS.clone, args, mem)).toBe("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
    expect(formatSyscallExit(SYS.clone, args, 22186, mem)).toBe(", child_tidptr=0x1208650) = 22186");
  });

  it("futex() and fcntl() print the arguments their operation uses", () => {
    expect(line(SYS.futex, [0x7fff9a680f3c, abi.FUTEX_WAKE_PRIVATE, 1, 0, 0, 0], 0, mem)).toBe(
      "futex(0x7fff9a680f3c, FUTEX_WAKE_PRIVATE, 1) = 0",
    );
    expect(line(SYS.fcntl, [5, abi.F_GETFL], 0, mem)).toBe("fcntl(5, F_GETFL) = 0 (flags O_RDONLY)");
    expect(line(SYS.fcntl, [5, abi.F_GETFD], 1, mem)).toBe("fcntl(5, F_GETFD) = 0x1 (flags FD_CLOEXEC)");
    expect(line(SYS.fcntl, [5, abi.F_SETFD, abi.FD_CLOEXEC], 0, mem)).toBe("fcntl(5, F_SETFD, FD_CLOEXEC) = 0");
    expect(line(SYS.fcntl, [5, abi.F_DUPFD_CLOEXEC, 10], 11, mem)).toBe("fcntl(5, F_DUPFD_CLOEXEC, 10) = 11");
  });

  it("uname() and prlimit64() print their structures", () => {
    abi.encodeNewUtsname(mem.struct(0x5500, abi.SIZEOF_NEW_UTSNAME), 0, {
      sysname: "Linux", nodename: "vm", release: "6.1.0", version: "#1", machine: "x86_64", domainname: "(none)",
    });
    expect(line(SYS.uname, [0x5500], 0, mem)).toBe('uname({sysname="Linux", nodename="vm", ...}) = 0');
    abi.encodeRlimit(mem.struct(0x5700, abi.SIZEOF_RLIMIT), 0, { rlim_cur: 8192 * 1024, rlim_max: abi.RLIM64_INFINITY });
    expect(line(SYS.prlimit64, [0, abi.RLIMIT_STACK, 0, 0x5700], 0, mem)).toBe(
      "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0",
    );
  });

  it("writev() prints the vector", () => {
    const iov = mem.struct(0x5800, 32);
    abi.encodeIovec(iov, 0, { iov_base: HELLO, iov_len: 5 });
    abi.encodeIovec(iov, 16, { iov_base: HELLO + 5, iov_len: 1 });
    expect(line(SYS.writev, [1, 0x5800, 2], 6, mem)).toBe('writev(1, [{iov_base="hello", iov_len=5}, {iov_base="\\n", iov_len=1}], 2) = 6');
  });

  it("eventfd2(), timerfd_create(), timerfd_settime() and signalfd4() print as strace does", () => {
    expect(line(SYS.eventfd2, [0, abi.EFD_CLOEXEC | abi.EFD_NONBLOCK], 4, mem)).toBe("eventfd2(0, EFD_CLOEXEC|EFD_NONBLOCK) = 4");
    expect(line(SYS.timerfd_create, [abi.CLOCK_MONOTONIC, 1], -abi.EINVAL, mem)).toBe(
      "timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME) = -1 EINVAL (Invalid argument)",
    );
    const it = mem.struct(0xb000, abi.SIZEOF_ITIMERSPEC);
    abi.encodeItimerspec(it, 0, { it_interval: { tv_sec: 0, tv_nsec: -1 }, it_value: { tv_sec: 1, tv_nsec: 0 } });
    expect(line(SYS.timerfd_settime, [3, 4, 0xb000, 0], -abi.EINVAL, mem)).toBe(
      "timerfd_settime(3, 0x4 /* TFD_??? */, {it_interval={tv_sec=0, tv_nsec=18446744073709551615}, it_value={tv_sec=1, tv_nsec=0}}, NULL) = -1 EINVAL (Invalid argument)",
    );
    expect(line(SYS.timerfd_gettime, [3, 0xb000], 0, mem)).toBe(
      "timerfd_gettime(3, {it_interval={tv_sec=0, tv_nsec=18446744073709551615}, it_value={tv_sec=1, tv_nsec=0}}) = 0",
    );
    mem.struct(0xb100, 8).setBigUint64(0, 1n << BigInt(abi.SIGUSR1 - 1), true);
    expect(line(SYS.signalfd4, [U64_MINUS_1, 0xb100, 8, abi.SFD_CLOEXEC | abi.SFD_NONBLOCK], 5, mem)).toBe(
      "signalfd4(-1, [USR1], 8, SFD_CLOEXEC|SFD_NONBLOCK) = 5",
    );
  });

  it("socket() names domain, type and protocol", () => {
    expect(line(SYS.socket, [abi.AF_INET, abi.SOCK_STREAM | abi.SOCK_CLOEXEC, abi.IPPROTO_TCP], 7, mem)).toBe(
      "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP) = 7",
    );
    expect(line(SYS.socket, [abi.AF_UNIX, abi.SOCK_STREAM, 0], 8, mem)).toBe("socket(AF_UNIX, SOCK_STREAM, 0) = 8");
  });

  it("execve() prints argv and counts envp", () => {
    const argv = mem.struct(0x5880, 24);
    const envp = mem.struct(0x5900, 16);
    argv.setUint32(0, mem.put(0x5a00, "ls\0"), true);
    argv.setUint32(8, mem.put(0x5a10, "-l\0"), true);
    envp.setUint32(0, mem.put(0x5a20, "A=1\0"), true);
    expect(line(SYS.execve, [NONEXISTENT, 0x5880, 0x5900], -abi.ENOENT, mem)).toBe(
      'execve("/nonexistent", ["ls", "-l"], 0x5900 /* 1 var */) = -1 ENOENT (No such file or directory)',
    );
  });

  it("sigaltstack(), access(), getcwd() and readlink()", () => {
    abi.encodeStackT(mem.struct(0x5b00, abi.SIZEOF_STACK_T), 0, { ss_sp: 0, ss_flags: abi.SS_DISABLE, ss_size: 0 });
    expect(line(SYS.sigaltstack, [0, 0x5b00], 0, mem)).toBe("sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0");
    const ETC = mem.put(0x5c00, "/etc\0");
    expect(line(SYS.access, [ETC, abi.R_OK | abi.X_OK], 0, mem)).toBe('access("/etc", R_OK|X_OK) = 0');
    expect(line(SYS.access, [ETC, abi.F_OK], 0, mem)).toBe('access("/etc", F_OK) = 0');
    mem.put(0x5d00, "/tmp/st\0");
    expect(line(SYS.getcwd, [0x5d00, 256], 8, mem)).toBe('getcwd("/tmp/st", 256) = 8');
    const EXE = mem.put(0x5e00, "/proc/self/exe\0");
    mem.put(0x5f00, "/tmp/st/t");
    expect(line(SYS.readlink, [EXE, 0x5f00, 4096], 9, mem)).toBe('readlink("/proc/self/exe", "/tmp/st/t", 4096) = 9');
  });

  it("getrandom() prints its bytes in hex", () => {
    mem.put(0x6000, new Uint8Array([0xf8, 0x71, 0xbf, 0x30, 0x90, 0xe5, 0x59, 0xea]));
    expect(line(SYS.getrandom, [0x6000, 8, abi.GRND_NONBLOCK], 8, mem)).toBe(
      'getrandom("\\xf8\\x71\\xbf\\x30\\x90\\xe5\\x59\\xea", 8, GRND_NONBLOCK) = 8',
    );
  });

  it("startup calls of a static glibc program", () => {
    expect(line(SYS.arch_prctl, [abi.ARCH_SET_FS, 0x1208380], 0, mem)).toBe("arch_prctl(ARCH_SET_FS, 0x1208380) = 0");
    expect(line(SYS.set_tid_address, [0x1208650], 22185, mem)).toBe("set_tid_address(0x1208650) = 22185");
    expect(line(SYS.set_robust_list, [0x1208660, 24], 0, mem)).toBe("set_robust_list(0x1208660, 24) = 0");
    expect(line(SYS.rseq, [0x1208ca0, 0x20, 0, 0x53053053], 0, mem)).toBe("rseq(0x1208ca0, 0x20, 0, 0x53053053) = 0");
  });

  it("getdents64() counts the records", () => {
    const v = mem.struct(0x7000, 64);
    let off = abi.encodeDirent64(v, 0, { d_ino: 1, d_off: 1, d_type: abi.DT_DIR, d_name: "." });
    off += abi.encodeDirent64(v, off, { d_ino: 2, d_off: 2, d_type: abi.DT_REG, d_name: "passwd" });
    expect(line(SYS.getdents64, [3, 0x7000, 32768], off, mem)).toBe("getdents64(3, 0x7000 /* 2 entries */, 32768) = 56");
  });

  it("execve() prints 32 argv strings, then ...", () => {
    const argv = mem.struct(0xa200, 36 * 8);
    const A = mem.put(0xa500, "a\0");
    for (let i = 0; i < 35; i++) argv.setUint32(i * 8, A, true);
    expect(line(SYS.execve, [NONEXISTENT, 0xa200, 0], -abi.ENOENT, mem)).toBe(
      `execve("/nonexistent", [${new Array(32).fill('"a"').join(", ")}, ...], NULL) = -1 ENOENT (No such file or directory)`,
    );
  });

  it("paths print whole, strings stop at 32 bytes", () => {
    const long = "/" + "d".repeat(40);
    const at = mem.put(0x8000, long + "\0");
    expect(line(SYS.chdir, [at], 0, mem)).toBe(`chdir("${long}") = 0`);
    const argv = mem.struct(0x8100, 16);
    argv.setUint32(0, at, true);
    expect(formatSyscallEntry(SYS.execve, [NONEXISTENT, 0x8100, 0], mem)).toBe(
      `execve("/nonexistent", ["${long.slice(0, 32)}"...], NULL`,
    );
  });

  it("futex() operations", () => {
    const W = 0x7ffee8150924;
    const wakeOp = (abi.FUTEX_OP_SET << 28) | (abi.FUTEX_OP_CMP_GT << 24) | 1;
    expect(line(SYS.futex, [W, abi.FUTEX_WAKE_OP_PRIVATE, 1, 1, W, wakeOp], 0, mem)).toBe(
      "futex(0x7ffee8150924, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x7ffee8150924, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0",
    );
    abi.encodeTimespec(mem.struct(0x9000, 16), 0, { tv_sec: 0, tv_nsec: 1000 });
    expect(line(SYS.futex, [W, abi.FUTEX_WAIT_PRIVATE, 0, 0x9000, 0, 0], -abi.ETIMEDOUT, mem)).toBe(
      "futex(0x7ffee8150924, FUTEX_WAIT_PRIVATE, 0, {tv_sec=0, tv_nsec=1000}) = -1 ETIMEDOUT (Connection timed out)",
    );
    const bitset = abi.FUTEX_WAIT_BITSET_PRIVATE | abi.FUTEX_CLOCK_REALTIME;
    expect(line(SYS.futex, [W, bitset, 1, 0, 0, abi.FUTEX_BITSET_MATCH_ANY], -abi.EAGAIN, mem)).toBe(
      "futex(0x7ffee8150924, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, NULL, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)",
    );
  });

  it("setitimer() and getrusage()", () => {
    const zero = { tv_sec: 0, tv_usec: 0 };
    abi.encodeItimerval(mem.struct(0x9100, 32), 0, { it_interval: zero, it_value: zero });
    abi.encodeItimerval(mem.struct(0x9200, 32), 0, { it_interval: zero, it_value: { tv_sec: 1, tv_usec: 397 } });
    expect(line(SYS.setitimer, [abi.ITIMER_REAL, 0x9100, 0x9200], 0, mem)).toBe(
      "setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=1, tv_usec=397}}) = 0",
    );
    const ru = mem.struct(0x9300, abi.SIZEOF_RUSAGE);
    abi.encodeTimeval(ru, 0, { tv_sec: 0, tv_usec: 1146 });
    expect(line(SYS.getrusage, [abi.RUSAGE_SELF, 0x9300], 0, mem)).toBe(
      "getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=1146}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0",
    );
  });

  it("descriptor calls: kill, fcntl F_SETFL, dup3, epoll", () => {
    expect(line(SYS.kill, [0, 0], 0, mem)).toBe("kill(0, 0) = 0");
    expect(line(SYS.fcntl, [3, abi.F_SETFL, abi.O_NONBLOCK], 0, mem)).toBe("fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0");
    expect(line(SYS.dup3, [3, 10, abi.O_CLOEXEC], 10, mem)).toBe("dup3(3, 10, O_CLOEXEC) = 10");
    expect(line(SYS.epoll_create1, [abi.EPOLL_CLOEXEC], 5, mem)).toBe("epoll_create1(EPOLL_CLOEXEC) = 5");
    abi.encodeEpollEvent(mem.struct(0x9400, 12), 0, { events: (abi.EPOLLIN | abi.EPOLLET) >>> 0, data: 4n });
    expect(line(SYS.epoll_ctl, [5, abi.EPOLL_CTL_ADD, 3, 0x9400], 0, mem)).toBe(
      "epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=4, u64=4}}) = 0",
    );
    abi.encodeEpollEvent(mem.struct(0x9500, 48), 0, { events: abi.EPOLLIN, data: 4n });
    expect(line(SYS.epoll_wait, [5, 0x9500, 4, 0], 1, mem)).toBe("epoll_wait(5, [{events=EPOLLIN, data={u32=4, u64=4}}], 4, 0) = 1");
  });

  it("memory calls: MAP_STACK, madvise, mremap", () => {
    const args = [0, 4096, abi.PROT_READ, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_STACK, U64_MINUS_1, 0];
    expect(line(SYS.mmap, args, 0x7fd7d0062000, mem)).toBe(
      "mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0) = 0x7fd7d0062000",
    );
    expect(line(SYS.madvise, [0x7fd7d0062000, 4096, abi.MADV_DONTNEED], 0, mem)).toBe("madvise(0x7fd7d0062000, 4096, MADV_DONTNEED) = 0");
    expect(line(SYS.mremap, [0x7fd7d0062000, 4096, 8192, abi.MREMAP_MAYMOVE, 0], 0x7fd7d0060000, mem)).toBe(
      "mremap(0x7fd7d0062000, 4096, 8192, MREMAP_MAYMOVE) = 0x7fd7d0060000",
    );
  });

  it("wait4() of a killed child, sockets", () => {
    mem.struct(0x9600, 4).setInt32(0, abi.SIGKILL, true);
    expect(line(SYS.wait4, [810, 0x9600, 0, 0], 810, mem)).toBe("wait4(810, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 810");
    const sv = mem.struct(0x9700, 8);
    sv.setInt32(0, 6, true);
    sv.setInt32(4, 7, true);
    expect(line(SYS.socketpair, [abi.AF_UNIX, abi.SOCK_STREAM | abi.SOCK_CLOEXEC, 0, 0x9700], 0, mem)).toBe(
      "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [6, 7]) = 0",
    );
    expect(line(SYS.shutdown, [6, abi.SHUT_WR], 0, mem)).toBe("shutdown(6, SHUT_WR) = 0");
    const HI = mem.put(0x9800, "hi");
    expect(line(SYS.sendto, [7, HI, 2, abi.MSG_NOSIGNAL, 0, 0], 2, mem)).toBe('sendto(7, "hi", 2, MSG_NOSIGNAL, NULL, 0) = 2');
    expect(line(SYS.recvfrom, [6, HI, 8, abi.MSG_DONTWAIT, 0, 0], 2, mem)).toBe('recvfrom(6, "hi", 8, MSG_DONTWAIT, NULL, NULL) = 2');
  });

  it("socket addresses and msghdr, as strace decodes them", () => {
    const path = mem.struct(0x5a000, 110);
    path.setUint16(0, abi.AF_UNIX, true);
    new Uint8Array(path.buffer).set(new TextEncoder().encode("/tmp/s"), 2);
    expect(line(SYS.bind, [3, 0x5a000, 110], 0, mem)).toBe('bind(3, {sa_family=AF_UNIX, sun_path="/tmp/s"}, 110) = 0');
    const abstract = mem.struct(0x5a100, 6);
    abstract.setUint16(0, abi.AF_UNIX, true);
    new Uint8Array(abstract.buffer).set([0, 0x61, 0x62, 0x63], 2);
    expect(line(SYS.connect, [3, 0x5a100, 6], 0, mem)).toBe('connect(3, {sa_family=AF_UNIX, sun_path=@"abc"}, 6) = 0');
    const inet = mem.struct(0x5a200, 16);
    inet.setUint16(0, abi.AF_INET, true);
    inet.setUint16(2, 80, false);
    new Uint8Array(inet.buffer).set([127, 0, 0, 1], 4);
    expect(line(SYS.connect, [3, 0x5a200, 16], -abi.EAFNOSUPPORT, mem)).toBe(
      'connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EAFNOSUPPORT (Address family not supported by protocol)',
    );
    const unnamed = mem.struct(0x5a300, 110);
    unnamed.setUint16(0, abi.AF_UNIX, true);
    mem.struct(0x5a400, 4).setUint32(0, 2, true);
    expect(line(SYS.accept4, [3, 0x5a300, 0x5a400, abi.SOCK_CLOEXEC], 4, mem)).toBe("accept4(3, {sa_family=AF_UNIX}, [2], SOCK_CLOEXEC) = 4");
    expect(line(SYS.accept, [3, 0, 0], -abi.EAGAIN, mem)).toBe("accept(3, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)");
    // sendmsg of one byte with a descriptor.
    const iov = mem.struct(0x5a600, 16);
    iov.setBigUint64(0, 0x9800n, true);
    iov.setBigUint64(8, 1n, true);
    const ctl = mem.struct(0x5a700, 24);
    ctl.setBigUint64(0, 20n, true);
    ctl.setInt32(8, abi.SOL_SOCKET, true);
    ctl.setInt32(12, abi.SCM_RIGHTS, true);
    ctl.setInt32(16, 5, true);
    const msg = mem.struct(0x5a800, abi.SIZEOF_MSGHDR);
    msg.setBigUint64(abi.MSGHDR.iov, 0x5a600n, true);
    msg.setBigUint64(abi.MSGHDR.iovlen, 1n, true);
    msg.setBigUint64(abi.MSGHDR.control, 0x5a700n, true);
    msg.setBigUint64(abi.MSGHDR.controllen, 24n, true);
    expect(line(SYS.sendmsg, [7, 0x5a800, 0], 1, mem)).toBe(
      'sendmsg(7, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="h", iov_len=1}], msg_iovlen=1, ' +
        "msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], msg_controllen=24, msg_flags=0}, 0) = 1",
    );
    msg.setUint32(abi.MSGHDR.flags, abi.MSG_CTRUNC, true);
    expect(line(SYS.recvmsg, [6, 0x5a800, abi.MSG_CMSG_CLOEXEC], 1, mem)).toBe(
      'recvmsg(6, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="h", iov_len=1}], msg_iovlen=1, ' +
        "msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], msg_controllen=24, msg_flags=MSG_CTRUNC}, MSG_CMSG_CLOEXEC) = 1",
    );
  });

  it("*at() calls with flags, statx, prlimit64 and rt_sigaction with a mask", () => {
    const D = mem.put(0x9900, "/tmp/st/d\0");
    const ETC = mem.put(0x9a00, "/etc\0");
    expect(line(SYS.mkdirat, [U64_MINUS_100, D, 0o755], 0, mem)).toBe('mkdirat(AT_FDCWD, "/tmp/st/d", 0755) = 0');
    expect(line(SYS.unlinkat, [U64_MINUS_100, D, abi.AT_REMOVEDIR], 0, mem)).toBe('unlinkat(AT_FDCWD, "/tmp/st/d", AT_REMOVEDIR) = 0');
    expect(line(SYS.faccessat2, [U64_MINUS_100, ETC, abi.W_OK, abi.AT_EACCESS], 0, mem)).toBe(
      'faccessat2(AT_FDCWD, "/etc", W_OK, AT_EACCESS) = 0',
    );
    const zero = { tv_sec: 0, tv_nsec: 0 };
    abi.encodeStatx(mem.struct(0x9b00, abi.SIZEOF_STATX), 0, {
      stx_mask: abi.STATX_BASIC_STATS | abi.STATX_MNT_ID, stx_blksize: 4096, stx_attributes: 0, stx_nlink: 2, stx_uid: 0,
      stx_gid: 0, stx_mode: abi.S_IFDIR | 0o755, stx_ino: 2, stx_size: 4096, stx_blocks: 8, stx_attributes_mask: 0,
      stx_atime: zero, stx_btime: zero, stx_ctime: zero, stx_mtime: zero, stx_rdev_major: 0, stx_rdev_minor: 0,
      stx_dev_major: 8, stx_dev_minor: 1, stx_mnt_id: 1, stx_dio_mem_align: 0, stx_dio_offset_align: 0,
    });
    const args = [U64_MINUS_100, ETC, abi.AT_SYMLINK_NOFOLLOW, abi.STATX_BASIC_STATS, 0x9b00];
    expect(formatSyscallEntry(SYS.statx, args, mem)).toBe('statx(AT_FDCWD, "/etc", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS');
    expect(formatSyscallExit(SYS.statx, args, 0, mem)).toBe(
      ", {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0",
    );
    abi.encodeRlimit(mem.struct(0x9c00, 16), 0, { rlim_cur: 1024, rlim_max: 4096 });
    expect(line(SYS.prlimit64, [0, abi.RLIMIT_NOFILE, 0x9c00, 0], 0, mem)).toBe(
      "prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, NULL) = 0",
    );
    abi.encodeSigaction(mem.struct(0x9d00, abi.SIZEOF_SIGACTION), 0, {
      sa_handler: 0x401234,
      sa_flags: abi.SA_RESTORER | abi.SA_ONSTACK | abi.SA_SIGINFO,
      sa_restorer: 0x408bc0,
      sa_mask: 1n << BigInt(abi.SIGUSR1 - 1),
    });
    expect(line(SYS.rt_sigaction, [abi.SIGSEGV, 0x9d00, 0, 8], 0, mem)).toBe(
      "rt_sigaction(SIGSEGV, {sa_handler=0x401234, sa_mask=[USR1], sa_flags=SA_RESTORER|SA_ONSTACK|SA_SIGINFO, sa_restorer=0x408bc0}, NULL, 8) = 0",
    );
    expect(line(SYS.close_range, [3, 0xffffffff, 0], 0, mem)).toBe("close_range(3, 4294967295, 0) = 0");
  });

  it("strings print their bytes, escaped", () => {
    const bytes: GuestMemoryReader = { readBytes: () => null, readCString: () => "caf\xc3\xa9\xff" };
    expect(formatSyscallEntry(SYS.chdir, [0x1000], bytes)).toBe('chdir("caf\\303\\251\\377"');
  });

  it("times() and sysinfo() print their structures", () => {
    abi.encodeTms(mem.struct(0xa000, abi.SIZEOF_TMS), 0, { tms_utime: 0, tms_stime: 0, tms_cutime: 0, tms_cstime: 0 });
    expect(line(SYS.times, [0xa000], 1718049794, mem)).toBe("times({tms_utime=0, tms_stime=0, tms_cutime=0, tms_cstime=0}) = 1718049794");
    abi.encodeTms(mem.struct(0xa080, abi.SIZEOF_TMS), 0, { tms_utime: 25, tms_stime: 0, tms_cutime: 0, tms_cstime: 0 });
    expect(line(SYS.times, [0xa080], 1718082063, mem)).toBe(
      "times({tms_utime=25 /* 0.25 s */, tms_stime=0, tms_cutime=0, tms_cstime=0}) = 1718082063",
    );
    abi.encodeSysinfo(mem.struct(0xa100, abi.SIZEOF_SYSINFO), 0, {
      uptime: 930, loads: [100448, 58112, 29536], totalram: 25276502016, freeram: 24517300224, sharedram: 9084928,
      bufferram: 2183168, totalswap: 0, freeswap: 0, procs: 143, totalhigh: 0, freehigh: 0, mem_unit: 1,
    });
    expect(line(SYS.sysinfo, [0xa100], 0, mem)).toBe(
      "sysinfo({uptime=930, loads=[100448, 58112, 29536], totalram=25276502016, freeram=24517300224, sharedram=9084928, bufferram=2183168, totalswap=0, freeswap=0, procs=143, totalhigh=0, freehigh=0, mem_unit=1}) = 0",
    );
  });
});
