// capget, capset and the capability options of prctl: the bounding set, the ambient set,
// securebits and keep-capabilities. Linux: kernel/capability.c, security/commoncap.c
// (cap_capset, cap_task_prctl). The sets live in the thread's credentials (creds.ts);
// what they mean is capabilities.ts's.

import * as E from "../../linux-abi/errno.ts";
import {
  CAP_LAST_CAP, CAP_SETPCAP, LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2, LINUX_CAPABILITY_VERSION_3,
  PR_CAP_AMBIENT_CLEAR_ALL, PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_RAISE, SECBIT_KEEP_CAPS,
  SECBIT_NO_CAP_AMBIENT_RAISE, SECURE_ALL_BITS_AND_LOCKS, SECURE_ALL_LOCKS, SECURE_KEEP_CAPS, SIZEOF_CAP_DATA, SIZEOF_CAP_HEADER,
} from "../../linux-abi/capability.ts";
import {
  PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_CAP_AMBIENT, PR_GET_KEEPCAPS, PR_GET_SECUREBITS, PR_SET_KEEPCAPS, PR_SET_SECUREBITS,
} from "../../linux-abi/prctl.ts";
import { CAP_FULL, capAnd, capAndNot, capBit, capOr, capSubset, capable, hasCap } from "../capabilities.ts";
import type { Credentials } from "../creds.ts";
import { PROT_READ } from "../memory.ts";
import type { Thread } from "../process.ts";
import type { SyscallArgs } from "./args.ts";
import type { KernelServices, SyscallResult } from "./context.ts";

const WORD = 2 ** 32;

/**
 * cap_validate_magic: how many 32-bit words per set the header's version carries (1 for
 * v1, 2 for v2 and v3). An unknown version is EINVAL, and v3 is written back for the
 * caller to learn it.
 */
function wordsOf(t: Thread, header: number): number {
  const mem = t.process.memory;
  const version = mem.u32(header);
  if (version === null) return -E.EFAULT;
  if (version === LINUX_CAPABILITY_VERSION_1) return 1;
  if (version === LINUX_CAPABILITY_VERSION_2 || version === LINUX_CAPABILITY_VERSION_3) return 2;
  const v3 = new Uint8Array(4);
  new DataView(v3.buffer).setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
  return mem.write(header, v3) ? -E.EINVAL : -E.EFAULT;
}

/** Capget implements Linux syscall capget(2): any thread's sets (pid 0: the caller's). */
export function sysCapget(k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const header = a.ptr(0), data = a.ptr(1);
  const words = wordsOf(t, header);
  // A NULL data pointer asks only for the version: an unknown one is then no error.
  if (data === 0 || words < 0) return data === 0 && words === -E.EINVAL ? 0 : Math.min(words, 0);
  const raw = t.process.memory.u32(header + 4);
  if (raw === null) return -E.EFAULT;
  const pid = raw | 0;
  if (pid < 0) return -E.EINVAL;
  const target = pid === 0 ? t : k.threads.get(pid);
  if (target === undefined) return -E.ESRCH;
  const c = target.creds;
  const out = new Uint8Array(words * SIZEOF_CAP_DATA);
  const v = new DataView(out.buffer);
  for (let w = 0; w < words; w++) {
    const word = (set: number): number => (w === 0 ? set % WORD : Math.floor(set / WORD));
    v.setUint32(w * SIZEOF_CAP_DATA, word(c.capEffective), true);
    v.setUint32(w * SIZEOF_CAP_DATA + 4, word(c.capPermitted), true);
    v.setUint32(w * SIZEOF_CAP_DATA + 8, word(c.capInheritable), true);
  }
  return t.process.memory.write(data, out) ? 0 : -E.EFAULT;
}

/**
 * Capset implements Linux syscall capset(2) for the calling thread (another pid: EPERM),
 * with cap_capset's rules: the new inheritable set within the old inheritable and
 * permitted ones (unless CAP_SETPCAP) and within inheritable plus bounding, permitted
 * only shrinking, effective within the new permitted; the ambient set keeps only what is
 * still both permitted and inheritable.
 */
export function sysCapset(_k: KernelServices, t: Thread, a: SyscallArgs): SyscallResult {
  const header = a.ptr(0), data = a.ptr(1);
  const words = wordsOf(t, header);
  if (words < 0) return words;
  const pid = t.process.memory.u32(header + 4);
  if (pid === null) return -E.EFAULT;
  if (pid !== 0 && (pid | 0) !== t.tid) return -E.EPERM;
  const raw = t.process.memory.view(data, words * SIZEOF_CAP_DATA, PROT_READ);
  if (!raw) return -E.EFAULT;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const set = (field: number): number => {
    let s = v.getUint32(field, true);
    if (words === 2) s += v.getUint32(SIZEOF_CAP_DATA + field, true) * WORD;
    return capAnd(s, CAP_FULL);
  };
  const effective = set(0), permitted = set(4), inheritable = set(8);
  const old = t.creds;
  if (!capable(old, CAP_SETPCAP) && !capSubset(inheritable, capOr(old.capInheritable, old.capPermitted))) return -E.EPERM;
  if (!capSubset(inheritable, capOr(old.capInheritable, old.capBounding))) return -E.EPERM;
  if (!capSubset(permitted, old.capPermitted) || !capSubset(effective, permitted)) return -E.EPERM;
  const capAmbient = capAnd(old.capAmbient, capAnd(permitted, inheritable));
  t.commitCreds({ ...old, capEffective: effective, capPermitted: permitted, capInheritable: inheritable, capAmbient });
  return 0;
}

const capValid = (cap: number): boolean => Number.isInteger(cap) && cap >= 0 && cap <= CAP_LAST_CAP;

/** A change of `t`'s credentials, committed (0), or an errno. */
function commit(t: Thread, next: Partial<Credentials>): number {
  t.commitCreds({ ...t.creds, ...next });
  return 0;
}

/**
 * prctl(2)'s capability options (cap_task_prctl), or null for another option. Arguments
 * are read as unsigned longs (a.ptr), so a negative one is never a valid capability.
 */
export function capabilityPrctl(t: Thread, a: SyscallArgs): number | null {
  const c = t.creds;
  const arg2 = a.ptr(1), arg3 = a.ptr(2);
  switch (a.int(0)) {
    case PR_CAPBSET_READ:
      return capValid(arg2) ? (hasCap(c.capBounding, arg2) ? 1 : 0) : -E.EINVAL;
    case PR_CAPBSET_DROP:
      if (!capable(c, CAP_SETPCAP)) return -E.EPERM;
      return capValid(arg2) ? commit(t, { capBounding: capAndNot(c.capBounding, capBit(arg2)) }) : -E.EINVAL;
    case PR_GET_SECUREBITS:
      return c.securebits;
    case PR_SET_SECUREBITS: {
      const locked = (c.securebits & SECURE_ALL_LOCKS) >> 1;
      // Only known bits, no locked bit changed, no lock undone, and CAP_SETPCAP for anything.
      const refused = arg2 > SECURE_ALL_BITS_AND_LOCKS || locked & (c.securebits ^ arg2) || c.securebits & SECURE_ALL_LOCKS & ~arg2 || !capable(c, CAP_SETPCAP);
      return refused ? -E.EPERM : commit(t, { securebits: arg2 });
    }
    case PR_GET_KEEPCAPS:
      return c.securebits & SECBIT_KEEP_CAPS ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (arg2 > 1) return -E.EINVAL;
      if (c.securebits & (1 << (SECURE_KEEP_CAPS + 1))) return -E.EPERM;
      return commit(t, { securebits: arg2 ? c.securebits | SECBIT_KEEP_CAPS : c.securebits & ~SECBIT_KEEP_CAPS });
    case PR_CAP_AMBIENT:
      return ambientPrctl(t, arg2, arg3, a.ptr(3) !== 0 || a.ptr(4) !== 0);
    default:
      return null;
  }
}

/** PR_CAP_AMBIENT: a capability joins the ambient set only while permitted and inheritable. */
function ambientPrctl(t: Thread, op: number, cap: number, extra: boolean): number {
  const c = t.creds;
  if (op === PR_CAP_AMBIENT_CLEAR_ALL) return cap !== 0 || extra ? -E.EINVAL : commit(t, { capAmbient: 0 });
  if (!capValid(cap) || extra) return -E.EINVAL;
  switch (op) {
    case PR_CAP_AMBIENT_IS_SET:
      return hasCap(c.capAmbient, cap) ? 1 : 0;
    case PR_CAP_AMBIENT_RAISE:
      if (!hasCap(c.capPermitted, cap) || !hasCap(c.capInheritable, cap) || c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE) return -E.EPERM;
      return commit(t, { capAmbient: capOr(c.capAmbient, capBit(cap)) });
    case PR_CAP_AMBIENT_LOWER:
      return commit(t, { capAmbient: capAndNot(c.capAmbient, capBit(cap)) });
    default:
      return -E.EINVAL;
  }
}
