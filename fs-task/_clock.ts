// The wall clock file times are stamped with, in nanoseconds since the epoch: the same
// reading the guest's clock_gettime(CLOCK_REALTIME) gives (libos/sys/sys_time.ts), so a
// file touched now compares sensibly with `date`. It is the host's monotonic clock plus
// the epoch offset taken once, so two readings never go backwards (Date.now() has only
// millisecond resolution, and mixing it with a finer clock would).

const EPOCH_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function realtimeNs(): bigint {
  return process.hrtime.bigint() + EPOCH_OFFSET_NS;
}
