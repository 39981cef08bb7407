// Linux: include/uapi/linux/signalfd.h (and fs/signalfd.c's signalfd_copyinfo).

import type { Siginfo } from "./siginfo.ts";

export const SFD_CLOEXEC = 0o2000000;
export const SFD_NONBLOCK = 0o4000;

/** struct signalfd_siginfo: 128 bytes. */
export const SIZEOF_SIGNALFD_SIGINFO = 128;

export const SIGNALFD_SIGINFO_FIELDS = {
  ssi_signo: 0, ssi_errno: 4, ssi_code: 8, ssi_pid: 12, ssi_uid: 16, ssi_fd: 20, ssi_tid: 24, ssi_band: 28,
  ssi_overrun: 32, ssi_trapno: 36, ssi_status: 40, ssi_int: 44, ssi_ptr: 48, ssi_utime: 56, ssi_stime: 64,
  ssi_addr: 72, ssi_addr_lsb: 80, ssi_syscall: 84, ssi_call_addr: 88, ssi_arch: 96,
} as const;
const SSI = SIGNALFD_SIGINFO_FIELDS;

/**
 * A dequeued signal as signalfd(2) reads it (Linux's signalfd_copyinfo): the fields of its
 * siginfo layout, the rest zero. `view` must hold SIZEOF_SIGNALFD_SIGINFO zeroed bytes at `offset`.
 */
export function encodeSignalfdSiginfo(view: DataView, offset: number, info: Siginfo): void {
  const u32 = (field: keyof typeof SSI, v: number): void => view.setUint32(offset + SSI[field], v >>> 0, true);
  const u64 = (field: keyof typeof SSI, v: bigint): void => view.setBigUint64(offset + SSI[field], BigInt.asUintN(64, v), true);
  u32("ssi_signo", info.si_signo);
  u32("ssi_errno", info.si_errno);
  u32("ssi_code", info.si_code);
  switch (info.layout) {
    case "kill":
      u32("ssi_pid", info.si_pid);
      u32("ssi_uid", info.si_uid);
      break;
    case "rt":
      u32("ssi_pid", info.si_pid);
      u32("ssi_uid", info.si_uid);
      u64("ssi_ptr", info.si_value);
      u32("ssi_int", Number(BigInt.asUintN(32, info.si_value)));
      break;
    case "timer":
      u32("ssi_tid", info.si_tid);
      u32("ssi_overrun", info.si_overrun);
      u64("ssi_ptr", info.si_value);
      u32("ssi_int", Number(BigInt.asUintN(32, info.si_value)));
      break;
    case "chld":
      u32("ssi_pid", info.si_pid);
      u32("ssi_uid", info.si_uid);
      u32("ssi_status", info.si_status);
      u64("ssi_utime", BigInt(info.si_utime));
      u64("ssi_stime", BigInt(info.si_stime));
      break;
    case "fault":
      u64("ssi_addr", info.si_addr);
      if (info.si_addr_lsb !== undefined) view.setUint16(offset + SSI.ssi_addr_lsb, info.si_addr_lsb, true);
      break;
    case "poll":
      u32("ssi_band", info.si_band);
      u32("ssi_fd", info.si_fd);
      break;
    case "sys":
      u64("ssi_call_addr", info.si_call_addr);
      u32("ssi_syscall", info.si_syscall);
      u32("ssi_arch", info.si_arch);
      break;
  }
}
