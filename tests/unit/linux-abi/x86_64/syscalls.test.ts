import { describe, expect, it } from "vitest";
import { SYS, SYS_MAX, syscallName, type SyscallName } from "../../../../linux-abi/x86_64/syscalls.ts";
import { SYSCALL_SIGNATURES } from "../../../../linux-abi/x86_64/syscall_signatures.ts";
import { named, readHeader } from "../_host.ts";

const header = readHeader("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h");
const WHY = "no asm/unistd_64.h on this host";

describe("SYS", () => {
  it.skipIf(header === null)(named("matches every __NR_ of asm/unistd_64.h", header !== null, WHY), () => {
    const fromHeader = new Map<string, number>();
    for (const m of header!.matchAll(/^#define __NR_(\w+)\s+(\d+)/gm)) fromHeader.set(m[1]!, Number(m[2]));
    expect(fromHeader.size).toBeGreaterThan(300);
    for (const [name, nr] of fromHeader) expect([name, SYS[name as SyscallName]]).toEqual([name, nr]);
    // Every entry up to the header's last number is in the header (newer ones come after).
    const last = Math.max(...fromHeader.values());
    for (const [name, nr] of Object.entries(SYS)) if (nr <= last) expect([name, fromHeader.get(name)]).toEqual([name, nr]);
  });

  it("has the numbers of recent calls", () => {
    expect(SYS.statx).toBe(332);
    expect(SYS.rseq).toBe(334);
    expect(SYS.getrandom).toBe(318);
    expect(SYS.clone3).toBe(435);
    expect(SYS.close_range).toBe(436);
    expect(SYS.openat2).toBe(437);
    expect(SYS.faccessat2).toBe(439);
    expect(SYS.mseal).toBe(462);
    expect(SYS_MAX).toBeGreaterThanOrEqual(462);
  });

  it("syscallName() inverts the table", () => {
    expect(syscallName(0)).toBe("read");
    expect(syscallName(231)).toBe("exit_group");
    expect(syscallName(400)).toBeUndefined();
    expect(syscallName(-1)).toBeUndefined();
    expect(syscallName(SYS_MAX + 1)).toBeUndefined();
    for (const [name, nr] of Object.entries(SYS)) expect(syscallName(nr)).toBe(name);
  });
});

describe("SYSCALL_SIGNATURES", () => {
  it("describes at least 120 calls, each with at most six arguments", () => {
    const entries = Object.entries(SYSCALL_SIGNATURES);
    expect(entries.length).toBeGreaterThanOrEqual(120);
    for (const [name, sig] of entries) {
      expect(SYS[name as SyscallName]).toBeTypeOf("number");
      expect(sig!.args.length).toBeLessThanOrEqual(6);
    }
  });
});
