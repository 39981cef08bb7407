// Error codes returned by invocations (seL4 seL4_Error) and the userError()
// debug trace (seL4 userError(), printed only in debug kernels).
//
// Invocations never throw for bad user arguments: they return one of these
// codes, and the decode step that refused the request leaves a short reason
// through userError() so a test or a debugging session can see why.

export const KernelError = {
  Ok: 0,
  InvalidArgument: 1,
  InvalidCapability: 2,
  IllegalOperation: 3,
  RangeError: 4,
  AlignmentError: 5,
  FailedLookup: 6,
  TruncatedMessage: 7,
  DeleteFirst: 8,
  RevokeFirst: 9,
  NotEnoughMemory: 10,
} as const;

export type KernelErrorCode = (typeof KernelError)[keyof typeof KernelError];

// A debugging aid of the tests (off unless setUserErrorTracing turns it on): why the
// microkernel refused an invocation, from whichever kernel on this thread.
const trace: string[] = [];
let tracing = false;

/** Records why an invocation was refused; a no-op unless tracing is on. */
export function userError(msg: string): void {
  if (tracing) trace.push(msg);
}

/** Turns the userError() trace on or off; turning it on clears old entries. */
export function setUserErrorTracing(on: boolean): void {
  tracing = on;
  if (on) trace.length = 0;
}

/** Returns the traced reasons so far and clears them. */
export function takeUserErrors(): string[] {
  return trace.splice(0, trace.length);
}
