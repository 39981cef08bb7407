// Every numeric constant linux-abi exports is compared with the C headers that define it as a
// macro: the kernel's uapi headers first, then glibc's for the names only glibc spells out.
import { describe, expect, it } from "vitest";
import * as abi from "../../../linux-abi/mod.ts";
import { HAVE_GCC, named, parsePairs, runC } from "./_host.ts";

const KERNEL_HEADERS = [
  "asm/errno.h", "asm/ioctl.h", "asm/ioctls.h", "asm/sockios.h", "asm/mman.h", "linux/mman.h", "asm/signal.h",
  "asm/stat.h", "linux/signal.h", "asm/termbits.h", "asm/termios.h", "asm/resource.h", "asm/socket.h", "asm/poll.h", "asm/prctl.h",
  "linux/auxvec.h", "linux/close_range.h", "linux/elf.h", "linux/eventpoll.h", "linux/fcntl.h", "linux/fs.h",
  "linux/futex.h", "linux/in.h", "linux/in6.h", "linux/prctl.h", "linux/random.h", "linux/resource.h",
  "linux/sched.h", "linux/stat.h", "linux/sysinfo.h", "linux/time.h", "linux/uio.h", "linux/utsname.h", "linux/wait.h",
  "asm/sigcontext.h", "asm/ucontext.h", "asm/processor-flags.h",
];
const GLIBC_HEADERS = [
  "dirent.h", "netinet/in.h", "sys/eventfd.h", "sys/signalfd.h", "sys/socket.h", "sys/timerfd.h", "sys/ucontext.h", "sys/wait.h",
  "unistd.h",
];

/** Held as the nearest double (2^64): checked apart. */
const ROUNDED = new Set(["RLIM_INFINITY", "RLIM64_INFINITY"]);
/** Kernel-internal: the kernel's _NSIG is 64 (glibc's is 65, one past the last signal). */
const KERNEL_INTERNAL = new Set(["_NSIG", "SIGRTMAX"]);

const numeric = Object.entries(abi).filter(
  (e): e is [string, number] => typeof e[1] === "number" && !ROUNDED.has(e[0]) && !KERNEL_INTERNAL.has(e[0]),
);

function program(headers: string[], prelude: string): string {
  const checks = numeric.map(([name]) => `#ifdef ${name}\n  printf("${name} %lld\\n", (long long)(${name}));\n#endif`);
  return `${prelude}\n${headers.map((h) => `#include <${h}>`).join("\n")}\nint main(void) {\n${checks.join("\n")}\n  return 0;\n}\n`;
}

describe("linux-abi constants", () => {
  it.skipIf(!HAVE_GCC)(named("match the C headers", HAVE_GCC, "gcc is not installed"), () => {
    // linux/fs.h sizes some requests (BLKBSZGET) with size_t, which it leaves to the includer.
    const kernel = parsePairs(runC(program(KERNEL_HEADERS, "#include <stddef.h>\nint printf(const char *, ...);")));
    const glibc = parsePairs(runC(program(GLIBC_HEADERS, "#define _GNU_SOURCE\n#include <stdio.h>")));
    let checked = 0;
    for (const [name, value] of numeric) {
      const c = kernel.get(name) ?? glibc.get(name);
      if (c === undefined) continue;
      expect([name, BigInt.asIntN(64, BigInt(value))]).toEqual([name, BigInt(c)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(600);
  });

  it("RLIM_INFINITY is ~0UL held as 2^64", () => {
    expect(abi.RLIM_INFINITY).toBe(2 ** 64);
    expect(abi.RLIM64_INFINITY).toBe(abi.RLIM_INFINITY);
  });
});
