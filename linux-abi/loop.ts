// Linux: include/uapi/linux/loop.h, the loop block device's ioctls and their structs as
// x86-64 lays them out: struct loop_info (168 bytes; its dev_t fields are unsigned long),
// struct loop_info64 (232 bytes) and struct loop_config (304 bytes: fd, block_size, a
// loop_info64, eight reserved words).

export const LOOP_MAJOR = 7;
/** /dev/loop-control: misc device 10, minor LOOP_CTRL_MINOR. */
export const MISC_MAJOR = 10;
export const LOOP_CTRL_MINOR = 237;

export const LOOP_SET_FD = 0x4c00;
export const LOOP_CLR_FD = 0x4c01;
export const LOOP_SET_STATUS = 0x4c02;
export const LOOP_GET_STATUS = 0x4c03;
export const LOOP_SET_STATUS64 = 0x4c04;
export const LOOP_GET_STATUS64 = 0x4c05;
export const LOOP_CHANGE_FD = 0x4c06;
export const LOOP_SET_CAPACITY = 0x4c07;
export const LOOP_SET_DIRECT_IO = 0x4c08;
export const LOOP_SET_BLOCK_SIZE = 0x4c09;
export const LOOP_CONFIGURE = 0x4c0a;
export const LOOP_CTL_ADD = 0x4c80;
export const LOOP_CTL_REMOVE = 0x4c81;
export const LOOP_CTL_GET_FREE = 0x4c82;

export const LO_FLAGS_READ_ONLY = 1;
export const LO_FLAGS_AUTOCLEAR = 4;
export const LO_FLAGS_PARTSCAN = 8;
export const LO_FLAGS_DIRECT_IO = 16;
/** What LOOP_CONFIGURE may ask for. */
export const LOOP_CONFIGURE_SETTABLE_FLAGS = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;
/** What LOOP_SET_STATUS may set, and of those what it may clear. */
export const LOOP_SET_STATUS_SETTABLE_FLAGS = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
export const LOOP_SET_STATUS_CLEARABLE_FLAGS = LO_FLAGS_AUTOCLEAR;

export const LO_NAME_SIZE = 64;
export const LO_KEY_SIZE = 32;

export const SIZEOF_LOOP_INFO = 168;
export const SIZEOF_LOOP_INFO64 = 232;
export const SIZEOF_LOOP_CONFIG = 304;

/** struct loop_info64, the kernel's own form (the old struct converts to and from it). */
export interface LoopInfo64 {
  device: bigint;
  inode: bigint;
  rdevice: bigint;
  /** lo_offset and lo_sizelimit are __u64: a value past 2^63 - 1 is the caller's mistake (EOVERFLOW). */
  offset: bigint;
  sizelimit: bigint;
  number: number;
  encryptType: number;
  encryptKeySize: number;
  flags: number;
  /** lo_file_name: the bytes up to the first NUL (a byte string). */
  fileName: string;
}

const I64 = {
  device: 0, inode: 8, rdevice: 16, offset: 24, sizelimit: 32, number: 40, encryptType: 44,
  encryptKeySize: 48, flags: 52, fileName: 56,
} as const;

const OLD = {
  number: 0, device: 8, inode: 16, rdevice: 24, offset: 32, encryptType: 36, encryptKeySize: 40,
  flags: 44, name: 48,
} as const;

export function decodeLoopInfo64(view: DataView, offset: number): LoopInfo64 {
  const f = I64;
  return {
    device: view.getBigUint64(offset + f.device, true),
    inode: view.getBigUint64(offset + f.inode, true),
    rdevice: view.getBigUint64(offset + f.rdevice, true),
    offset: view.getBigUint64(offset + f.offset, true),
    sizelimit: view.getBigUint64(offset + f.sizelimit, true),
    number: view.getUint32(offset + f.number, true),
    encryptType: view.getUint32(offset + f.encryptType, true),
    encryptKeySize: view.getUint32(offset + f.encryptKeySize, true),
    flags: view.getUint32(offset + f.flags, true),
    fileName: nameAt(view, offset + f.fileName),
  };
}

/** Encodes into a zeroed buffer (lo_crypt_name, the key and lo_init stay zero). */
export function encodeLoopInfo64(view: DataView, offset: number, info: LoopInfo64): void {
  const f = I64;
  view.setBigUint64(offset + f.device, info.device, true);
  view.setBigUint64(offset + f.inode, info.inode, true);
  view.setBigUint64(offset + f.rdevice, info.rdevice, true);
  view.setBigUint64(offset + f.offset, info.offset, true);
  view.setBigUint64(offset + f.sizelimit, info.sizelimit, true);
  view.setUint32(offset + f.number, info.number, true);
  view.setUint32(offset + f.encryptType, info.encryptType, true);
  view.setUint32(offset + f.encryptKeySize, info.encryptKeySize, true);
  view.setUint32(offset + f.flags, info.flags, true);
  putName(view, offset + f.fileName, info.fileName);
}

/** The old struct loop_info as loop_info64_from_old reads it: its int lo_offset sign-extends, lo_sizelimit is 0. */
export function decodeLoopInfoOld(view: DataView, offset: number): LoopInfo64 {
  const f = OLD;
  return {
    device: view.getBigUint64(offset + f.device, true),
    inode: view.getBigUint64(offset + f.inode, true),
    rdevice: view.getBigUint64(offset + f.rdevice, true),
    offset: BigInt.asUintN(64, BigInt(view.getInt32(offset + f.offset, true))),
    sizelimit: 0n,
    number: view.getInt32(offset + f.number, true) >>> 0,
    encryptType: view.getInt32(offset + f.encryptType, true) >>> 0,
    encryptKeySize: view.getInt32(offset + f.encryptKeySize, true) >>> 0,
    flags: view.getInt32(offset + f.flags, true) >>> 0,
    fileName: nameAt(view, offset + f.name),
  };
}

/** The old struct loop_info (loop_info64_to_old); false when lo_offset does not fit its int (EOVERFLOW). */
export function encodeLoopInfoOld(view: DataView, offset: number, info: LoopInfo64): boolean {
  if (info.offset > 0x7fffffffn) return false;
  const f = OLD;
  view.setInt32(offset + f.number, info.number, true);
  view.setBigUint64(offset + f.device, info.device, true);
  view.setBigUint64(offset + f.inode, info.inode, true);
  view.setBigUint64(offset + f.rdevice, info.rdevice, true);
  view.setInt32(offset + f.offset, Number(info.offset), true);
  view.setInt32(offset + f.encryptKeySize, info.encryptKeySize, true);
  view.setInt32(offset + f.flags, info.flags, true);
  putName(view, offset + f.name, info.fileName);
  return true;
}

/** struct loop_config: the backing fd, the logical block size (0: keep 512) and the status to start with. */
export interface LoopConfig {
  fd: number;
  blockSize: number;
  info: LoopInfo64;
}

export function decodeLoopConfig(view: DataView, offset: number): LoopConfig {
  return {
    fd: view.getInt32(offset, true),
    blockSize: view.getUint32(offset + 4, true),
    info: decodeLoopInfo64(view, offset + 8),
  };
}

function nameAt(view: DataView, offset: number): string {
  let s = "";
  for (let i = 0; i < LO_NAME_SIZE - 1; i++) {
    const c = view.getUint8(offset + i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function putName(view: DataView, offset: number, name: string): void {
  const n = Math.min(name.length, LO_NAME_SIZE - 1);
  for (let i = 0; i < n; i++) view.setUint8(offset + i, name.charCodeAt(i) & 0xff);
}
