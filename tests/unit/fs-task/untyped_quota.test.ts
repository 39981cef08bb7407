import { AnonDevices } from "../../../fs-task/_anon_dev.ts";
// untypedQuota(): a tmpfs charges the Untyped its capability names, and loses the
// allowance the moment that capability is deleted.

import { describe, expect, it } from "vitest";
import { TmpFs } from "../../../fs-task/tmpfs.ts";
import { untypedQuota } from "../../../fs-task/untyped_quota.ts";
import { O_CREAT, O_RDWR } from "../../../fs-task/_flags.ts";
import { ENOSPC } from "../../../fs-task/_errno.ts";
import { AllRights, Kernel, KernelError, RootSlot, type Untyped } from "../../../microkernel/mod.ts";

const devs = new AnonDevices();

function setup(): { k: Kernel; untyped: Untyped; fs: TmpFs } {
  const k = new Kernel({ untypedBytes: 1 << 20, rootCnodeRadix: 8 });
  const r = k.untypedRetype(k.rootTcb, RootSlot.Untyped, "Untyped", 64 * 1024, 1, RootSlot.CNode, 10);
  expect(r.error).toBe(KernelError.Ok);
  expect(k.cnodeCopy(k.rootTcb, RootSlot.CNode, 11, RootSlot.CNode, 10, AllRights).error).toBe(KernelError.Ok);
  return { k, untyped: r.objects[0] as Untyped, fs: new TmpFs({ dev: devs.next(), quota: untypedQuota(k.rootCnode, 11) }) };
}

describe("untypedQuota()", () => {
  it("charges file pages to the Untyped and gives them back when the file goes", () => {
    const { untyped, fs } = setup();
    const h = fs.open("/f", O_CREAT | O_RDWR, 0o600) as number;
    expect(fs.pwrite(h, new Uint8Array(8192).fill(1), 0)).toBe(8192);
    expect(untyped.usedBytes).toBe(8192);
    expect(fs.pwrite(h, new Uint8Array(60 * 1024), 8192)).toBe(56 * 1024); // what fits
    expect(fs.pwrite(h, new Uint8Array(1), 64 * 1024)).toBe(-ENOSPC);
    fs.close(h);
    expect(fs.unlink("/f")).toBe(0);
    expect(untyped.usedBytes).toBe(0);
  });

  it("refuses new pages once the capability is deleted; pages held still go back", () => {
    const { k, untyped, fs } = setup();
    const h = fs.open("/f", O_CREAT | O_RDWR, 0o600) as number;
    expect(fs.pwrite(h, new Uint8Array(4096).fill(1), 0)).toBe(4096);
    expect(k.cnodeDelete(k.rootTcb, RootSlot.CNode, 11).error).toBe(KernelError.Ok);
    expect(fs.pwrite(h, new Uint8Array(4096).fill(1), 4096)).toBe(-ENOSPC);
    expect(fs.statfs("/")).toMatchObject({ bavail: 0 });
    fs.close(h);
    fs.unlink("/f");
    expect(untyped.usedBytes).toBe(0);
  });

  it("needs an Untyped capability in the slot", () => {
    const { k } = setup();
    expect(() => untypedQuota(k.rootCnode, 12)).toThrow(TypeError);
    expect(() => untypedQuota(k.rootCnode, RootSlot.CNode)).toThrow(TypeError);
  });
});
