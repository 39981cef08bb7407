import { describe, expect, it } from "vitest";
import { AddressSpace } from "../../../microkernel/address_space.ts";
import { KernelError } from "../../../microkernel/errors.ts";
import type { Tcb } from "../../../microkernel/tcb.ts";
import { boot, make } from "./_boot.ts";

describe("address_space", () => {
  it("AddressSpace accounts 4096 bytes and carries an opaque backend", () => {
    const k = boot();
    const space = make<AddressSpace>(k, "AddressSpace", 10);
    expect(k.rootUntyped.usedBytes).toBe(4096);
    expect(space.backend).toBeNull();
    space.backend = { pageTable: 1 };
    const tcb = make<Tcb>(k, "Tcb", 11);
    expect(k.tcbConfigure(k.rootTcb, 11, { addressSpaceCptr: 10 }).error).toBe(KernelError.Ok);
    expect(tcb.addressSpace).toBe(space);
    expect(new AddressSpace(null).kind).toBe("AddressSpace");
  });
});
