// Linux: include/uapi/linux/ipc.h, shm.h, sem.h, msg.h and the x86-64 layouts of
// struct ipc64_perm, shmid64_ds, semid64_ds, msqid64_ds (arch/x86/include/uapi/asm/*buf.h),
// shminfo64, shm_info, seminfo, msginfo and sembuf. Default limits from ipc/namespace
// setup (ipc/shm.c shm_init_ns, ipc/sem.c sem_init_ns, ipc/msg.c msg_init_ns).

import { getInt64, setInt64 } from "./_int64.ts";

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;

export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;
export const IPC_INFO = 3;
/** Set by glibc on every ctl command (the 64-bit structures); Linux ignores it on x86-64. */
export const IPC_64 = 0x0100;

export const SHM_RDONLY = 0o10000;
export const SHM_RND = 0o20000;
export const SHM_REMAP = 0o40000;
export const SHM_EXEC = 0o100000;
export const SHM_LOCK = 11;
export const SHM_UNLOCK = 12;
export const SHM_STAT = 13;
export const SHM_INFO = 14;
export const SHM_STAT_ANY = 15;
/** shm_perm.mode bits: marked for removal, locked in memory. */
export const SHM_DEST = 0o1000;
export const SHM_LOCKED = 0o2000;
/** x86-64's SHMLBA: attach addresses are page aligned. */
export const SHMLBA = 4096;

export const GETPID = 11;
export const GETVAL = 12;
export const GETALL = 13;
export const GETNCNT = 14;
export const GETZCNT = 15;
export const SETVAL = 16;
export const SETALL = 17;
export const SEM_STAT = 18;
export const SEM_INFO = 19;
export const SEM_STAT_ANY = 20;
export const SEM_UNDO = 0x1000;

export const MSG_STAT = 11;
export const MSG_INFO = 12;
export const MSG_STAT_ANY = 13;
export const MSG_NOERROR = 0o10000;
export const MSG_EXCEPT = 0o20000;
export const MSG_COPY = 0o40000;

/** Default limits of a new IPC namespace. */
/** ULONG_MAX - 2^24: past 2^53, so kept exact as a BigInt. */
export const SHMMAX = 2n ** 64n - 1n - 2n ** 24n;
export const SHMALL = SHMMAX;
export const SHMMIN = 1;
export const SHMMNI = 4096;
export const SEMMNI = 32000;
export const SEMMSL = 32000;
export const SEMMNS = SEMMNI * SEMMSL;
export const SEMOPM = 500;
export const SEMVMX = 32767;
export const SEMAEM = SEMVMX;
export const SEMUME = SEMOPM;
export const SEMUSZ = 20;
export const MSGMNI = 32000;
export const MSGMAX = 8192;
export const MSGMNB = 16384;
export const MSGPOOL = (MSGMNI * MSGMNB) / 1024;
export const MSGSSZ = 16;
export const MSGSEG = 0xffff;
/** ipc ids: index + sequence * IPCMNI (ipc/util.h, without ipcmni_extend). */
export const IPCMNI = 32768;

export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  seq: number;
}

export const SIZEOF_IPC64_PERM = 48;

export function encodeIpcPerm(v: DataView, o: number, p: IpcPerm): void {
  v.setInt32(o, p.key, true);
  v.setUint32(o + 4, p.uid, true);
  v.setUint32(o + 8, p.gid, true);
  v.setUint32(o + 12, p.cuid, true);
  v.setUint32(o + 16, p.cgid, true);
  v.setUint32(o + 20, p.mode, true);
  v.setUint16(o + 24, p.seq, true);
}

/** What IPC_SET reads: uid, gid and mode (the rest of the structure is ignored). */
export function decodeIpcPermSet(v: DataView, o: number): { uid: number; gid: number; mode: number } {
  return { uid: v.getUint32(o + 4, true), gid: v.getUint32(o + 8, true), mode: v.getUint32(o + 20, true) };
}

export interface ShmidDs {
  perm: IpcPerm;
  segsz: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

export const SIZEOF_SHMID64_DS = 112;

export function encodeShmidDs(v: DataView, o: number, d: ShmidDs): void {
  encodeIpcPerm(v, o, d.perm);
  setInt64(v, o + 48, d.segsz);
  setInt64(v, o + 56, d.atime);
  setInt64(v, o + 64, d.dtime);
  setInt64(v, o + 72, d.ctime);
  v.setInt32(o + 80, d.cpid, true);
  v.setInt32(o + 84, d.lpid, true);
  setInt64(v, o + 88, d.nattch);
}

export interface SemidDs {
  perm: IpcPerm;
  otime: number;
  ctime: number;
  nsems: number;
}

export const SIZEOF_SEMID64_DS = 104;

export function encodeSemidDs(v: DataView, o: number, d: SemidDs): void {
  encodeIpcPerm(v, o, d.perm);
  setInt64(v, o + 48, d.otime);
  setInt64(v, o + 64, d.ctime);
  setInt64(v, o + 80, d.nsems);
}

export interface MsqidDs {
  perm: IpcPerm;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
}

export const SIZEOF_MSQID64_DS = 120;

export function encodeMsqidDs(v: DataView, o: number, d: MsqidDs): void {
  encodeIpcPerm(v, o, d.perm);
  setInt64(v, o + 48, d.stime);
  setInt64(v, o + 56, d.rtime);
  setInt64(v, o + 64, d.ctime);
  setInt64(v, o + 72, d.cbytes);
  setInt64(v, o + 80, d.qnum);
  setInt64(v, o + 88, d.qbytes);
  v.setInt32(o + 96, d.lspid, true);
  v.setInt32(o + 100, d.lrpid, true);
}

/** msg_qbytes as IPC_SET reads it. */
export const decodeMsqidQbytes = (v: DataView, o: number): number => getInt64(v, o + 88);

/** struct shminfo64 (IPC_INFO): shmmax, shmmin, shmmni, shmseg, shmall, then 4 unused words. */
export const SIZEOF_SHMINFO64 = 72;

export function encodeShminfo(v: DataView, o: number, s: { shmmax: bigint; shmmin: number; shmmni: number; shmseg: number; shmall: bigint }): void {
  v.setBigUint64(o, s.shmmax, true);
  setInt64(v, o + 8, s.shmmin);
  setInt64(v, o + 16, s.shmmni);
  setInt64(v, o + 24, s.shmseg);
  v.setBigUint64(o + 32, s.shmall, true);
}

/** struct shm_info (SHM_INFO). */
export const SIZEOF_SHM_INFO = 48;

export function encodeShmInfo(v: DataView, o: number, s: { usedIds: number; shmTot: number; shmRss: number }): void {
  v.setInt32(o, s.usedIds, true);
  setInt64(v, o + 8, s.shmTot);
  setInt64(v, o + 16, s.shmRss);
}

/** struct seminfo: ten ints, in this order. */
export interface Seminfo {
  semmap: number;
  semmni: number;
  semmns: number;
  semmnu: number;
  semmsl: number;
  semopm: number;
  semume: number;
  semusz: number;
  semvmx: number;
  semaem: number;
}

export const SIZEOF_SEMINFO = 40;

export function encodeSeminfo(v: DataView, o: number, s: Seminfo): void {
  [s.semmap, s.semmni, s.semmns, s.semmnu, s.semmsl, s.semopm, s.semume, s.semusz, s.semvmx, s.semaem].forEach((x, i) => v.setInt32(o + i * 4, x, true));
}

/** struct msginfo: seven ints and an unsigned short. */
export interface Msginfo {
  msgpool: number;
  msgmap: number;
  msgmax: number;
  msgmnb: number;
  msgmni: number;
  msgssz: number;
  msgtql: number;
  msgseg: number;
}

export const SIZEOF_MSGINFO = 32;

export function encodeMsginfo(v: DataView, o: number, s: Msginfo): void {
  [s.msgpool, s.msgmap, s.msgmax, s.msgmnb, s.msgmni, s.msgssz, s.msgtql].forEach((x, i) => v.setInt32(o + i * 4, x, true));
  v.setUint16(o + 28, s.msgseg, true);
}

/** struct sembuf: unsigned short sem_num; short sem_op; short sem_flg. */
export const SIZEOF_SEMBUF = 6;

export interface Sembuf {
  num: number;
  op: number;
  flg: number;
}

export function decodeSembuf(v: DataView, o: number): Sembuf {
  return { num: v.getUint16(o, true), op: v.getInt16(o + 2, true), flg: v.getInt16(o + 4, true) };
}
