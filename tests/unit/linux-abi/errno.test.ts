import { describe, expect, it } from "vitest";
import * as errno from "../../../linux-abi/errno.ts";
import { HAVE_GCC, named, parsePairs, readHeader, runC } from "./_host.ts";

const base = readHeader("/usr/include/asm-generic/errno-base.h");
const more = readHeader("/usr/include/asm-generic/errno.h");

describe("errno", () => {
  it.skipIf(base === null || more === null)(
    named("has every errno of asm-generic/errno*.h", base !== null && more !== null, "no asm-generic/errno.h on this host"),
    () => {
      const table = errno as unknown as Record<string, number>;
      let count = 0;
      for (const m of (base! + more!).matchAll(/^#define\s+(E\w+)\s+(\w+)/gm)) {
        const value = /^\d+$/.test(m[2]!) ? Number(m[2]) : table[m[2]!];
        expect([m[1], table[m[1]!]]).toEqual([m[1], value]);
        count++;
      }
      expect(count).toBe(133);
    },
  );

  it("errnoName() gives Linux's names", () => {
    expect(errno.errnoName(1)).toBe("EPERM");
    expect(errno.errnoName(errno.ENOENT)).toBe("ENOENT");
    expect(errno.errnoName(11)).toBe("EAGAIN");
    expect(errno.errnoName(35)).toBe("EDEADLK");
    expect(errno.errnoName(95)).toBe("EOPNOTSUPP");
    expect(errno.errnoName(133)).toBe("EHWPOISON");
    expect(errno.errnoName(41)).toBeUndefined();
    expect(errno.errnoName(0)).toBeUndefined();
    expect(errno.errnoName(134)).toBeUndefined();
  });

  it("strerror() gives glibc's messages", () => {
    expect(errno.strerror(errno.ENOENT)).toBe("No such file or directory");
    expect(errno.strerror(errno.EBADF)).toBe("Bad file descriptor");
    expect(errno.strerror(errno.ENOTTY)).toBe("Inappropriate ioctl for device");
    expect(errno.strerror(58)).toBe("Unknown error 58");
    expect(errno.strerror(600)).toBe("Unknown error 600");
  });

  it.skipIf(!HAVE_GCC)(named("strerror() matches the host glibc for 1..140", HAVE_GCC, "gcc is not installed"), () => {
    const out = parsePairs(
      runC(`#include <stdio.h>
#include <string.h>
int main(void) { for (int n = 1; n <= 140; n++) printf("%d %s\\n", n, strerror(n)); return 0; }
`),
    );
    for (let n = 1; n <= 140; n++) expect([n, errno.strerror(n)]).toEqual([n, out.get(String(n))]);
  });
});
