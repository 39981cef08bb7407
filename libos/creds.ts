// Credentials (Linux: kernel/cred.c, kernel/sys.c, kernel/groups.c).
//
//   Credentials  an immutable record: real, effective, saved and file-system user and
//                group ids and the supplementary groups. A change makes a new record and
//                the thread commits it (commit_creds), so a record handed to something
//                that outlives the call (a zombie's, an IPC object's creator) never moves.
//
// Credentials belong to threads, as in Linux; a process's are its leader's (what kill,
// /proc/PID and wait see). glibc and musl apply set*id to every thread of a process (their
// setxid broadcast), so a program through its libc sees per-process credentials; a raw
// syscall changes only the calling thread, as on Linux.
//
// Capabilities are part of the record (capabilities.ts): the rules below ask for
// CAP_SETUID and CAP_SETGID, and each change of uids adjusts the sets as Linux's
// cap_task_fix_setuid does.

import { CAP_KILL, CAP_SETGID, CAP_SETUID } from "../linux-abi/capability.ts";
import { EINVAL, EPERM } from "../linux-abi/errno.ts";
import { capable, fixSetfsuid, fixSetuid, initialCaps } from "./capabilities.ts";

export interface Credentials {
  readonly uid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
  readonly gid: number;
  readonly egid: number;
  readonly sgid: number;
  readonly fsgid: number;
  /** Supplementary groups, sorted ascending (Linux sorts them in setgroups). */
  readonly groups: readonly number[];
  /** The capability sets (capabilities.ts: a bit per capability). */
  readonly capInheritable: number;
  readonly capPermitted: number;
  readonly capEffective: number;
  readonly capBounding: number;
  readonly capAmbient: number;
  /** SECBIT_* flags and locks (prctl PR_SET_SECUREBITS, PR_SET_KEEPCAPS). */
  readonly securebits: number;
}

/** Linux's NGROUPS_MAX. */
export const NGROUPS_MAX = 65536;
/** (uid_t)-1: "leave unchanged" for the set*id calls, and never a valid id. */
const KEEP = 0xffffffff;

export function initialCredentials(uid: number, gid: number, groups: readonly number[]): Credentials {
  const ids = { uid, euid: uid, suid: uid, fsuid: uid, gid, egid: gid, sgid: gid, fsgid: gid };
  return { ...ids, groups: [...groups].sort((a, b) => a - b), ...initialCaps(uid) };
}

/** Whether `c` is in group `gid` (in_group_p: the fs gid or a supplementary group). */
export function inGroup(c: Credentials, gid: number): boolean {
  return c.fsgid === gid || c.groups.includes(gid);
}

/** The user or group half of a record, so the rules below are written once for both. */
interface Ids {
  real: number;
  eff: number;
  saved: number;
  fs: number;
}

type Kind = "uid" | "gid";

function idsOf(c: Credentials, kind: Kind): Ids {
  return kind === "uid" ? { real: c.uid, eff: c.euid, saved: c.suid, fs: c.fsuid } : { real: c.gid, eff: c.egid, saved: c.sgid, fs: c.fsgid };
}

/** `c` with new user or group ids; a change of uids adjusts the capability sets. */
function withIds(c: Credentials, kind: Kind, n: Ids): Credentials {
  return kind === "uid"
    ? fixSetuid(c, { ...c, uid: n.real, euid: n.eff, suid: n.saved, fsuid: n.fs })
    : { ...c, gid: n.real, egid: n.eff, sgid: n.saved, fsgid: n.fs };
}

/** The capability the set*id calls of `kind` need to choose any id. */
const mayChoose = (c: Credentials, kind: Kind): boolean => capable(c, kind === "uid" ? CAP_SETUID : CAP_SETGID);

/** setuid(2)/setgid(2): privileged sets all three, otherwise only to the real or saved id. */
export function setId(c: Credentials, kind: Kind, id: number): Credentials | number {
  if (id === KEEP) return -EINVAL;
  const o = idsOf(c, kind);
  if (mayChoose(c, kind)) return withIds(c, kind, { real: id, eff: id, saved: id, fs: id });
  if (id !== o.real && id !== o.saved) return -EPERM;
  return withIds(c, kind, { ...o, eff: id, fs: id });
}

/** setreuid(2)/setregid(2); the saved id follows the effective one when the real one is set or the effective one leaves it. */
export function setReId(c: Credentials, kind: Kind, real: number, eff: number): Credentials | number {
  const o = idsOf(c, kind);
  const n = { ...o };
  const cap = mayChoose(c, kind);
  if (real !== KEEP) {
    if (!cap && real !== o.real && real !== o.eff) return -EPERM;
    n.real = real;
  }
  if (eff !== KEEP) {
    if (!cap && eff !== o.real && eff !== o.eff && eff !== o.saved) return -EPERM;
    n.eff = eff;
  }
  if (real !== KEEP || (eff !== KEEP && eff !== o.real)) n.saved = n.eff;
  n.fs = n.eff;
  return withIds(c, kind, n);
}

/** setresuid(2)/setresgid(2): unprivileged, each new id must be one of the current three. */
export function setResId(c: Credentials, kind: Kind, real: number, eff: number, saved: number): Credentials | number {
  const o = idsOf(c, kind);
  const allowed = (id: number): boolean => id === KEEP || id === o.real || id === o.eff || id === o.saved;
  if (!mayChoose(c, kind) && !(allowed(real) && allowed(eff) && allowed(saved))) return -EPERM;
  const e = eff === KEEP ? o.eff : eff;
  return withIds(c, kind, { real: real === KEEP ? o.real : real, eff: e, saved: saved === KEEP ? o.saved : saved, fs: e });
}

/** setfsuid(2)/setfsgid(2): the new record, or the same one when the change is not allowed. */
export function setFsId(c: Credentials, kind: Kind, id: number): Credentials {
  const o = idsOf(c, kind);
  if (id === KEEP) return c;
  if (!mayChoose(c, kind) && id !== o.real && id !== o.eff && id !== o.saved && id !== o.fs) return c;
  return kind === "uid" ? fixSetfsuid(c, { ...c, fsuid: id }) : { ...c, fsgid: id };
}

/** setgroups(2): CAP_SETGID only; the list is kept sorted. */
export function setGroups(c: Credentials, groups: number[]): Credentials | number {
  if (!capable(c, CAP_SETGID)) return -EPERM;
  return { ...c, groups: groups.sort((a, b) => a - b) };
}

/**
 * kill_ok_by_cred: the sender's real or effective uid is the target's real or saved uid,
 * or the sender holds CAP_KILL.
 */
export function maySignal(sender: Credentials, target: Credentials): boolean {
  if (capable(sender, CAP_KILL)) return true;
  return sender.euid === target.suid || sender.euid === target.uid || sender.uid === target.suid || sender.uid === target.uid;
}
