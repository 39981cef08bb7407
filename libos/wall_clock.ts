// The guest's CLOCK_REALTIME (Linux: kernel/time/timekeeping.c, kernel/time/ntp.c,
// kernel/time/time.c): the host's real time plus an offset this user kernel keeps.
// clock_settime(2), settimeofday(2) and adjtimex's ADJ_SETOFFSET move only the offset,
// so the host clock is never touched and each user kernel has its own time. CLOCK_TAI
// is this time plus the TAI offset ADJ_TAI sets.
//
// adjtimex's NTP state starts as a Linux kernel boots (unsynchronized: TIME_ERROR,
// maxerror and esterror at their limit, time constant 2, tick 10000 µs) and follows
// ntp.c's rules for what a call may set and how it is read back (status bits, the
// frequency's scaling, the time constant's +4 in µs mode, clamps), but it steers
// nothing: the clock runs at the host's rate, no offset or adjtime(3) adjustment is
// slewed in, maxerror does not grow and no leap second is inserted.

import * as E from "../linux-abi/errno.ts";
import {
  ADJ_ADJTIME, ADJ_ESTERROR, ADJ_FREQUENCY, ADJ_MAXERROR, ADJ_MICRO, ADJ_NANO, ADJ_OFFSET, ADJ_OFFSET_READONLY,
  ADJ_OFFSET_SINGLESHOT, ADJ_SETOFFSET, ADJ_STATUS, ADJ_TAI, ADJ_TICK, ADJ_TIMECONST, MAX_TAI_OFFSET, MAXPHASE_NS, MAXTC,
  NTP_PHASE_LIMIT, STA_CLOCKERR, STA_NANO, STA_PLL, STA_PPSERROR, STA_PPSFREQ, STA_PPSJITTER, STA_PPSSIGNAL, STA_PPSTIME,
  STA_PPSWANDER, STA_RONLY, STA_UNSYNC, TIME_ERROR, TIME_OK, USER_HZ, type Timex,
} from "../linux-abi/timex.ts";
import { realtimeNs } from "../fs-task/mod.ts";

const NS = 1_000_000_000n;
/** The latest time settimeofday accepts (TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of uptime). */
const SETTOD_SEC_MAX = 9_223_372_036n - 30n * 365n * 86_400n;
// ntp.c's fixed-point scales.
const NTP_SCALE_SHIFT = 32n;
const PPM_SCALE = 1000n << (NTP_SCALE_SHIFT - 16n);
const PPM_SCALE_INV_SHIFT = 19n;
const PPM_SCALE_INV = (1n << (PPM_SCALE_INV_SHIFT + NTP_SCALE_SHIFT)) / PPM_SCALE + 1n;
const MAXFREQ_SCALED = 500_000n << NTP_SCALE_SHIFT;
/** NTP_INTERVAL_FREQ: HZ, as the kernel the guest is told of (/proc/config.gz) is built. */
const NTP_INTERVAL_FREQ = 250n;
const LLONG_MAX = (1n << 63n) - 1n;
const LLONG_MIN = -(1n << 63n);

const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => (v < lo ? lo : v > hi ? hi : v);
/** ntp.c's shift_right: an arithmetic shift that rounds towards 0. */
const shiftRight = (v: bigint, s: bigint): bigint => (v < 0n ? -(-v >> s) : v >> s);

/** The monotonic clock the guest reads (CLOCK_MONOTONIC), ns. */
export const monotonicNs = (): bigint => process.hrtime.bigint();

export class WallClock {
  #offsetNs = 0n;
  /** settimeofday's struct timezone (sys_tz): minutes west of Greenwich, DST type. */
  timezone = { minuteswest: 0, dsttime: 0 };
  // ntp.c's state.
  #status = STA_UNSYNC;
  #freq = 0n;
  /** time_offset: the PLL's phase offset, ns scaled by 2^32 per tick (read back rounded down, as on Linux). */
  #pllOffset = 0n;
  #maxerror = NTP_PHASE_LIMIT;
  #esterror = NTP_PHASE_LIMIT;
  #constant = 2n;
  #tickUs = 1_000_000n / BigInt(USER_HZ);
  #tai = 0;
  #adjtimeUs = 0n;

  /** CLOCK_REALTIME now, ns since the epoch. */
  nowNs(): bigint {
    return realtimeNs() + this.#offsetNs;
  }

  /** CLOCK_TAI now: real time plus the TAI offset. */
  taiNs(): bigint {
    return this.nowNs() + BigInt(this.#tai) * NS;
  }

  /**
   * do_settimeofday64: the time becomes `sec`.`nsec`; -EINVAL outside what settimeofday
   * accepts or before the monotonic clock (the time since boot). The caller has checked
   * validSettod, then the privilege.
   */
  set(sec: bigint, nsec: bigint): number {
    if (!validSettod(sec, nsec)) return -E.EINVAL;
    const target = sec * NS + nsec;
    if (target < monotonicNs()) return -E.EINVAL;
    this.#offsetNs = target - realtimeNs();
    return 0;
  }

  /**
   * adjtimex(2) on this clock (do_adjtimex): `txc` is the caller's; on success it is
   * rewritten with the state read back and the result is the clock state (TIME_OK or
   * TIME_ERROR), else -errno and `txc` is unchanged.
   */
  adjtimex(txc: Timex, mayChange: boolean): number {
    const bad = validate(txc, mayChange);
    if (bad < 0) return bad;
    if (txc.modes & ADJ_SETOFFSET) {
      const deltaNs = txc.timeSec * NS + (txc.modes & ADJ_NANO ? txc.timeUsec : txc.timeUsec * 1000n);
      const now = this.nowNs();
      const next = now + deltaNs;
      if (next < monotonicNs() || !validSettod(next / NS, next % NS)) return -E.EINVAL;
      this.#offsetNs += deltaNs;
    }
    if (txc.modes & ADJ_ADJTIME) {
      const previous = this.#adjtimeUs;
      if (!(txc.modes & ADJ_OFFSET_READONLY)) this.#adjtimeUs = txc.offset;
      txc.offset = previous;
    } else {
      if (txc.modes) this.#applyModes(txc);
      const ns = shiftRight(this.#pllOffset * NTP_INTERVAL_FREQ, NTP_SCALE_SHIFT);
      txc.offset = this.#status & STA_NANO ? ns : BigInt.asUintN(32, ns) / 1000n;
    }
    txc.freq = shiftRight((this.#freq >> PPM_SCALE_INV_SHIFT) * PPM_SCALE_INV, NTP_SCALE_SHIFT);
    txc.maxerror = this.#maxerror;
    txc.esterror = this.#esterror;
    txc.status = this.#status;
    txc.constant = this.#constant;
    txc.precision = 1n;
    txc.tolerance = MAXFREQ_SCALED / PPM_SCALE;
    txc.tick = this.#tickUs;
    txc.tai = this.#tai;
    const now = this.nowNs();
    txc.timeSec = now / NS;
    txc.timeUsec = this.#status & STA_NANO ? now % NS : (now % NS) / 1000n;
    return isErrorStatus(this.#status) ? TIME_ERROR : TIME_OK;
  }

  /** process_adjtimex_modes. */
  #applyModes(txc: Timex): void {
    if (txc.modes & ADJ_STATUS) {
      // Turning the PLL off forgets the synchronization (process_adj_status).
      if (this.#status & STA_PLL && !(txc.status & STA_PLL)) this.#status = STA_UNSYNC;
      this.#status = (this.#status & STA_RONLY) | (txc.status & ~STA_RONLY);
    }
    if (txc.modes & ADJ_NANO) this.#status |= STA_NANO;
    if (txc.modes & ADJ_MICRO) this.#status &= ~STA_NANO;
    if (txc.modes & ADJ_FREQUENCY) this.#freq = clamp(txc.freq * PPM_SCALE, -MAXFREQ_SCALED, MAXFREQ_SCALED);
    if (txc.modes & ADJ_MAXERROR) this.#maxerror = clamp(txc.maxerror, 0n, NTP_PHASE_LIMIT);
    if (txc.modes & ADJ_ESTERROR) this.#esterror = clamp(txc.esterror, 0n, NTP_PHASE_LIMIT);
    if (txc.modes & ADJ_TIMECONST) {
      const c = clamp(txc.constant, 0n, MAXTC);
      this.#constant = clamp(this.#status & STA_NANO ? c : c + 4n, 0n, MAXTC);
    }
    if (txc.modes & ADJ_TAI && txc.constant >= 0n && txc.constant <= MAX_TAI_OFFSET) this.#tai = Number(txc.constant);
    // ntp_update_offset: only under the PLL; a µs offset is clamped to ±1 s first.
    if (txc.modes & ADJ_OFFSET && this.#status & STA_PLL) {
      const ns = this.#status & STA_NANO ? txc.offset : clamp(txc.offset, -1_000_000n, 1_000_000n) * 1000n;
      this.#pllOffset = (clamp(ns, -MAXPHASE_NS, MAXPHASE_NS) << NTP_SCALE_SHIFT) / NTP_INTERVAL_FREQ;
    }
    if (txc.modes & ADJ_TICK) this.#tickUs = txc.tick;
  }
}

/** timespec64_valid_settod: a time settimeofday may set. */
export function validSettod(sec: bigint, nsec: bigint): boolean {
  return sec >= 0n && nsec >= 0n && nsec < NS && sec <= SETTOD_SEC_MAX;
}

/** timekeeping_validate_timex. */
function validate(txc: Timex, mayChange: boolean): number {
  if (txc.modes & ADJ_ADJTIME) {
    // adjtime(3)'s mode goes with ADJ_OFFSET_SINGLESHOT's other bit and nothing else matters.
    if ((txc.modes & ADJ_OFFSET_SINGLESHOT) !== ADJ_OFFSET_SINGLESHOT) return -E.EINVAL;
    if (!(txc.modes & ADJ_OFFSET_READONLY) && !mayChange) return -E.EPERM;
  } else {
    if (txc.modes && !mayChange) return -E.EPERM;
    const ticks = BigInt(USER_HZ);
    if (txc.modes & ADJ_TICK && (txc.tick < 900_000n / ticks || txc.tick > 1_100_000n / ticks)) return -E.EINVAL;
  }
  if (txc.modes & ADJ_SETOFFSET) {
    if (!mayChange) return -E.EPERM;
    if (txc.timeUsec < 0n || txc.timeUsec >= (txc.modes & ADJ_NANO ? NS : 1_000_000n)) return -E.EINVAL;
  }
  if (txc.modes & ADJ_FREQUENCY && (txc.freq < LLONG_MIN / PPM_SCALE || txc.freq > LLONG_MAX / PPM_SCALE)) return -E.EINVAL;
  return 0;
}

/** ntp.c's is_error_status: unsynchronized, a clock error, or a PPS discipline without its signal. */
function isErrorStatus(status: number): boolean {
  return (status & (STA_UNSYNC | STA_CLOCKERR)) !== 0
    || ((status & (STA_PPSFREQ | STA_PPSTIME)) !== 0 && !(status & STA_PPSSIGNAL))
    || (status & (STA_PPSTIME | STA_PPSJITTER)) === (STA_PPSTIME | STA_PPSJITTER)
    || ((status & STA_PPSFREQ) !== 0 && (status & (STA_PPSWANDER | STA_PPSERROR)) !== 0);
}
