// Capabilities (Linux: kernel/capability.c, security/commoncap.c; man 7 capabilities).
//
//   capable(c, CAP_X)         whether the effective set holds CAP_X: every privileged check
//   fixSetuid / fixSetfsuid   the sets after a change of uids (cap_task_fix_setuid)
//   execCreds                 the ids and sets a program starts with (cap_bprm_creds_from_file)
//   accessCreds               what access(2) checks with: the real ids (do_faccessat)
//
// A set is a bit per capability in a plain number: CAP_LAST_CAP is 40, so every set is a
// safe integer, and a test of one bit allocates nothing. JavaScript's bit operators work
// on 32 bits, so the operations on whole sets below go word by word.
//
// Files carry no capabilities here (security.capability is stored, never applied): at
// execve a file is "privileged" only by its set-user-ID and set-group-ID bits, and root
// is handled as Linux does for a file without capabilities (all of them, for uid 0).

import {
  CAP_LAST_CAP, SECBIT_KEEP_CAPS, SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP, CAP_CHOWN, CAP_DAC_OVERRIDE,
  CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE, CAP_MKNOD,
} from "../linux-abi/capability.ts";
import { S_ISGID, S_ISUID, S_IXGRP } from "../linux-abi/stat.ts";
import type { Credentials } from "./creds.ts";

const WORD = 2 ** 32;

/** Every capability. */
export const CAP_FULL = 2 ** (CAP_LAST_CAP + 1) - 1;

/** The set holding only `cap`. */
export const capBit = (cap: number): number => 2 ** cap;

/** Whether `set` holds `cap` (0 ≤ cap ≤ CAP_LAST_CAP). */
export function hasCap(set: number, cap: number): boolean {
  return cap < 32 ? (set & (1 << cap)) !== 0 : (Math.floor(set / WORD) & (1 << (cap - 32))) !== 0;
}

const lo = (s: number): number => s % WORD;
const hi = (s: number): number => Math.floor(s / WORD);

export const capAnd = (a: number, b: number): number => ((lo(a) & lo(b)) >>> 0) + ((hi(a) & hi(b)) >>> 0) * WORD;
export const capOr = (a: number, b: number): number => ((lo(a) | lo(b)) >>> 0) + ((hi(a) | hi(b)) >>> 0) * WORD;
export const capAndNot = (a: number, b: number): number => ((lo(a) & ~lo(b)) >>> 0) + ((hi(a) & ~hi(b)) >>> 0) * WORD;
export const capSubset = (a: number, b: number): boolean => capAndNot(a, b) === 0;

/** Whether `c`'s effective set holds `cap` (Linux's capable(), in the initial user namespace). */
export const capable = (c: Credentials, cap: number): boolean => hasCap(c.capEffective, cap);

/**
 * The capabilities a change of fs uid from or to 0 takes away or gives back (man 7
 * capabilities: "Effect of user ID changes on capabilities").
 */
const FS_CAPS = [CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MKNOD, CAP_MAC_OVERRIDE]
  .reduce((s, cap) => capOr(s, capBit(cap)), 0);

/** The sets of a thread that starts as `uid`: all of them for root, none otherwise; the bounding set full. */
export function initialCaps(uid: number): Pick<Credentials, CapField | "securebits"> {
  const all = uid === 0 ? CAP_FULL : 0;
  return { capInheritable: 0, capPermitted: all, capEffective: all, capBounding: CAP_FULL, capAmbient: 0, securebits: 0 };
}

export type CapField = "capInheritable" | "capPermitted" | "capEffective" | "capBounding" | "capAmbient";

const anyRoot = (c: Credentials): boolean => c.uid === 0 || c.euid === 0 || c.suid === 0;

/** cap_emulate_setxuid: `next` (new uids of `old`) with its sets adjusted. */
export function fixSetuid(old: Credentials, next: Credentials): Credentials {
  if (old.securebits & SECBIT_NO_SETUID_FIXUP) return next;
  let { capPermitted, capEffective, capAmbient } = next;
  if (anyRoot(old) && !anyRoot(next)) {
    if (!(old.securebits & SECBIT_KEEP_CAPS)) capPermitted = capEffective = 0;
    capAmbient = 0;
  }
  if (old.euid === 0 && next.euid !== 0) capEffective = 0;
  if (old.euid !== 0 && next.euid === 0) capEffective = capPermitted;
  return { ...next, capPermitted, capEffective, capAmbient };
}

/** cap_task_fix_setuid for LSM_SETID_FS: the file-system capabilities follow the fs uid. */
export function fixSetfsuid(old: Credentials, next: Credentials): Credentials {
  if (old.securebits & SECBIT_NO_SETUID_FIXUP) return next;
  if (old.fsuid === 0 && next.fsuid !== 0) return { ...next, capEffective: capAndNot(next.capEffective, FS_CAPS) };
  if (old.fsuid !== 0 && next.fsuid === 0) return { ...next, capEffective: capOr(next.capEffective, capAnd(next.capPermitted, FS_CAPS)) };
  return next;
}

/**
 * The credentials a program starts with (execve): a set-user-ID file's owner becomes the
 * effective (and saved, and fs) uid, a set-group-ID file's group (with group execute) the
 * effective gid; then the sets as cap_bprm_creds_from_file computes them for a file
 * without capabilities. SECBIT_KEEP_CAPS does not survive.
 */
export function execCreds(c: Credentials, file: { mode: number; uid: number; gid: number }): Credentials {
  const euid = file.mode & S_ISUID ? file.uid : c.euid;
  const egid = (file.mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP) ? file.gid : c.egid;
  const setid = euid !== c.uid || egid !== c.gid;
  const ambient = setid ? 0 : c.capAmbient;
  let permitted = 0, effective = false;
  if (!(c.securebits & SECBIT_NOROOT) && (euid === 0 || c.uid === 0)) {
    permitted = capOr(c.capBounding, c.capInheritable);
    effective = euid === 0;
  }
  permitted = capOr(permitted, ambient);
  return {
    ...c, euid, suid: euid, fsuid: euid, egid, sgid: egid, fsgid: egid,
    capPermitted: permitted, capEffective: effective ? permitted : ambient, capAmbient: ambient,
    securebits: c.securebits & ~SECBIT_KEEP_CAPS,
  };
}

/**
 * do_faccessat's credentials: the real uid and gid as the fs ones, and the effective set
 * as if the real uid were the effective one (all permitted ones for root, none otherwise).
 */
export function accessCreds(c: Credentials): Credentials {
  const capEffective = c.securebits & SECBIT_NO_SETUID_FIXUP ? c.capEffective : c.uid === 0 ? c.capPermitted : 0;
  if (c.fsuid === c.uid && c.fsgid === c.gid && capEffective === c.capEffective) return c;
  return { ...c, fsuid: c.uid, fsgid: c.gid, capEffective };
}
