import { afterEach, describe, expect, it } from "vitest";
import { KernelError, setUserErrorTracing, takeUserErrors, userError } from "../../../microkernel/errors.ts";

describe("errors", () => {
  afterEach(() => setUserErrorTracing(false));

  it("KernelError uses seL4's numbering", () => {
    expect(KernelError.Ok).toBe(0);
    expect(KernelError.InvalidArgument).toBe(1);
    expect(KernelError.FailedLookup).toBe(6);
    expect(KernelError.NotEnoughMemory).toBe(10);
  });

  it("userError() is a no-op unless tracing", () => {
    userError("ignored");
    setUserErrorTracing(true);
    expect(takeUserErrors()).toEqual([]);
    userError("Retype: too big");
    expect(takeUserErrors()).toEqual(["Retype: too big"]);
    expect(takeUserErrors()).toEqual([]);
  });
});
