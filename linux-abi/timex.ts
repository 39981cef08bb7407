// Linux: include/uapi/linux/timex.h (struct __kernel_timex, what adjtimex(2) and
// clock_adjtime(2) take on x86-64: 208 bytes) and the NTP constants of
// include/linux/timex.h that the call's answers show.

/** Every 64-bit field as a BigInt: the guest may pass any bits, and the checks are on them. */
export interface Timex {
  modes: number;
  offset: bigint;
  freq: bigint;
  maxerror: bigint;
  esterror: bigint;
  status: number;
  constant: bigint;
  precision: bigint;
  tolerance: bigint;
  timeSec: bigint;
  timeUsec: bigint;
  tick: bigint;
  tai: number;
}

export const SIZEOF_TIMEX = 208;
const FIELD = {
  modes: 0, offset: 8, freq: 16, maxerror: 24, esterror: 32, status: 40, constant: 48, precision: 56,
  tolerance: 64, timeSec: 72, timeUsec: 80, tick: 88, tai: 160,
} as const;

export function decodeTimex(view: DataView, offset: number): Timex {
  const i64 = (at: number): bigint => view.getBigInt64(offset + at, true);
  return {
    modes: view.getUint32(offset + FIELD.modes, true), offset: i64(FIELD.offset), freq: i64(FIELD.freq),
    maxerror: i64(FIELD.maxerror), esterror: i64(FIELD.esterror), status: view.getInt32(offset + FIELD.status, true),
    constant: i64(FIELD.constant), precision: i64(FIELD.precision), tolerance: i64(FIELD.tolerance),
    timeSec: i64(FIELD.timeSec), timeUsec: i64(FIELD.timeUsec), tick: i64(FIELD.tick), tai: view.getInt32(offset + FIELD.tai, true),
  };
}

/**
 * Writes the fields the kernel answers with; the PPS fields (ppsfreq … stbcnt) and the
 * padding become 0, as on a kernel without a PPS source.
 */
export function encodeTimex(view: DataView, offset: number, t: Timex): void {
  for (let i = 0; i < SIZEOF_TIMEX; i += 4) view.setUint32(offset + i, 0, true);
  const i64 = (at: number, v: bigint): void => view.setBigInt64(offset + at, BigInt.asIntN(64, v), true);
  view.setUint32(offset + FIELD.modes, t.modes, true);
  i64(FIELD.offset, t.offset);
  i64(FIELD.freq, t.freq);
  i64(FIELD.maxerror, t.maxerror);
  i64(FIELD.esterror, t.esterror);
  view.setInt32(offset + FIELD.status, t.status, true);
  i64(FIELD.constant, t.constant);
  i64(FIELD.precision, t.precision);
  i64(FIELD.tolerance, t.tolerance);
  i64(FIELD.timeSec, t.timeSec);
  i64(FIELD.timeUsec, t.timeUsec);
  i64(FIELD.tick, t.tick);
  view.setInt32(offset + FIELD.tai, t.tai, true);
}

// modes
export const ADJ_OFFSET = 0x0001;
export const ADJ_FREQUENCY = 0x0002;
export const ADJ_MAXERROR = 0x0004;
export const ADJ_ESTERROR = 0x0008;
export const ADJ_STATUS = 0x0010;
export const ADJ_TIMECONST = 0x0020;
export const ADJ_TAI = 0x0080;
export const ADJ_SETOFFSET = 0x0100;
export const ADJ_MICRO = 0x1000;
export const ADJ_NANO = 0x2000;
export const ADJ_TICK = 0x4000;
/** adjtime(3)'s mode: only with ADJ_OFFSET_SINGLESHOT's other bit. */
export const ADJ_ADJTIME = 0x8000;
/** In adjtime mode, the bit ADJ_NANO has elsewhere: read the remaining adjustment only. */
export const ADJ_OFFSET_READONLY = 0x2000;
export const ADJ_OFFSET_SINGLESHOT = 0x8001;

// status
export const STA_PLL = 0x0001;
export const STA_PPSFREQ = 0x0002;
export const STA_PPSTIME = 0x0004;
export const STA_UNSYNC = 0x0040;
export const STA_PPSSIGNAL = 0x0100;
export const STA_PPSJITTER = 0x0200;
export const STA_PPSWANDER = 0x0400;
export const STA_PPSERROR = 0x0800;
export const STA_CLOCKERR = 0x1000;
export const STA_NANO = 0x2000;
export const STA_MODE = 0x4000;
export const STA_CLK = 0x8000;
/** The bits adjtimex(2) never sets from the caller's status. */
export const STA_RONLY = STA_PPSSIGNAL | STA_PPSJITTER | STA_PPSWANDER | STA_PPSERROR | STA_CLOCKERR | STA_NANO | STA_MODE | STA_CLK;

// clock states (the call's result)
export const TIME_OK = 0;
export const TIME_ERROR = 5;

/** USER_HZ: adjtimex's tick is in µs per 1/100 s. */
export const USER_HZ = 100;
export const MAXPHASE_NS = 500_000_000n;
/** Largest maxerror/esterror, µs (NTP_PHASE_LIMIT). */
export const NTP_PHASE_LIMIT = 16_000_000n;
/** Largest time constant (MAXTC). */
export const MAXTC = 10n;
export const MAX_TAI_OFFSET = 100_000n;
