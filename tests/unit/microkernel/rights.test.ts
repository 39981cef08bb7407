import { describe, expect, it } from "vitest";
import { AllRights, NoRights, Rights, hasRights, maskRights } from "../../../microkernel/rights.ts";

describe("rights", () => {
  it("Rights has the four seL4 bits", () => {
    expect(Rights).toEqual({ Read: 1, Write: 2, Grant: 4, GrantReply: 8 });
    expect(AllRights).toBe(15);
    expect(NoRights).toBe(0);
  });

  it("hasRights() needs every requested bit", () => {
    expect(hasRights(Rights.Read | Rights.Write, Rights.Write)).toBe(true);
    expect(hasRights(Rights.Read, Rights.Read | Rights.Write)).toBe(false);
    expect(hasRights(NoRights, NoRights)).toBe(true);
  });

  it("maskRights() never adds rights", () => {
    expect(maskRights(Rights.Read, AllRights)).toBe(Rights.Read);
    expect(maskRights(AllRights, Rights.Write | 0x100)).toBe(Rights.Write);
  });
});
