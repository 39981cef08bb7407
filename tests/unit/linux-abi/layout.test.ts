// Struct sizes and field offsets, compared with what gcc computes from the uapi headers.
import { beforeAll, describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";
import { HAVE_GCC, named, parsePairs, runC } from "./_host.ts";

interface Layout {
  /** The C type. */
  readonly type: string;
  readonly size?: number;
  readonly fields: Readonly<Record<string, number>>;
}

const { c_ispeed: _ispeed, c_ospeed: _ospeed, ...TERMIOS_ONLY } = abi.TERMIOS_FIELDS;

/** Laid out by the kernel's uapi headers. */
const KERNEL: readonly Layout[] = [
  { type: "struct stat", size: abi.SIZEOF_STAT, fields: abi.STAT_FIELDS },
  { type: "struct statx", size: abi.SIZEOF_STATX, fields: abi.STATX_FIELDS },
  { type: "struct termios", size: abi.SIZEOF_TERMIOS, fields: TERMIOS_ONLY },
  { type: "struct termios2", size: abi.SIZEOF_TERMIOS2, fields: abi.TERMIOS_FIELDS },
  { type: "struct winsize", size: abi.SIZEOF_WINSIZE, fields: { ws_row: 0, ws_col: 2, ws_xpixel: 4, ws_ypixel: 6 } },
  { type: "struct new_utsname", size: abi.SIZEOF_NEW_UTSNAME, fields: abi.NEW_UTSNAME_FIELDS },
  { type: "struct rusage", size: abi.SIZEOF_RUSAGE, fields: abi.RUSAGE_FIELDS },
  { type: "struct sysinfo", size: abi.SIZEOF_SYSINFO, fields: abi.SYSINFO_FIELDS },
  { type: "struct rlimit", size: abi.SIZEOF_RLIMIT, fields: { rlim_cur: 0, rlim_max: 8 } },
  { type: "struct rlimit64", size: abi.SIZEOF_RLIMIT, fields: { rlim_cur: 0, rlim_max: 8 } },
  { type: "struct __kernel_timespec", size: abi.SIZEOF_TIMESPEC, fields: { tv_sec: 0, tv_nsec: 8 } },
  { type: "struct __kernel_old_timeval", size: abi.SIZEOF_TIMEVAL, fields: { tv_sec: 0, tv_usec: 8 } },
  { type: "struct itimerval", size: abi.SIZEOF_ITIMERVAL, fields: { it_interval: 0, it_value: 16 } },
  { type: "struct __kernel_itimerspec", size: abi.SIZEOF_ITIMERSPEC, fields: abi.ITIMERSPEC_FIELDS },
  { type: "struct timezone", size: abi.SIZEOF_TIMEZONE, fields: abi.TIMEZONE_FIELDS },
  { type: "struct tms", size: abi.SIZEOF_TMS, fields: { tms_utime: 0, tms_stime: 8, tms_cutime: 16, tms_cstime: 24 } },
  { type: "struct iovec", size: abi.SIZEOF_IOVEC, fields: { iov_base: 0, iov_len: 8 } },
  { type: "struct pollfd", size: abi.SIZEOF_POLLFD, fields: { fd: 0, events: 4, revents: 6 } },
  { type: "struct epoll_event", size: abi.SIZEOF_EPOLL_EVENT, fields: { events: 0, data: 4 } },
  { type: "struct signalfd_siginfo", size: abi.SIZEOF_SIGNALFD_SIGINFO, fields: abi.SIGNALFD_SIGINFO_FIELDS },
  { type: "struct clone_args", size: abi.CLONE_ARGS_SIZE_VER2, fields: abi.CLONE_ARGS_FIELDS },
  { type: "stack_t", size: abi.SIZEOF_STACK_T, fields: abi.STACK_T_FIELDS },
  { type: "sigset_t", size: abi.SIZEOF_SIGSET, fields: {} },
  { type: "Elf64_Ehdr", size: abi.SIZEOF_ELF64_EHDR, fields: {} },
  { type: "Elf64_Phdr", size: abi.SIZEOF_ELF64_PHDR, fields: {} },
];
const KERNEL_HEADERS = [
  "asm/stat.h", "linux/stat.h", "asm/termbits.h", "asm/termios.h", "linux/utsname.h", "linux/resource.h",
  "linux/sysinfo.h", "linux/time.h", "linux/time_types.h", "linux/times.h", "linux/uio.h", "asm/poll.h",
  "linux/eventpoll.h", "linux/signalfd.h", "linux/sched.h", "asm/signal.h", "linux/elf.h",
];

/** Laid out by glibc, identically to the kernel's record (struct linux_dirent64 is not uapi). */
const GLIBC: readonly Layout[] = [{ type: "struct dirent64", fields: abi.LINUX_DIRENT64_FIELDS }];

function program(layouts: readonly Layout[], prelude: string): string {
  const lines: string[] = [];
  for (const l of layouts) {
    const key = l.type.replace(/ /g, "_");
    lines.push(`  printf("${key} %zu\\n", sizeof(${l.type}));`);
    for (const f of Object.keys(l.fields)) lines.push(`  printf("${key}.${f} %zu\\n", __builtin_offsetof(${l.type}, ${f}));`);
  }
  return `${prelude}\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`;
}

function check(l: Layout, c: Map<string, string>): void {
  const key = l.type.replace(/ /g, "_");
  if (l.size !== undefined) expect([l.type, l.size]).toEqual([l.type, Number(c.get(key))]);
  for (const [f, off] of Object.entries(l.fields)) expect([`${l.type}.${f}`, off]).toEqual([`${l.type}.${f}`, Number(c.get(`${key}.${f}`))]);
}

describe("struct layouts", () => {
  const WHY = "gcc is not installed";
  let kernel = new Map<string, string>();
  let glibc = new Map<string, string>();

  beforeAll(() => {
    if (!HAVE_GCC) return;
    const kernelPrelude = `typedef unsigned long size_t;\nint printf(const char *, ...);\n${KERNEL_HEADERS.map((h) => `#include <${h}>`).join("\n")}`;
    kernel = parsePairs(runC(program(KERNEL, kernelPrelude)));
    glibc = parsePairs(runC(program(GLIBC, "#define _GNU_SOURCE\n#include <stdio.h>\n#include <dirent.h>")));
  });

  for (const l of KERNEL) it.skipIf(!HAVE_GCC)(named(`${l.type} matches gcc's sizeof and offsetof`, HAVE_GCC, WHY), () => check(l, kernel));
  for (const l of GLIBC) it.skipIf(!HAVE_GCC)(named(`${l.type} matches gcc's offsetof`, HAVE_GCC, WHY), () => check(l, glibc));

  it.skipIf(!HAVE_GCC)(named("makedev() matches glibc's", HAVE_GCC, WHY), () => {
    const c = parsePairs(
      runC(`#include <stdio.h>
#include <sys/sysmacros.h>
int main(void) {
  printf("a %llu\\n", (unsigned long long)makedev(0x88, 0));
  printf("b %llu\\n", (unsigned long long)makedev(259, 0x12345));
  return 0;
}
`),
    );
    expect(abi.makedev(0x88, 0)).toBe(Number(c.get("a")));
    expect(abi.makedev(259, 0x12345)).toBe(Number(c.get("b")));
    expect([abi.major(abi.makedev(259, 0x12345)), abi.minor(abi.makedev(259, 0x12345))]).toEqual([259, 0x12345]);
  });
});
